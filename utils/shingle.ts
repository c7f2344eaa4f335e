/**
 * lw-shingle64-v1: 64-bit hashes of k-word shingles, and winnowing.
 *
 * The hash is specified here (and pinned by test vectors) so that the CLI in Node and the content
 * script in any browser compute the same numbers with nothing but 32-bit integer arithmetic:
 * - each token (its UTF-16 code units) is hashed to two 32-bit lanes with different seeds;
 * - the k token lanes of a shingle are folded in order with a murmur3-style round per lane;
 * - both lanes are finalised with murmur3's fmix32 and cross-mixed into (hi, lo).
 * A fingerprint is the top `bits` bits of (hi, lo), a safe integer (bits <= 53), so it can travel in
 * JSON messages and sit in a Float64Array.
 */

export const SEED_A = 0x9e3779b9;
export const SEED_B = 0x7f4a7c15;
/** Per-code-unit multipliers of the two token lanes (fused scanners repeat the two-line step inline). */
export const LANE_MUL_A = 0x01000193;
export const LANE_MUL_B = 0x5bd1e995;

/**
 * murmur3's finaliser. The hot loops' helpers are consts, not function declarations: a declared
 * function's name can be reassigned, so optimised code that inlines it checks, at every call, which
 * function the name holds; a const it takes as it is.
 */
const mix32 = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};
export const fmix32 = mix32;

function round(h: number, v: number): number {
  let x = Math.imul(v, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  h ^= x;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Two independent 32-bit lanes of one token, written into out[0], out[1]. */
function tokenLanes(token: string, out: Uint32Array, at: number): void {
  let a = SEED_A;
  let b = SEED_B;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    a = Math.imul(a ^ c, LANE_MUL_A);
    b = Math.imul(b ^ c, LANE_MUL_B) ^ (b >>> 15);
  }
  out[at] = fmix32(a ^ token.length);
  out[at + 1] = fmix32(b + token.length);
}

/** Lanes of every token, interleaved: what fused scanners produce without building token strings. */
export function tokenLanesOf(tokens: readonly string[]): Uint32Array {
  const lanes = new Uint32Array(tokens.length * 2);
  for (let i = 0; i < tokens.length; i++) tokenLanes(tokens[i]!, lanes, i * 2);
  return lanes;
}

const POW2 = Float64Array.from({ length: 22 }, (_, i) => 2 ** i);

/** Top `bits` bits (24..53) of the 64-bit value (hi, lo) as a safe integer. */
export function topBits(hi: number, lo: number, bits: number): number {
  if (bits <= 32) return hi >>> (32 - bits);
  return hi * POW2[bits - 32]! + (lo >>> (64 - bits));
}

/**
 * Full 64-bit shingle hashes of `tokens`, as interleaved (hi, lo) pairs: one pair per shingle, in
 * order. A text shorter than k words yields one shingle of all its words, so short quotes of a
 * short document can still match it.
 */
export function shingleHashes(tokens: readonly string[], k: number): Uint32Array {
  return shingleHashesOfLanes(tokenLanesOf(tokens), tokens.length, k);
}

/** shingleHashes() from the lanes of `n` tokens (tokenLanesOf). */
export function shingleHashesOfLanes(lanes: Uint32Array, n: number, k: number): Uint32Array {
  if (n === 0) return new Uint32Array(0);
  const width = Math.min(k, n);
  const count = n - width + 1;
  const out = new Uint32Array(count * 2);
  for (let s = 0; s < count; s++) {
    let a = SEED_A ^ width;
    let b = SEED_B ^ width;
    for (let j = 0; j < width; j++) {
      const t = (s + j) * 2;
      a = round(a, lanes[t]!);
      b = round(b, lanes[t + 1]!);
    }
    const hi = fmix32(a ^ Math.imul(b, 0x27d4eb2d));
    const lo = fmix32(b ^ hi);
    out[s * 2] = hi;
    out[s * 2 + 1] = lo;
  }
  return out;
}

/** Fingerprints (top `bits` bits) of every shingle of `tokens`, in text order. */
export function shingleFingerprints(tokens: readonly string[], k: number, bits: number): Float64Array {
  const hashes = shingleHashes(tokens, k);
  const out = new Float64Array(hashes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = topBits(hashes[i * 2]!, hashes[i * 2 + 1]!, bits);
  return out;
}

/** Shingles of `n` tokens: one of all of them when there are fewer than k, none without tokens. */
export function shingleCount(n: number, k: number): number {
  return n === 0 ? 0 : n - Math.min(k, n) + 1;
}

let premixed = new Int32Array(1 << 10);
const windowStart = new Int32Array(8);
let halves = new Uint32Array(1 << 10);

/** The first half of round(): it depends on the token's lane alone. */
const premix = (lane: number): number => {
  const x = Math.imul(lane, 0xcc9e2d51);
  return Math.imul((x << 15) | (x >>> 17), 0x1b873593);
};

/** The second half of round(), on a premixed lane value. */
const mixRound = (h: number, premixedLane: number): number => {
  const x = h ^ premixedLane;
  return (Math.imul((x << 13) | (x >>> 19), 5) + 0xe6546b64) | 0;
};

/**
 * shingleHashesOfLanes() into scratch: the (hi, lo) pairs of the shingles of `n` tokens, read or
 * copied before the next call (of this or shingleProbesInto). Nothing is allocated per block.
 */
export function shingleHashesInto(lanes: Uint32Array, n: number, k: number): Uint32Array {
  return hashShinglesInto(lanes, n, k, true);
}

/**
 * shingleHashesInto() but for the last step of each pair: (hi, b) pairs, where lo = fmix32(b ^ hi).
 * The scan's hot path: its filter is probed with hi alone, and only the few shingles that pass it
 * need lo (one fmix32 saved a shingle: ~4 % of the scan).
 */
export function shingleProbesInto(lanes: Uint32Array, n: number, k: number): Uint32Array {
  return hashShinglesInto(lanes, n, k, false);
}

/** The rounds are inlined; `finished` is the same for a whole call, so its test costs next to nothing. */
function hashShinglesInto(lanes: Uint32Array, n: number, k: number, finished: boolean): Uint32Array {
  const width = Math.min(k, n);
  const count = n - width + 1;
  if (halves.length < count * 2) halves = new Uint32Array(Math.max(count * 2, halves.length * 2));
  const out = halves;
  // Module-level helpers become vars in a bundle, re-read and checked at each call: take them once.
  const mixIn = mixRound;
  const premixLane = premix;
  const mix = mix32;
  if (width === 5) {
    // The default k, unrolled, over a window of the last five tokens' premixed lanes held in
    // locals: each shingle reads and premixes only its newest token's two lanes.
    const seedA = (SEED_A ^ 5) | 0;
    const seedB = (SEED_B ^ 5) | 0;
    // Read from an Int32Array, the window's first values are known 32-bit integers, so the loop
    // keeps all ten in registers as such.
    const first = windowStart;
    for (let t = 0; t < 8; t++) first[t] = premixLane(lanes[t]!);
    let a0 = first[0]!;
    let b0 = first[1]!;
    let a1 = first[2]!;
    let b1 = first[3]!;
    let a2 = first[4]!;
    let b2 = first[5]!;
    let a3 = first[6]!;
    let b3 = first[7]!;
    for (let s = 0, t = 0; s < count; s++, t += 2) {
      const a4 = premixLane(lanes[t + 8]!);
      const b4 = premixLane(lanes[t + 9]!);
      const a = mixIn(mixIn(mixIn(mixIn(mixIn(seedA, a0), a1), a2), a3), a4);
      const b = mixIn(mixIn(mixIn(mixIn(mixIn(seedB, b0), b1), b2), b3), b4);
      const hi = mix(a ^ Math.imul(b, 0x27d4eb2d));
      out[t] = hi;
      out[t + 1] = finished ? mix(b ^ hi) : b;
      a0 = a1;
      a1 = a2;
      a2 = a3;
      a3 = a4;
      b0 = b1;
      b1 = b2;
      b2 = b3;
      b3 = b4;
    }
    return out;
  }
  // The first half of round() depends on the token alone: do it once per token, not k times.
  if (premixed.length < n * 2) premixed = new Int32Array(Math.max(n * 2, premixed.length * 2));
  const pre = premixed;
  for (let t = 0; t < n * 2; t++) pre[t] = premixLane(lanes[t]!);
  for (let s = 0; s < count; s++) {
    let a = SEED_A ^ width;
    let b = SEED_B ^ width;
    for (let t = s * 2, end = (s + width) * 2; t < end; t += 2) {
      a = mixIn(a, pre[t]!);
      b = mixIn(b, pre[t + 1]!);
    }
    const hi = mix(a ^ Math.imul(b, 0x27d4eb2d));
    out[s * 2] = hi;
    out[s * 2 + 1] = finished ? mix(b ^ hi) : b;
  }
  return out;
}

/**
 * shingleFingerprints() from the lanes of `n` tokens, into `out` (at least n values long): the
 * number written.
 */
export function fingerprintsInto(
  lanes: Uint32Array,
  n: number,
  k: number,
  bits: number,
  out: Float64Array,
): number {
  const count = shingleCount(n, k);
  if (count === 0) return 0;
  const hashes = shingleHashesInto(lanes, n, k);
  const extra = bits > 32 ? bits - 32 : 0;
  const scale = 2 ** extra;
  const loShift = 32 - extra;
  const hiShift = bits >= 32 ? 0 : 32 - bits;
  for (let s = 0; s < count; s++) {
    const hi = hashes[s * 2]!;
    out[s] = extra === 0 ? hi >>> hiShift : hi * scale + (hashes[s * 2 + 1]! >>> loShift);
  }
  return count;
}

let values = new Float64Array(1 << 10);

/** shingleFingerprints() from the lanes of `n` tokens, in a plain array (one that JSON keeps as it is). */
export function fingerprintsOfLanes(lanes: Uint32Array, n: number, k: number, bits: number): number[] {
  if (values.length < n) values = new Float64Array(Math.max(n, values.length * 2));
  const count = fingerprintsInto(lanes, n, k, bits, values);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = values[i]!;
  return out;
}

/**
 * Robust winnowing (Schleimer, Wilkerson, Aiken 2003): in every window of w consecutive
 * fingerprints keep the minimum, the rightmost one on ties, and record a position only once.
 * Any run of at least w + k - 1 words shared with another text yields a fingerprint kept here
 * that the other text contains too.
 */
export function winnow(fingerprints: Float64Array, w: number): Float64Array {
  const kept = new Float64Array(Math.max(1, fingerprints.length - w + 1));
  return kept.slice(0, winnowInto(fingerprints, fingerprints.length, w, kept));
}

/** winnow() of the first `n` fingerprints into `out` (at least n - w + 1 values long, and 1): the number kept. */
export function winnowInto(fingerprints: Float64Array, n: number, w: number, out: Float64Array): number {
  if (n <= w) {
    if (n === 0) return 0;
    out[0] = minOf(fingerprints, n);
    return 1;
  }
  let kept = 0;
  let lastPos = -1;
  for (let start = 0; start + w <= n; start++) {
    let pos = start;
    for (let i = start + 1; i < start + w; i++) if (fingerprints[i]! <= fingerprints[pos]!) pos = i;
    if (pos !== lastPos) {
      out[kept++] = fingerprints[pos]!;
      lastPos = pos;
    }
  }
  return kept;
}

function minOf(values: Float64Array, n: number): number {
  let m = values[0]!;
  for (let i = 1; i < n; i++) if (values[i]! < m) m = values[i]!;
  return m;
}
