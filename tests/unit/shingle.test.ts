import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fmix32,
  shingleFingerprints,
  shingleHashes,
  shingleHashesInto,
  shingleProbesInto,
  tokenLanesOf,
  topBits,
  winnow,
} from '../../utils/shingle';

const hex = (h: Uint32Array) => [...h].map((x) => x.toString(16).padStart(8, '0')).join('');

describe('lw-shingle64-v1', () => {
  it('matches the pinned test vectors (any change to the hash breaks every published list)', () => {
    expect(hex(shingleHashes(['the', 'quick', 'brown', 'fox', 'jumps'], 5))).toBe(VECTORS.fox);
    expect(hex(shingleHashes(['election', 'presidentielle', '2017'], 5))).toBe(VECTORS.short);
    expect(hex(shingleHashes(['a', 'b', 'c', 'd', 'e', 'f'], 5))).toBe(VECTORS.two);
    expect(hex(shingleHashes(['ελληνικά', '日本語', 'emoji😀'], 2))).toBe(VECTORS.unicode);
  });

  it('gives one shingle per window of k tokens, and one for a text shorter than k', () => {
    expect(shingleHashes(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 5).length).toBe(3 * 2);
    expect(shingleHashes(['a', 'b'], 5).length).toBe(2);
    expect(shingleHashes([], 5).length).toBe(0);
  });

  it('depends on order and on every token', () => {
    const a = hex(shingleHashes(['a', 'b', 'c', 'd', 'e'], 5));
    expect(hex(shingleHashes(['b', 'a', 'c', 'd', 'e'], 5))).not.toBe(a);
    expect(hex(shingleHashes(['a', 'b', 'c', 'd', 'f'], 5))).not.toBe(a);
    expect(hex(shingleHashes(['ab', 'c', 'd', 'e', 'f'], 5))).not.toBe(
      hex(shingleHashes(['a', 'bc', 'd', 'e', 'f'], 5)),
    );
  });

  it('truncates to the top bits consistently at every width', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 24, max: 52 }),
        (hi, lo, bits) => {
          expect(Math.floor(topBits(hi, lo, bits + 1) / 2)).toBe(topBits(hi, lo, bits));
          expect(topBits(hi, lo, bits)).toBeLessThan(2 ** bits);
        },
      ),
    );
  });

  it('winnowing guarantee: any shared run of >= w + k - 1 words shares a kept fingerprint', () => {
    const word = fc.constantFrom(
      ...'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor'.split(' '),
    );
    fc.assert(
      fc.property(
        fc.array(word, { maxLength: 40 }),
        fc.array(word, { maxLength: 40 }),
        fc.array(word, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 2, max: 7 }),
        fc.integer({ min: 1, max: 8 }),
        (before, after, shared, k, w) => {
          const t = w + k - 1;
          fc.pre(shared.length >= t);
          const doc = winnow(shingleFingerprints([...before, ...shared, ...after], k, 53), w);
          const post = new Set(shingleFingerprints(shared, k, 53));
          expect([...doc].some((fp) => post.has(fp))).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('gives, in scratch, the pairs of shingleHashes, or (hi, b) pairs with lo = fmix32(b ^ hi)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        (tokens, k) => {
          const want = Array.from(shingleHashes(tokens, k));
          const lanes = tokenLanesOf(tokens);
          expect(Array.from(shingleHashesInto(lanes, tokens.length, k).subarray(0, want.length))).toEqual(
            want,
          );
          const probes = Array.from(shingleProbesInto(lanes, tokens.length, k).subarray(0, want.length));
          const finished = probes.map((v, i) => (i % 2 === 0 ? v : fmix32(v ^ probes[i - 1]!)));
          expect(finished).toEqual(want);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps about 2 / (w + 1) of the fingerprints of random text', () => {
    const tokens = Array.from({ length: 20_000 }, (_, i) => `w${(i * 2654435761) % 100_003}`);
    const all = shingleFingerprints(tokens, 5, 53);
    const kept = winnow(all, 4);
    expect(kept.length / all.length).toBeGreaterThan(0.36);
    expect(kept.length / all.length).toBeLessThan(0.44);
  });
});

const VECTORS = {
  fox: '3b861696a3ad8bbc',
  short: 'fdf4658b4e417f06',
  two: '4cc46eb9dfb712fb262fc86881c5ef6b',
  unicode: '2482f50ffa0a434111ab9cb541e4de0c',
};
