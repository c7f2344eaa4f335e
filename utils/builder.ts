import { LeakwatchError } from './errors';
import type { FingerprintParams } from './list-schema';
import { fingerprintsOfLanes, winnow } from './shingle';
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

/** An append-only Float64Array: leak-scale builds outgrow what a Map or Set may hold (2^24 keys). */
class GrowableFloat64 {
  private data = new Float64Array(1 << 16);
  length = 0;

  push(values: ArrayLike<number>): void {
    if (this.length + values.length > this.data.length) {
      const grown = new Float64Array(Math.max(this.length + values.length, this.data.length * 2));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }

  sorted(): Float64Array {
    return this.data.subarray(0, this.length).sort();
  }
}

/** Every shingle's fingerprint at full precision (53 bits), and the word count. */
function fullFingerprints(text: string, k: number): { values: number[]; words: number } {
  const scanned = scanText(text);
  return {
    values: fingerprintsOfLanes(scanned.lanes, scanned.tokenCount, k, 53, []),
    words: scanned.tokenCount,
  };
}

function distinctSorted(values: Float64Array): Float64Array {
  const sorted = values.sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++)
    if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  return sorted.subarray(0, n);
}

/**
 * Accumulates 64-bit-hash fingerprints at full precision (53 bits) while documents stream in;
 * `finish` truncates them to the final width, which depends on how many there are. Each document
 * adds its distinct fingerprints once, so after one sort a run's length is a document frequency.
 */
export class FingerprintSetBuilder {
  private readonly documentFingerprints = new GrowableFloat64();
  private readonly background = new GrowableFloat64();
  readonly stats: BuildStats = { documents: 0, words: 0, droppedBackground: 0, droppedCommon: 0 };

  constructor(private readonly params: { k: number; w: number }) {}

  addDocument(text: string): void {
    const fingerprints = fullFingerprints(withoutRoutingLines(text), this.params.k);
    this.stats.documents++;
    this.stats.words += fingerprints.words;
    if (fingerprints.words === 0) return;
    this.documentFingerprints.push(distinctSorted(winnow(fingerprints.values, this.params.w)));
  }

  /** Background text: every shingle counts, not just the winnowed ones. */
  addBackground(text: string): void {
    this.background.push(fullFingerprints(text, this.params.k).values);
  }

  finish(
    threshold = DEFAULT_THRESHOLD,
    minWords = DEFAULT_MIN_WORDS,
  ): { params: FingerprintParams; fingerprints: Float64Array } {
    if (this.params.k < 2 || this.params.w < 1)
      throw new LeakwatchError('bad-input', 'k must be >= 2 and w >= 1');
    // A passage found in more than 1 % of the leak (and in at least 10 documents) is its boilerplate:
    // signatures, disclaimers, routing lines. It would match ordinary mail from the same place.
    const commonLimit = Math.max(10, Math.ceil(this.stats.documents / 100));
    const all = this.documentFingerprints.sorted();
    const background = this.background.sorted();
    const kept = new Float64Array(all.length);
    let keptCount = 0;
    let b = 0;
    for (let i = 0; i < all.length; ) {
      const fp = all[i]!;
      let end = i + 1;
      while (end < all.length && all[end] === fp) end++;
      while (b < background.length && background[b]! < fp) b++;
      if (b < background.length && background[b] === fp) this.stats.droppedBackground++;
      else if (end - i > commonLimit) this.stats.droppedCommon++;
      else kept[keptCount++] = fp;
      i = end;
    }
    const bits = bitsFor(keptCount);
    const shift = 2 ** (53 - bits);
    // Sorted input stays sorted under truncation; equal neighbours merge.
    const truncated = kept.subarray(0, keptCount).map((fp) => Math.floor(fp / shift));
    let n = 0;
    for (let i = 0; i < truncated.length; i++)
      if (i === 0 || truncated[i] !== truncated[n - 1]) truncated[n++] = truncated[i]!;
    return {
      params: { algorithm: 'lw-shingle64-v1', k: this.params.k, w: this.params.w, bits, threshold, minWords },
      fingerprints: truncated.slice(0, n),
    };
  }
}
