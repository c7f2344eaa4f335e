import { LeakwatchError } from './errors';
import type { FingerprintParams } from './list-schema';
import { fingerprintsInto, winnowInto } from './shingle';
import { scanText } from './text-scan';

/**
 * Turning documents into a fingerprint set. The false-alarm arithmetic behind `bitsFor` is in the
 * README ("Fingerprints"): with n stored fingerprints and b = ceil(log2 n) + 20 bits, one looked-up
 * shingle hits by chance with probability n / 2^b <= 2^-20, so a block of m shingles reaches even
 * 2 chance hits with probability about m^2/2 * 2^-40 (< 1e-6 below 1,000 shingles, where
 * requiredMatches() starts asking for more); the default threshold asks for 5.
 */

/**
 * Defaults measured on the Enron sample (tests/unit/detection.test.ts, README "Detection"): k = 5,
 * w = 2 keeps 2/3 of the shingles, and a block is flagged when at least 5 distinct fingerprints of
 * one entry match and together cover at least 13 words. Common phrases ("please let me know as
 * soon as possible") match a few fingerprints over 8 or 9 words and stay below that bar.
 */
export const DEFAULT_K = 5;
export const DEFAULT_W = 2;
export const DEFAULT_THRESHOLD = 5;
export const DEFAULT_MIN_WORDS = 13;
const COLLISION_BITS = 20;

export function bitsFor(fingerprintCount: number): number {
  const needed = Math.ceil(Math.log2(Math.max(2, fingerprintCount))) + COLLISION_BITS;
  return Math.min(53, Math.max(32, needed));
}

export interface BuildStats {
  documents: number;
  words: number;
  /** Winnowed fingerprints dropped because ordinary (background) text has them too. */
  droppedBackground: number;
  /** Dropped because they recur in too many leak documents (boilerplate of the leak itself). */
  droppedCommon: number;
}

/**
 * Header and routing lines (From:, To:, Cc:, "forwarded by", address lists) recur in every message
 * of a mailbox, so ordinary mail from the same organisation shares them: they identify the
 * mailbox, not the leak. They are left out of the fingerprints.
 */
const ROUTING_LINE =
  /^\s*(?:>\s*)*(?:from|to|cc|bcc|sent|date|de|à|envoyé|reply-to)\s*:|\bforwarded by\b|\boriginal message\b|\bmessage d'origine\b/i;

const ANY_ROUTING_LINE = new RegExp(ROUTING_LINE.source, 'im');

export function withoutRoutingLines(text: string): string {
  // Most documents (attachments, notes) have none: skip splitting them into lines.
  if (!ANY_ROUTING_LINE.test(text)) return text;
  return text
    .split('\n')
    .filter((line) => !ROUTING_LINE.test(line))
    .join('\n');
}

/**
 * Append-only storage of fingerprints in chunks. Leak-scale builds outgrow what a Map or Set may
 * hold (2^24 keys), and a single array grown by doubling wrote every value twice, into memory
 * touched for the first time each time: on the machines measured here a fresh page costs about
 * 15 microseconds, which made memory, not hashing, the cost of a build.
 */
class ChunkedFloat64 {
  private chunks: Float64Array[] = [];
  private current = new Float64Array(0);
  /** Values in `current`. */
  used = 0;
  /** Values in all chunks. */
  length = 0;

  /** Appends the first `n` of `values`. */
  push(values: Float64Array, n: number): void {
    const into = this.reserve(n);
    into.set(values.subarray(0, n), this.used);
    this.commit(n);
  }

  /** The current chunk, with room for `count` more values after `used`, for writing in place; then commit(). */
  reserve(count: number): Float64Array {
    if (this.used + count > this.current.length) {
      if (this.used > 0) this.chunks.push(this.current.subarray(0, this.used));
      this.current = new Float64Array(Math.max(CHUNK_VALUES, count));
      this.used = 0;
    }
    return this.current;
  }

  commit(count: number): void {
    this.used += count;
    this.length += count;
  }

  /**
   * The values, sorted, in an array of their own with room for `room` more values after them
   * (pages never written cost nothing); this store is left empty.
   */
  takeSorted(room = 0): Float64Array {
    if (this.used > 0) this.chunks.push(this.current.subarray(0, this.used));
    const sorted = sortFingerprintChunks(this.chunks, room);
    this.chunks = [];
    this.current = new Float64Array(0);
    this.used = 0;
    this.length = 0;
    return sorted;
  }
}

/** 8 MB: few enough chunks to sort from, small enough that the last one's unused tail is no waste. */
const CHUNK_VALUES = 1 << 20;

const SMALL_SORT = 4096;
/** Buckets this small are insertion-sorted as they are; bigger ones are first split again. */
const INSERTION_SORT = 16;
/** Buckets past this size (values clustered, not hashes) go to the built-in sort. */
const MAX_SPLIT = 1024;
const SPLIT_BITS = 7;

/**
 * A sorted copy of `values`, which must be integers in [0, 2^53): the builder's fingerprints are
 * hashes, spread evenly enough that one scatter on their top bits leaves buckets of about a hundred
 * values, which a second, in-cache scatter on the next 7 bits and an insertion sort finish. On
 * 6.6M fingerprints that takes about 0.45 s against the built-in sort's 1 s (loaded 2-core
 * machine), and the copy is exactly as long as the data (a worker transfers it as it is).
 */
export function sortFingerprints(values: Float64Array): Float64Array {
  return sortFingerprintChunks([values], 0);
}

/** sortFingerprints() of the values of all `chunks` together, into an array with `room` spare values after them. */
function sortFingerprintChunks(chunks: readonly Float64Array[], room: number): Float64Array {
  const n = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  if (n < SMALL_SORT) {
    const small = new Float64Array(n + room);
    let at = 0;
    for (const chunk of chunks) {
      small.set(chunk, at);
      at += chunk.length;
    }
    return small.subarray(0, n).sort();
  }
  const bucketBits = Math.min(16, Math.ceil(Math.log2(n)) - 6);
  const buckets = 1 << bucketBits;
  const scale = 2 ** (53 - bucketBits);
  // A power of two: multiplying by the inverse is exact, and cheaper than dividing.
  const inverse = 1 / scale;
  const starts = new Uint32Array(buckets + 1);
  for (const values of chunks)
    for (let i = 0; i < values.length; i++) starts[Math.floor(values[i]! * inverse) + 1]!++;
  for (let d = 0; d < buckets; d++) starts[d + 1]! += starts[d]!;
  const next = starts.slice(0, buckets);
  const out = new Float64Array(n + room);
  for (const values of chunks) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      out[next[Math.floor(v * inverse)]!++] = v;
    }
  }
  const split = new Float64Array(MAX_SPLIT);
  const splitStarts = new Uint32Array((1 << SPLIT_BITS) + 1);
  const splitScale = scale / (1 << SPLIT_BITS);
  for (let d = 0; d < buckets; d++) {
    const start = starts[d]!;
    const end = starts[d + 1]!;
    const size = end - start;
    if (size <= INSERTION_SORT) {
      insertionSort(out, start, end);
    } else if (size > MAX_SPLIT) {
      out.subarray(start, end).sort();
    } else {
      const base = d * scale;
      splitStarts.fill(0);
      for (let i = start; i < end; i++) splitStarts[Math.floor((out[i]! - base) / splitScale) + 1]!++;
      for (let c = 0; c < 1 << SPLIT_BITS; c++) splitStarts[c + 1]! += splitStarts[c]!;
      for (let i = start; i < end; i++) {
        const v = out[i]!;
        split[splitStarts[Math.floor((v - base) / splitScale)]!++] = v;
      }
      // In order of the next 7 bits already: insertion only moves values within their sub-bucket.
      insertionSort(split, 0, size);
      out.set(split.subarray(0, size), start);
    }
  }
  return out.subarray(0, n);
}

function insertionSort(values: Float64Array, start: number, end: number): void {
  for (let i = start + 1; i < end; i++) {
    const v = values[i]!;
    let j = i - 1;
    while (j >= start && values[j]! > v) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = v;
  }
}

/**
 * One sorted array from sorted runs. When a run's buffer has room after it for all the others (the
 * main thread sorts its share into such a buffer), they are merged into it from the back, which
 * never overwrites a value not yet read, and no new memory is touched; otherwise into a new array.
 */
function mergeRuns(runs: Float64Array[]): Float64Array {
  const nonEmpty = runs.filter((run) => run.length > 0);
  if (nonEmpty.length === 0) return new Float64Array(0);
  const total = nonEmpty.reduce((sum, run) => sum + run.length, 0);
  const host = nonEmpty.find((run) => run.buffer.byteLength - run.byteOffset >= total * 8);
  if (host === undefined) {
    let round = nonEmpty;
    while (round.length > 1) {
      const next: Float64Array[] = [];
      for (let i = 0; i < round.length; i += 2)
        next.push(i + 1 < round.length ? mergeSorted(round[i]!, round[i + 1]!) : round[i]!);
      round = next;
    }
    return round[0]!;
  }
  let merged = host;
  for (const run of nonEmpty) {
    if (run === host) continue;
    const into = new Float64Array(host.buffer, host.byteOffset, merged.length + run.length);
    mergeFromBack(merged, run, into);
    merged = into;
  }
  return merged;
}

/** One sorted array of two sorted ones, in new memory. */
export function mergeSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! <= b[j]! ? a[i++]! : b[j++]!;
  out.set(a.subarray(i), k);
  out.set(b.subarray(j), k + a.length - i);
  return out;
}

/** Merges `a` (which `into` starts with, in the same memory) and `b` into `into`, largest first. */
function mergeFromBack(a: Float64Array, b: Float64Array, into: Float64Array): void {
  let i = a.length - 1;
  let j = b.length - 1;
  let k = into.length - 1;
  while (j >= 0) into[k--] = i >= 0 && a[i]! > b[j]! ? a[i--]! : b[j--]!;
}

/** Sorted values with equal neighbours merged, in place. */
export function distinct(sorted: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < sorted.length; i++)
    if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  return sorted.subarray(0, n);
}

/**
 * Each document counts a fingerprint once. An open-addressing set, reused from document to
 * document, finds its distinct fingerprints more cheaply than sorting each document would.
 */
class DocumentFingerprints {
  private slots = new Float64Array(1 << 12);

  /** Appends the distinct values among the first `n` of `fingerprints` to `into`. */
  pushDistinct(fingerprints: Float64Array, n: number, into: ChunkedFloat64): void {
    const size = 2 ** Math.ceil(Math.log2(Math.max(2, n * 2)));
    if (this.slots.length < size) this.slots = new Float64Array(size);
    const slots = this.slots;
    const empty = -1;
    slots.fill(empty, 0, size);
    const mask = size - 1;
    const out = into.reserve(n);
    const start = into.used;
    let length = start;
    for (let i = 0; i < n; i++) {
      const fp = fingerprints[i]!;
      // The low 32 bits of a 53-bit hash are as uniform as any.
      let slot = (fp >>> 0) & mask;
      while (slots[slot] !== empty && slots[slot] !== fp) slot = (slot + 1) & mask;
      if (slots[slot] === empty) {
        slots[slot] = fp;
        out[length++] = fp;
      }
    }
    into.commit(length - start);
  }
}

/** Reused per document: one fresh array of every shingle per document kept the GC busy. */
let shingles = new Float64Array(1 << 12);
let winnowed = new Float64Array(1 << 12);

/** Every shingle's fingerprint at full precision (53 bits), in `shingles`; how many, and the document's words. */
function fullFingerprints(text: string, k: number): { words: number; count: number } {
  const scanned = scanText(text);
  if (shingles.length < scanned.tokenCount) shingles = new Float64Array(scanned.tokenCount * 2);
  const count = fingerprintsInto(scanned.lanes, scanned.tokenCount, k, 53, shingles);
  return { words: scanned.tokenCount, count };
}

/**
 * What a builder has accumulated, sorted: the form in which one builder hands its work to another
 * (a build worker to the main thread, as transferable typed arrays).
 */
export interface SortedBuilderState {
  /** Every document's distinct fingerprints, pooled and sorted: a value's run length is its document frequency. */
  documentFingerprints: Float64Array;
  /** Distinct background fingerprints, sorted. */
  background: Float64Array;
  documents: number;
  words: number;
}

/**
 * Accumulates 64-bit-hash fingerprints at full precision (53 bits) while documents stream in;
 * `finish` truncates them to the final width, which depends on how many there are. Each document
 * adds its distinct fingerprints once, so in sorted order a run's length is a document frequency.
 * Builders in several threads each sort their own share (`takeSortedState`); one of them absorbs
 * the others' and `finish` merges the sorted runs, so one build and a split build give the same list.
 */
export class FingerprintSetBuilder {
  private documentFingerprints = new ChunkedFloat64();
  private background = new ChunkedFloat64();
  private readonly perDocument = new DocumentFingerprints();
  private absorbed: SortedBuilderState[] = [];
  /** Counts everything added or absorbed, including what takeSortedState() has handed over. */
  readonly stats: BuildStats = { documents: 0, words: 0, droppedBackground: 0, droppedCommon: 0 };

  constructor(private readonly params: { k: number; w: number }) {
    // Checked before any document is read: a build of a whole leak should not fail at the end.
    if (params.k < 2 || params.w < 1) throw new LeakwatchError('bad-input', 'k must be >= 2 and w >= 1');
  }

  addDocument(text: string): void {
    const { words, count } = fullFingerprints(withoutRoutingLines(text), this.params.k);
    this.stats.documents++;
    this.stats.words += words;
    if (count === 0) return;
    if (winnowed.length < count) winnowed = new Float64Array(count * 2);
    const kept = winnowInto(shingles, count, this.params.w, winnowed);
    this.perDocument.pushDistinct(winnowed, kept, this.documentFingerprints);
  }

  /** Background text: every shingle counts, not just the winnowed ones. */
  addBackground(text: string): void {
    const { count } = fullFingerprints(text, this.params.k);
    this.background.push(shingles, count);
  }

  /**
   * What this builder has added, sorted, for another builder's absorb(); its accumulations are left
   * empty. With `othersPerOwn`, the document fingerprints sit in a buffer with room for about that
   * many times as many again (the other threads' shares), so finish() can merge into it in place.
   */
  takeSortedState(othersPerOwn = 0): SortedBuilderState {
    const own = this.documentFingerprints.length;
    // A fifth more than the estimate, and at least a chunk: reserved pages that are never written cost nothing.
    const room = othersPerOwn > 0 ? Math.ceil(own * othersPerOwn * 1.2) + CHUNK_VALUES : 0;
    return {
      documentFingerprints: this.documentFingerprints.takeSorted(room),
      background: distinct(this.background.takeSorted()),
      documents: this.stats.documents,
      words: this.stats.words,
    };
  }

  /** Takes in another builder's sorted state (and its arrays: finish() reuses them in place) to merge with this one's. */
  absorb(state: SortedBuilderState): void {
    this.stats.documents += state.documents;
    this.stats.words += state.words;
    this.absorbed.push(state);
  }

  finish(
    threshold = DEFAULT_THRESHOLD,
    minWords = DEFAULT_MIN_WORDS,
  ): { params: FingerprintParams; fingerprints: Float64Array } {
    const states = [this.takeSortedState(), ...this.absorbed];
    this.absorbed = [];
    const all = mergeRuns(states.map((state) => state.documentFingerprints));
    const background = distinct(mergeRuns(states.map((state) => state.background)));
    // Nothing else holds the runs once merged: they may be collected during the loop below.
    states.length = 0;
    // A passage found in more than 1 % of the leak (and in at least 10 documents) is its boilerplate:
    // signatures, disclaimers, routing lines. It would match ordinary mail from the same place.
    const commonLimit = Math.max(10, Math.ceil(this.stats.documents / 100));
    // Kept fingerprints overwrite `all` from the start: the write never overtakes the read.
    let count = 0;
    let b = 0;
    for (let i = 0; i < all.length; ) {
      const fp = all[i]!;
      let end = i + 1;
      while (end < all.length && all[end] === fp) end++;
      while (b < background.length && background[b]! < fp) b++;
      if (b < background.length && background[b] === fp) this.stats.droppedBackground++;
      else if (end - i > commonLimit) this.stats.droppedCommon++;
      else all[count++] = fp;
      i = end;
    }
    const bits = bitsFor(count);
    const shift = 2 ** (53 - bits);
    // Sorted input stays sorted under truncation; equal neighbours merge.
    for (let i = 0; i < count; i++) all[i] = Math.floor(all[i]! / shift);
    return {
      params: { algorithm: 'lw-shingle64-v1', k: this.params.k, w: this.params.w, bits, threshold, minWords },
      fingerprints: distinct(all.subarray(0, count)),
    };
  }
}
