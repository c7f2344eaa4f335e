import { LeakwatchError } from './errors';
import type { FingerprintParams } from './list-schema';
import { tokenise } from './normalise';
import { shingleFingerprints, winnow } from './shingle';

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

export function withoutRoutingLines(text: string): string {
  return text
    .split('\n')
    .filter((line) => !ROUTING_LINE.test(line))
    .join('\n');
}

/**
 * Accumulates 64-bit-hash fingerprints at full precision (53 bits) while documents stream in;
 * `finish` truncates them to the final width, which depends on how many there are.
 */
export class FingerprintSetBuilder {
  private readonly docFrequency = new Map<number, number>();
  private readonly background = new Set<number>();
  readonly stats: BuildStats = { documents: 0, words: 0, droppedBackground: 0, droppedCommon: 0 };

  constructor(private readonly params: { k: number; w: number }) {}

  addDocument(text: string): void {
    const tokens = tokenise(withoutRoutingLines(text));
    this.stats.documents++;
    this.stats.words += tokens.length;
    if (tokens.length === 0) return;
    const selected = winnow(shingleFingerprints(tokens, this.params.k, 53), this.params.w);
    for (const fp of new Set(selected)) this.docFrequency.set(fp, (this.docFrequency.get(fp) ?? 0) + 1);
  }

  /** Background text: every shingle counts, not just the winnowed ones. */
  addBackground(text: string): void {
    for (const fp of shingleFingerprints(tokenise(text), this.params.k, 53)) this.background.add(fp);
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
    const kept: number[] = [];
    for (const [fp, df] of this.docFrequency) {
      if (this.background.has(fp)) this.stats.droppedBackground++;
      else if (df > commonLimit) this.stats.droppedCommon++;
      else kept.push(fp);
    }
    const bits = bitsFor(kept.length);
    const shift = 2 ** (53 - bits);
    const truncated = Float64Array.from(new Set(kept.map((fp) => Math.floor(fp / shift)))).sort();
    return {
      params: { algorithm: 'lw-shingle64-v1', k: this.params.k, w: this.params.w, bits, threshold, minWords },
      fingerprints: truncated,
    };
  }
}
