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

  it('refuses what is not a packed list', () => {
    expect(unpackFingerprints('not base64!')).toBeNull();
    expect(unpackFingerprints(btoa('123456'))).toBeNull(); // 6 bytes: not a whole value
    expect(unpackFingerprints(btoa('\x20\0\0\0\0\0\0'))).toBeNull(); // 2^53: not a fingerprint
    expect(() =>
      unpackBlockFeatures({ hashtags: [], urls: [], fingerprints: { k: btoa('\xff\0\0\0\0\0\0') } }),
    ).toThrow(/malformed packed fingerprints/);
  });

  it('makes lookups the background accepts, up to 20,000 values a block', () => {
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
      fingerprints: { k: Array.from({ length: 20_001 }, () => 1) },
    });
    expect(requestSchema.safeParse({ type: 'lookup', blocks: [tooMany] }).success).toBe(false);
    expect(
      requestSchema.safeParse({ type: 'lookup', blocks: [{ ...features, fingerprints: { k: '<script>' } }] })
        .success,
    ).toBe(false);
  });
});
