import { LeakwatchError } from '../utils/errors';
import type { BlockFeatures } from '../utils/matcher';

/**
 * Fingerprints travel from the content script to the background packed in a string: one digit, the
 * bytes per value (1-7: the fewest that hold the block's largest value), then the values big-endian
 * in base64 without padding. Extension messages are serialised value by value; a 1 MB article's
 * 170,000 fingerprints as an array of numbers took about three times as long to send as the same
 * values in one string, packing included. Chromium's messaging costs about 15 ns per byte sent, so
 * a 40-bit list's values take 5 bytes, not 7 (1.6 MB of base64 for a 1 MB article became 1.13 MB).
 * Without padding, the digit never makes a string of 20,000 7-byte values longer than the bound of
 * lib/messages.ts (the padded length).
 */

const MAX_BYTES = 7;
/**
 * The bound of lib/messages.ts on a block's values. Its schema bounds a packed string's length for
 * 7-byte values, so narrower strings could hold more: the count is checked here, when unpacking.
 */
const MAX_VALUES = 20_000;
/** Fingerprints are below 2^53 (list-schema `bits` <= 53): the top byte of 7 is below 0x20. */
const TOP_LIMIT = 0x20;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ENCODE = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
/** Characters per String.fromCharCode call: an argument list, so bounded. */
const CHUNK = 0x2000;

// Scratch reused across calls: a page packs thousands of blocks, and a new buffer each time was
// garbage for the collector to pay for.
let bytes = new Uint8Array(1 << 12);
let chars = new Uint8Array(1 << 12);

function widthOf(values: ArrayLike<number>, count: number): number {
  let max = 0;
  for (let i = 0; i < count; i++) if (values[i]! > max) max = values[i]!;
  let width = 1;
  while (width < MAX_BYTES && max >= 2 ** (8 * width)) width++;
  return width;
}

/** The first `count` (default all) of `values`, packed. */
export function packFingerprints(values: ArrayLike<number>, count = values.length): string {
  const width = widthOf(values, count);
  const byteLength = count * width;
  if (bytes.length < byteLength) bytes = new Uint8Array(Math.max(byteLength, bytes.length * 2));
  const b = bytes;
  for (let i = 0, o = 0; i < count; i++) {
    const v = values[i]!;
    let lo = v >>> 0;
    let hi = (v - lo) / 0x100000000;
    // Last byte first: the low 32 bits, then what is left of the high ones.
    for (let j = o + width - 1; j >= o; j--) {
      b[j] = lo & 0xff;
      lo = (lo >>> 8) | ((hi & 0xff) << 24);
      hi >>>= 8;
    }
    o += width;
  }
  const charLength = Math.ceil((byteLength * 4) / 3);
  if (chars.length < charLength) chars = new Uint8Array(Math.max(charLength, chars.length * 2));
  const c = chars;
  let o = 0;
  let i = 0;
  for (; i + 2 < byteLength; i += 3) {
    const triple = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    c[o++] = ENCODE[triple >>> 18]!;
    c[o++] = ENCODE[(triple >>> 12) & 63]!;
    c[o++] = ENCODE[(triple >>> 6) & 63]!;
    c[o++] = ENCODE[triple & 63]!;
  }
  if (i < byteLength) {
    const triple = (b[i]! << 16) | (i + 1 < byteLength ? b[i + 1]! << 8 : 0);
    c[o++] = ENCODE[triple >>> 18]!;
    c[o++] = ENCODE[(triple >>> 12) & 63]!;
    if (i + 1 < byteLength) c[o++] = ENCODE[(triple >>> 6) & 63]!;
  }
  let packed = String(width);
  // apply() with a typed array: spreading it goes through the iterator, several times slower.
  for (let at = 0; at < o; at += CHUNK)
    packed += String.fromCharCode.apply(null, c.subarray(at, Math.min(at + CHUNK, o)) as unknown as number[]);
  return packed;
}

/**
 * The values of a packed string; null when it is not one (bad digit, base64 or length, a value >= 2^53)
 * or holds more than 20,000 values.
 */
export function unpackFingerprints(packed: string): number[] | null {
  const width = packed.charCodeAt(0) - 0x30;
  if (!(width >= 1 && width <= MAX_BYTES)) return null;
  const length = packed.length - 1;
  if (length % 4 === 1) return null;
  const byteLength = Math.floor((length * 3) / 4);
  if (byteLength % width !== 0 || byteLength / width > MAX_VALUES) return null;
  const b = new Uint8Array(byteLength + 2);
  for (let i = 0, o = 0; i < length; i += 4, o += 3) {
    let triple = 0;
    const end = Math.min(i + 4, length);
    for (let j = i; j < i + 4; j++) {
      const code = j < end ? packed.charCodeAt(j + 1) : 0x41; // 'A' = 0 stands in for the missing padding
      const sextet = code < 128 ? DECODE[code]! : -1;
      if (sextet < 0) return null;
      triple = (triple << 6) | sextet;
    }
    b[o] = triple >>> 16;
    b[o + 1] = (triple >>> 8) & 0xff;
    b[o + 2] = triple & 0xff;
  }
  const out = new Array<number>(byteLength / width);
  for (let i = 0, o = 0; o < byteLength; i++, o += width) {
    if (width === MAX_BYTES && b[o]! >= TOP_LIMIT) return null;
    let v = 0;
    for (let j = o; j < o + width; j++) v = v * 256 + b[j]!;
    out[i] = v;
  }
  return out;
}

/** A block's features with each fingerprint list packed, as the content script sends them. */
export interface PackedBlockFeatures {
  hashtags: string[];
  urls: string[];
  fingerprints: Record<string, number[] | string>;
}

export function packBlockFeatures(f: BlockFeatures): PackedBlockFeatures {
  const fingerprints: Record<string, string> = {};
  for (const [key, values] of Object.entries(f.fingerprints)) fingerprints[key] = packFingerprints(values);
  return { hashtags: f.hashtags, urls: f.urls, fingerprints };
}

/** The features a lookup carries, lists packed or not; a malformed packed list is refused. */
export function unpackBlockFeatures(f: PackedBlockFeatures): BlockFeatures {
  const fingerprints: Record<string, number[]> = {};
  for (const [key, values] of Object.entries(f.fingerprints)) {
    const unpacked = typeof values === 'string' ? unpackFingerprints(values) : values;
    if (!unpacked) throw new LeakwatchError('bad-input', 'malformed packed fingerprints');
    fingerprints[key] = unpacked;
  }
  return { hashtags: f.hashtags, urls: f.urls, fingerprints };
}
