import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestSchema } from '../../lib/messages';
import {
  packBlockFeatures,
  packFingerprints,
  unpackBlockFeatures,
  unpackFingerprints,
} from '../../lib/packed-fingerprints';

describe('packed fingerprints', () => {
  it('round-trips any list of fingerprints below 2^53', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { maxLength: 300 }),
        (values) => {
          expect(unpackFingerprints(packFingerprints(values))).toEqual(values);
        },
      ),
      { numRuns: 500 },
    );
    const many = Array.from({ length: 20_000 }, (_, i) => i * 450_359_962_737 + 7);
    expect(unpackFingerprints(packFingerprints(many))).toEqual(many);
  });

  it('takes the fewest bytes per value that hold the largest one', () => {
    // digit, then ceil(count * width * 4 / 3) base64 characters
    expect(packFingerprints([])).toBe('1');
    expect(packFingerprints([0, 255])).toBe('1AP8');
    expect(packFingerprints([256])).toMatch(/^2[A-Za-z0-9+/]{3}$/);
    expect(packFingerprints([2 ** 40 - 1, 3])).toMatch(/^5[A-Za-z0-9+/]{14}$/);
    expect(packFingerprints([Number.MAX_SAFE_INTEGER])).toMatch(/^7[A-Za-z0-9+/]{10}$/);
    // the first `count` values only: the scanner packs from a reused buffer
    expect(unpackFingerprints(packFingerprints([7, 8, 2 ** 45], 2))).toEqual([7, 8]);
  });

  it('refuses what is not a packed list', () => {
    expect(unpackFingerprints('not base64!')).toBeNull();
    expect(unpackFingerprints('')).toBeNull();
    expect(unpackFingerprints('8AAAA')).toBeNull(); // 8 bytes a value: not a fingerprint
    expect(unpackFingerprints('0')).toBeNull();
    expect(unpackFingerprints('7MTIzNDU2')).toBeNull(); // 6 bytes: not a whole value
    expect(unpackFingerprints('2AAA=')).toBeNull(); // padding is not part of the format
    expect(unpackFingerprints('1AAAAA')).toBeNull(); // 5 characters: not whole bytes
    expect(unpackFingerprints('2AA\u00e9A')).toBeNull();
    expect(unpackFingerprints(`7${btoa('\x20\0\0\0\0\0\0').replace(/=+$/, '')}`)).toBeNull(); // 2^53
    expect(unpackFingerprints(`7${btoa('\x1f\xff\xff\xff\xff\xff\xff').replace(/=+$/, '')}`)).toEqual([
      Number.MAX_SAFE_INTEGER,
    ]);
    expect(() =>
      unpackBlockFeatures({ hashtags: [], urls: [], fingerprints: { k: btoa('\xff\0\0\0\0\0\0') } }),
    ).toThrow(/malformed packed fingerprints/);
  });

  it('makes lookups the background accepts, up to 20,000 values a block', () => {
    const widest = packBlockFeatures({
      hashtags: [],
      urls: [],
      fingerprints: { k: Array.from({ length: 20_000 }, (_, i) => Number.MAX_SAFE_INTEGER - i) },
    });
    expect(requestSchema.safeParse({ type: 'lookup', blocks: [widest] }).success).toBe(true);
    const features = {
      hashtags: ['macronleaks'],
      urls: [],
      fingerprints: { 'lw-shingle64-v1:5:2:40': Array.from({ length: 20_000 }, (_, i) => i * 54_975_581) },
    };
    const packed = packBlockFeatures(features);
    expect(requestSchema.safeParse({ type: 'lookup', blocks: [packed] }).success).toBe(true);
    expect(unpackBlockFeatures(packed)).toEqual(features);
    const tooMany = packBlockFeatures({
      ...features,
      fingerprints: { k: Array.from({ length: 20_001 }, () => 2 ** 50) },
    });
    expect(requestSchema.safeParse({ type: 'lookup', blocks: [tooMany] }).success).toBe(false);
    // Narrow values fit more in the schema's length: unpacking refuses past 20,000.
    const tooManyNarrow = packBlockFeatures({ ...features, fingerprints: { k: new Array(20_001).fill(1) } });
    expect(requestSchema.safeParse({ type: 'lookup', blocks: [tooManyNarrow] }).success).toBe(true);
    expect(() => unpackBlockFeatures(tooManyNarrow)).toThrow(/malformed packed fingerprints/);
    expect(
      requestSchema.safeParse({ type: 'lookup', blocks: [{ ...features, fingerprints: { k: '<script>' } }] })
        .success,
    ).toBe(false);
  });
});
