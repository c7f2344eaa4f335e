import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitsFor } from '../../utils/builder';
import { canonicalJson } from '../../utils/canonical-json';
import { openSignedList } from '../../utils/envelope';
import { LeakwatchError } from '../../utils/errors';
import { decodeList, encodeList } from '../../utils/list-format';
import { riceDecode, riceEncode, riceParameter } from '../../utils/rice';
import { makeKey, makeList, signed } from './helpers/make-list';

const sortedSet = fc
  .uniqueArray(fc.integer({ min: 0, max: 2 ** 40 - 1 }), { maxLength: 300 })
  .map((a) => Float64Array.from(a.sort((x, y) => x - y)));

describe('Rice coding', () => {
  it('round-trips any sorted set', () => {
    fc.assert(
      fc.property(sortedSet, (values) => {
        const p = riceParameter(values);
        expect([...riceDecode(riceEncode(values, p), values.length, p, 2 ** 40)]).toEqual([...values]);
      }),
    );
  });

  it('round-trips with any parameter 0..52 (long unary runs, remainders over 24 bits)', () => {
    const values53 = fc
      .uniqueArray(fc.maxSafeNat(), { maxLength: 40 })
      .map((a) => Float64Array.from(a.sort((x, y) => x - y)));
    fc.assert(
      fc.property(fc.oneof(sortedSet, values53), fc.integer({ min: 0, max: 52 }), (values, p) => {
        // A small parameter on widely spread values makes unary runs of thousands of bits.
        fc.pre(values.length === 0 || values[values.length - 1]! / 2 ** p < 5e5);
        const enc = riceEncode(values, p);
        expect([...riceDecode(enc, values.length, p, 2 ** 53)]).toEqual([...values]);
        if (enc.length > 0) {
          expect(() => riceDecode(enc.subarray(0, enc.length - 1), values.length, p, 2 ** 53)).toThrow(
            LeakwatchError,
          );
        }
      }),
      { numRuns: 400 },
    );
  });

  it('costs under 3 bytes per fingerprint at the default width', () => {
    const n = 100_000;
    const bits = bitsFor(n);
    const set = new Set<number>();
    let x = 12345;
    while (set.size < n) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const high = x;
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      set.add(Math.floor(((high >>> 8) * 2 ** 24 + (x >>> 8)) / 2 ** (48 - bits)));
    }
    const values = Float64Array.from([...set].sort((a, b) => a - b));
    const bytes = riceEncode(values, riceParameter(values)).length;
    expect(bytes / n).toBeLessThan(3);
  });

  it('refuses trailing bytes, non-zero padding and values out of range', () => {
    const values = Float64Array.from([1, 5, 9]);
    const enc = riceEncode(values, 1);
    expect(() => riceDecode(new Uint8Array([...enc, 0]), 3, 1, 100)).toThrow(/extra bytes/);
    expect(() => riceDecode(enc, 3, 1, 9)).toThrow(/out of range/);
    expect(() => riceDecode(enc.subarray(0, enc.length - 1), 3, 1, 100)).toThrow(LeakwatchError);
  });
});

describe('list payload', () => {
  it('round-trips and is deterministic', () => {
    const list = makeList();
    const a = encodeList(list);
    expect(encodeList(decodeList(a))).toEqual(a);
    expect(decodeList(a).meta).toEqual(list.meta);
    expect([...decodeList(a).fingerprints[0]!]).toEqual([...list.fingerprints[0]!]);
  });

  it('stores metadata as canonical JSON and refuses any other spelling of it', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'] })).toBe('{"a":[true,null,"x"],"b":1}');
    const bytes = encodeList(makeList());
    const metaLength = new DataView(bytes.buffer).getUint32(4);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + metaLength));
    const spaced = new TextEncoder().encode(text.replace('{"contexts"', '{ "contexts"'));
    const altered = new Uint8Array(bytes.length + 1);
    altered.set(bytes.subarray(0, 4));
    new DataView(altered.buffer).setUint32(4, metaLength + 1);
    altered.set(spaced, 8);
    altered.set(bytes.subarray(8 + metaLength), 9 + metaLength);
    expect(() => decodeList(altered)).toThrow(/canonical/);
  });

  it('refuses unknown fields, wrong types and huge strings with one-line reasons', () => {
    const bad = (meta: Record<string, unknown>) => {
      const list = makeList();
      const json = canonicalJson({ ...list.meta, ...meta });
      const metaBytes = new TextEncoder().encode(json);
      const good = encodeList(list);
      const oldLen = new DataView(good.buffer).getUint32(4);
      const out = new Uint8Array(8 + metaBytes.length + good.length - 8 - oldLen);
      out.set(good.subarray(0, 4));
      new DataView(out.buffer).setUint32(4, metaBytes.length);
      out.set(metaBytes, 8);
      out.set(good.subarray(8 + oldLen), 8 + metaBytes.length);
      return () => decodeList(out);
    };
    expect(bad({ extra: 1 })).toThrow(/invalid list/);
    expect(bad({ version: '5' })).toThrow(/version/);
    expect(bad({ listId: 'x'.repeat(100_000) })).toThrow(/listId/);
    expect(bad({ expiresAt: '2020-01-01T00:00:00Z' })).toThrow(/expiresAt/);
  });
});

describe('signed list', () => {
  it('opens with the right key and refuses every single-byte change', async () => {
    const key = await makeKey();
    const bytes = await signed(makeList(), key);
    const now = Date.parse('2026-06-01T00:00:00Z');
    const ok = await openSignedList(bytes, { trustedKeys: [key.trusted], now });
    expect(ok.list.meta.version).toBe(5);
    expect(ok.keyId).toBe(key.trusted.keyId);
    for (let i = 0; i < bytes.length; i++) {
      const b = Uint8Array.from(bytes);
      b[i]! ^= 1 << (i % 8);
      await expect(
        openSignedList(b, { trustedKeys: [key.trusted], now }),
        `byte ${i}`,
      ).rejects.toBeInstanceOf(LeakwatchError);
    }
  });

  it('names each refusal', async () => {
    const key = await makeKey();
    const other = await makeKey();
    const bytes = await signed(makeList(), key);
    const now = Date.parse('2026-06-01T00:00:00Z');
    const open = (b: Uint8Array, extra: object = {}) =>
      openSignedList(b, { trustedKeys: [key.trusted], now, ...extra });
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: LeakwatchError) => e.code,
      );
    expect(await codeOf(openSignedList(bytes, { trustedKeys: [other.trusted], now }))).toBe('unknown-key');
    expect(await codeOf(open(bytes, { minVersion: 6 }))).toBe('rollback');
    expect(await codeOf(open(bytes, { minVersion: 5 }))).toBe('ok');
    expect(await codeOf(open(bytes, { now: Date.parse('2027-01-01T00:00:00Z') }))).toBe('expired');
    expect(await codeOf(open(bytes, { now: Date.parse('2025-01-01T00:00:00Z') }))).toBe('not-yet-valid');
    expect(await codeOf(open(bytes, { maxBytes: bytes.length - 1 }))).toBe('too-large');
    expect(await codeOf(open(bytes.subarray(0, 10)))).toBe('truncated');
    expect(await codeOf(open(bytes.subarray(0, bytes.length - 1)))).toBe('truncated');
    expect(await codeOf(open(new Uint8Array([...bytes, 10])))).toBe('garbled');
    expect(await codeOf(open(new TextEncoder().encode('<html>not found</html>')))).toBe('garbled');
    const sig = Uint8Array.from(bytes);
    sig[sig.length - 1]! ^= 0x80;
    expect(await codeOf(open(sig))).toBe('bad-signature');
  });

  it('never throws anything but a LeakwatchError on random input', async () => {
    const key = await makeKey();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (b) => {
        await expect(openSignedList(b, { trustedKeys: [key.trusted], now: 0 })).rejects.toBeInstanceOf(
          LeakwatchError,
        );
      }),
      { numRuns: 300 },
    );
  });
});
