import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../utils/canonical-json';
import { decodeList, encodeList } from '../../utils/list-format';
import { checkJsonBounds, type DecodedList, type ListEntry } from '../../utils/list-schema';
import { riceDecode, riceEncode, riceParameter } from '../../utils/rice';
import { rng } from './helpers/enron-eval';
import { attempt, check, FuzzCounter, mutate, mutations, sameBytes } from './helpers/fuzz';
import { makeList } from './helpers/make-list';

/**
 * Fuzzing of the list payload decoder and the Rice decoder under it: random bytes and mutations of
 * valid payloads (bit flips, truncation, splices, edits of every length and count field). The
 * decoders may only refuse with a typed error, must refuse a huge declared count before
 * allocating for it, and may only accept the one canonical encoding: whatever decodes re-encodes
 * to exactly the same bytes, so no second spelling of a list can exist.
 */

const counter = new FuzzCounter();
afterAll(() => console.log(counter.summary('fuzz-list')));

/** Valid payloads of varied shape: 1-3 entries, 0-400 fingerprints, widths 24-53 bits, contexts. */
function samplePayloads(): { payload: Uint8Array; fields: number[]; byteFields: number[] }[] {
  const random = rng(7);
  const template = makeList().meta.entries[0]!;
  return Array.from({ length: 16 }, (_, sample) => {
    const bits = 24 + Math.floor(random() * 30);
    const entries: ListEntry[] = [];
    const fingerprints: Float64Array[] = [];
    for (let e = 0; e < 1 + (sample % 3); e++) {
      const size = [0, 1, 3, 40, 400][Math.floor(random() * 5)]!;
      const set = new Set<number>();
      while (set.size < size) set.add(Math.floor(random() * 2 ** bits));
      fingerprints.push(Float64Array.from([...set].sort((a, b) => a - b)));
      entries.push({
        ...template,
        id: `leak-${e}`,
        hashtags: sample % 2 ? ['macronleaks', `tag${e}`] : [],
        urlPatterns: sample % 4 === 0 ? ['leaks.example.net/dump', 'mirror.example/x'] : [],
        fingerprintCount: size,
      });
    }
    const list: DecodedList = makeList({ entries, version: 1 + sample });
    list.meta.fingerprint.bits = bits;
    list.fingerprints = fingerprints;
    const payload = encodeList(list);
    const view = new DataView(payload.buffer);
    const fields = [4];
    const byteFields: number[] = [];
    let at = 8 + view.getUint32(4);
    for (let e = 0; e < entries.length; e++) {
      fields.push(at, at + 5);
      byteFields.push(at + 4);
      at += 9 + view.getUint32(at + 5);
    }
    return { payload, fields, byteFields };
  });
}

const samples = samplePayloads();
const MAGIC = new TextEncoder().encode('LWL1');

/** Accepted only if it is the canonical encoding of what it decodes to. */
function checkDecode(bytes: Uint8Array): void {
  const decoded = attempt(() => decodeList(bytes));
  if (decoded) check(sameBytes(encodeList(decoded), bytes), () => 'accepted a non-canonical payload');
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('list decoder', () => {
  it('refuses random bytes with typed errors only', () => {
    const sampleMeta = (i: number) => {
      const { payload } = samples[i]!;
      return payload.subarray(0, 8 + new DataView(payload.buffer).getUint32(4));
    };
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.uint8Array({ maxLength: 400 }).map((tail) => concat(MAGIC, tail)),
      // Valid metadata followed by random sections: the decoder reaches the Rice decoder.
      fc
        .tuple(fc.nat(samples.length - 1), fc.uint8Array({ maxLength: 200 }))
        .map(([i, tail]) => concat(sampleMeta(i), tail)),
    );
    fc.assert(fc.property(inputs, counter.count('decodeList: random bytes', checkDecode)), {
      numRuns: 8_000,
      seed: 101,
    });
  });

  it('accepts the valid samples and re-encodes them byte for byte', () => {
    for (const { payload } of samples) expect(sameBytes(encodeList(decodeList(payload)), payload)).toBe(true);
  });

  it('refuses mutated payloads with typed errors, and accepts nothing non-canonical', () => {
    const cases = fc
      .nat(samples.length - 1)
      .chain((i) =>
        mutations(samples[i]!.fields, samples[i]!.byteFields).map((steps) =>
          mutate(samples[i]!.payload, steps),
        ),
      );
    fc.assert(fc.property(cases, counter.count('decodeList: mutated valid payloads', checkDecode)), {
      numRuns: 10_000,
      seed: 102,
    });
  });

  it('refuses a huge declared fingerprint count before allocating for it', () => {
    // 2^32 - 1 values of 8 bytes would need 32 GiB: only an early refusal can answer at all.
    const { payload, fields } = samples.find((s) => s.fields.length === 3)!;
    const counts = fc.constantFrom(0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 100_000_000);
    fc.assert(
      fc.property(
        counts,
        counter.count('decodeList: huge counts', (count) => {
          const bytes = payload.slice();
          new DataView(bytes.buffer).setUint32(fields[1]!, count);
          check(attempt(() => decodeList(bytes)) === null, () => `accepted count ${count}`);
        }),
      ),
      { numRuns: 50, seed: 103 },
    );
  });
});

describe('Rice decoder', () => {
  const limitBits = fc.integer({ min: 1, max: 53 });
  const count = fc.oneof(
    fc.integer({ min: 0, max: 600 }),
    fc.constantFrom(2 ** 31, 2 ** 32 - 1, 100_000_000, 1_000_000),
  );
  const param = fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 255 }));

  /** Accepted: exactly `count` sorted distinct integers below the limit, coded canonically. */
  function checkRice(bytes: Uint8Array, n: number, p: number, limit: number): void {
    const values = attempt(() => riceDecode(bytes, n, p, limit));
    if (!values) return;
    check(values.length === n, () => `decoded ${values.length} values, not ${n}`);
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      check(Number.isSafeInteger(value) && value < limit, () => `value ${value} out of range`);
      check(i === 0 || value > values[i - 1]!, () => 'values not strictly increasing');
    }
    check(sameBytes(riceEncode(values, p), bytes), () => 'accepted a non-canonical code');
  }

  it('refuses random input with typed errors only, and accepts only canonical codes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        count,
        param,
        limitBits,
        counter.count('riceDecode: random bytes, counts, parameters', (bytes, n, p, bits) =>
          checkRice(bytes, n, p, 2 ** bits),
        ),
      ),
      { numRuns: 30_000, seed: 201 },
    );
  });

  it('refuses mutated valid codes with typed errors only', () => {
    const sets = fc
      .tuple(limitBits, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 300 }))
      .map(([bits, fractions]) => ({
        bits,
        values: Float64Array.from(
          [...new Set(fractions.map((f) => Math.min(Math.floor(f * 2 ** bits), 2 ** bits - 1)))].sort(
            (a, b) => a - b,
          ),
        ),
      }));
    const cases = fc
      .tuple(sets, mutations(), fc.integer({ min: -2, max: 2 }), fc.integer({ min: -2, max: 2 }))
      .map(([{ bits, values }, steps, dCount, dParam]) => {
        const p = riceParameter(values);
        return {
          bytes: mutate(riceEncode(values, p), steps),
          n: Math.max(0, values.length + dCount),
          p: Math.max(0, p + dParam),
          limit: 2 ** bits,
        };
      });
    fc.assert(
      fc.property(
        cases,
        counter.count('riceDecode: mutated valid codes', ({ bytes, n, p, limit }) =>
          checkRice(bytes, n, p, limit),
        ),
      ),
      { numRuns: 12_000, seed: 202 },
    );
  });
});

describe('signed JSON bounds', () => {
  it('let every small JSON value through, and canonical JSON is stable on it', () => {
    fc.assert(
      fc.property(
        fc.json({ depthSize: 'small' }),
        counter.count('checkJsonBounds + canonicalJson: random JSON', (text) => {
          checkJsonBounds(new TextEncoder().encode(text), 'fuzz');
          const value = JSON.parse(text);
          const canonical = canonicalJson(value);
          check(canonicalJson(JSON.parse(canonical)) === canonical, () => `unstable: ${canonical}`);
          check(canonicalJson(JSON.parse(text)) === canonical, () => `not deterministic: ${text}`);
        }),
      ),
      { numRuns: 5_000, seed: 301 },
    );
  });

  it('refuse deep or huge JSON with typed errors only, never throwing otherwise', () => {
    const deep = fc
      .tuple(fc.integer({ min: 0, max: 5_000 }), fc.constantFrom('[', '{"a":'))
      .map(([depth, open]) => new TextEncoder().encode(open.repeat(depth)));
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 300 }), deep),
        counter.count('checkJsonBounds: random bytes and deep nesting', (bytes) => {
          attempt(() => checkJsonBounds(bytes, 'fuzz'));
        }),
      ),
      { numRuns: 5_000, seed: 302 },
    );
  });
});
