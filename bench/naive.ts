/**
 * The naive baseline the core is compared with: what one would write first. NFKC + lower-case, a Unicode
 * regex for words, every k-word shingle joined into a string and looked up in a Set of strings. It has no
 * confusable folding, no mark stripping, no hashing, no winnowing: it is only a speed reference.
 */
import { BlockGenerator, rng } from './corpus';

const WORD = /[\p{L}\p{N}]+/gu;

export function naiveTokens(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
}

export class NaiveMatcher {
  private readonly shingles = new Set<string>();
  constructor(private readonly k: number) {}

  get size(): number {
    return this.shingles.size;
  }

  /** Every shingle of `leakBlocks`, then random k-word strings of the same vocabulary up to `total`. */
  fill(leakBlocks: readonly string[], total: number, seed: number): void {
    for (const b of leakBlocks) {
      const t = naiveTokens(b);
      for (let i = 0; i + this.k <= t.length && this.shingles.size < total; i++) {
        this.shingles.add(t.slice(i, i + this.k).join(' '));
      }
    }
    const gen = new BlockGenerator({ seed });
    const random = rng(seed);
    while (this.shingles.size < total) {
      const t = naiveTokens(gen.block(50));
      for (
        let i = 0;
        i + this.k <= t.length && this.shingles.size < total;
        i += 1 + Math.floor(random() * 8)
      ) {
        this.shingles.add(t.slice(i, i + this.k).join(' '));
      }
    }
  }

  /** Number of the block's shingles found in the set. */
  scan(text: string): number {
    const t = naiveTokens(text);
    let hits = 0;
    for (let i = 0; i + this.k <= t.length; i++)
      if (this.shingles.has(t.slice(i, i + this.k).join(' '))) hits++;
    return hits;
  }
}
