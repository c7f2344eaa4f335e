import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitsFor } from '../../utils/builder';
import { concatBytes, sha256, toHex, utf8Encode } from '../../utils/bytes';
import { canonicalJson } from '../../utils/canonical-json';
import { applyDelta, applySignedDelta, makeDelta, openSignedDelta, signDelta } from '../../utils/delta';
import { openSignedList } from '../../utils/envelope';
import { LeakwatchError } from '../../utils/errors';
import { decodeList, encodeList } from '../../utils/list-format';
import type { DecodedList, ListEntry } from '../../utils/list-schema';
import { riceEncode, riceParameter } from '../../utils/rice';
import { makeKey, makeList, signed } from './helpers/make-list';

const NOW = Date.parse('2026-03-01T00:00:00Z');

/** A list of several entries; each entry is `leak-a`'s template under another id. */
function listOf(version: number, entries: { id: string; fps: number[]; hashtags?: string[] }[], bits = 40) {
  const template = makeList().meta.entries[0]!;
  const list = makeList({
    version,
    entries: entries.map(
      (e): ListEntry => ({
        ...template,
        id: e.id,
        hashtags: e.hashtags ?? template.hashtags,
        fingerprintCount: new Set(e.fps).size,
      }),
    ),
  });
  list.meta.fingerprint.bits = bits;
  list.fingerprints = entries.map((e) => Float64Array.from([...new Set(e.fps)].sort((a, b) => a - b)));
  return list;
}

/** `count` distinct values below 2 ** bits from a fixed-seed generator: the same on every run. */
function randomSet(count: number, bits: number, seed: number): Float64Array {
  let x = seed >>> 0;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
  const set = new Set<number>();
  while (set.size < count)
    set.add(Math.floor(((next() >>> 6) * 2 ** 26 + (next() >>> 6)) / 2 ** (52 - bits)));
  return Float64Array.from([...set].sort((a, b) => a - b));
}

async function hex(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256(bytes));
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

function set(values: number[], param = riceParameter(Float64Array.from(values))): Uint8Array {
  const bytes = riceEncode(Float64Array.from(values), param);
  return concatBytes(u32(values.length), Uint8Array.of(param), u32(bytes.length), bytes);
}

/** A delta spelled by hand, field by field as the format describes it: for non-canonical variants. */
async function handDelta(
  base: Uint8Array,
  target: Uint8Array,
  parts: { meta?: Uint8Array; entries: Uint8Array[]; header?: Record<string, unknown> },
): Promise<Uint8Array> {
  const b = decodeList(base).meta;
  const t = decodeList(target).meta;
  const header = utf8Encode(
    canonicalJson({
      format: 'leakwatch-delta',
      formatVersion: 1,
      listId: t.listId,
      baseVersion: b.version,
      baseDigest: await hex(base),
      targetVersion: t.version,
      targetDigest: await hex(target),
      ...parts.header,
    }),
  );
  const meta = parts.meta ?? utf8Encode(canonicalJson(t));
  return concatBytes(
    utf8Encode('LWD1'),
    u32(header.length),
    header,
    u32(meta.length),
    meta,
    ...parts.entries,
  );
}

async function refusal(work: Promise<unknown>): Promise<LeakwatchError> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LeakwatchError);
  return err as LeakwatchError;
}

const BASE = encodeList(
  listOf(10, [
    { id: 'leak-a', fps: [3, 17, 400, 9000, 2 ** 30] },
    { id: 'leak-b', fps: [5, 6, 7] },
  ]),
);
const TARGET = encodeList(
  listOf(11, [
    { id: 'leak-c', fps: [1, 2] },
    { id: 'leak-a', fps: [3, 400, 401, 2 ** 31], hashtags: ['macronleaks', 'enmarche'] },
  ]),
);

describe('delta round trips', () => {
  const entryIds = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 4 });
  const values = fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 30 - 1 }), { maxLength: 60 });
  const listArb = (version: number) =>
    fc
      .tuple(entryIds, fc.array(values, { minLength: 4, maxLength: 4 }), fc.constantFrom(30, 31, 40))
      .map(([ids, sets, bits]) =>
        listOf(
          version,
          ids.map((id, i) => ({ id, fps: sets[i]! })),
          bits,
        ),
      );
  /** Targets that share most of the base, as real successive versions do. */
  const related = fc
    .tuple(listArb(1), fc.array(values, { minLength: 4, maxLength: 4 }), fc.boolean())
    .map(([base, extra, renameFirst]) => {
      const target: DecodedList = structuredClone(base);
      target.meta.version = 2;
      target.fingerprints = target.fingerprints.map((fps, i) =>
        Float64Array.from(
          [...new Set([...fps.filter((_, k) => k % 3 !== i % 3), ...extra[i]!])].sort((a, b) => a - b),
        ),
      );
      target.meta.entries.forEach((e, i) => {
        e.fingerprintCount = target.fingerprints[i]!.length;
      });
      if (renameFirst) target.meta.entries[0]!.id = 'renamed';
      return { base, target };
    });

  it('rebuilds the target exactly, from related or unrelated bases, and is deterministic', async () => {
    const pairs = fc.oneof(
      related,
      fc.tuple(listArb(1), listArb(2)).map(([base, target]) => ({ base, target })),
    );
    await fc.assert(
      fc.asyncProperty(pairs, async ({ base, target }) => {
        const b = encodeList(base);
        const t = encodeList(target);
        const delta = await makeDelta(b, t);
        expect(await applyDelta(b, delta)).toEqual(t);
        expect(await makeDelta(b, t)).toEqual(delta);
      }),
      { numRuns: 150 },
    );
  });

  it('handles new, dropped, reordered and changed entries', async () => {
    const delta = await makeDelta(BASE, TARGET);
    expect(await applyDelta(BASE, delta)).toEqual(TARGET);
  });

  it('a delta from a list to itself is a few hundred bytes that refer to the base metadata', async () => {
    const delta = await makeDelta(TARGET, TARGET);
    expect(delta.length).toBeLessThan(400);
    expect(await applyDelta(TARGET, delta)).toEqual(TARGET);
  });

  it('a 1 % change of a 100,000-fingerprint list costs under 3 % of the full list', async () => {
    const n = 100_000;
    const bits = bitsFor(n);
    const fps = randomSet(n, bits, 1);
    const fresh = randomSet(n / 100, bits, 2);
    const base = listOf(1, [{ id: 'leak-a', fps: [...fps] }], bits);
    const kept = [...fps].filter((_, i) => i % 100 !== 7);
    const target = listOf(2, [{ id: 'leak-a', fps: [...kept, ...fresh] }], bits);
    const b = encodeList(base);
    const t = encodeList(target);
    const delta = await makeDelta(b, t);
    expect(await applyDelta(b, delta)).toEqual(t);
    const ratio = delta.length / t.length;
    console.log(
      `1 % of ${n} fingerprints replaced: full ${t.length} bytes, delta ${delta.length} bytes (${(100 * ratio).toFixed(2)} %)`,
    );
    expect(ratio).toBeLessThan(0.03);
  });
});

describe('delta refusals', () => {
  it('refuses a base that is not its exact base', async () => {
    const delta = await makeDelta(BASE, TARGET);
    const sameVersionOtherContent = encodeList(
      listOf(10, [
        { id: 'leak-a', fps: [3, 17, 400, 9000, 2 ** 30] },
        { id: 'leak-b', fps: [5, 6, 8] },
      ]),
    );
    for (const wrong of [sameVersionOtherContent, TARGET]) {
      const err = await refusal(applyDelta(wrong, delta));
      expect(err.message).toMatch(
        /^delta is for another base list \(test-list version 10, sha256 [0-9a-f]{16}/,
      );
    }
  });

  it('refuses a result whose digest is not the signed target digest', async () => {
    const delta = await makeDelta(BASE, TARGET);
    const other = encodeList(listOf(11, [{ id: 'leak-a', fps: [1] }]));
    // The genuine entry sections under a header that names another target.
    const body = delta.subarray((await handDelta(BASE, TARGET, { entries: [] })).length);
    const forged = await handDelta(BASE, TARGET, {
      header: { targetDigest: await hex(other) },
      entries: [body],
    });
    expect((await refusal(applyDelta(BASE, forged))).message).toBe(
      'delta result does not match its target digest',
    );
  });

  it('refuses a target that is not newer, and a delta between two lists', async () => {
    expect((await refusal(makeDelta(TARGET, BASE))).message).toMatch(
      /version 11 to version 10: targetVersion: the target must be newer/,
    );
    const sameVersion = encodeList(listOf(10, [{ id: 'leak-a', fps: [1] }]));
    await refusal(makeDelta(BASE, sameVersion));
    const otherList = encodeList({ ...listOf(11, [{ id: 'x', fps: [1] }]) });
    const renamed = decodeList(otherList);
    renamed.meta.listId = 'other-list';
    expect((await refusal(makeDelta(BASE, encodeList(renamed)))).message).toMatch(/between two lists/);
  });

  it('refuses every single-byte change, every truncation and any trailing byte', async () => {
    const delta = await makeDelta(BASE, TARGET);
    for (let i = 0; i < delta.length; i++) {
      for (const flip of [0x01, 0x80]) {
        const bad = delta.slice();
        bad[i] = bad[i]! ^ flip;
        await refusal(applyDelta(BASE, bad));
      }
    }
    for (let n = 0; n < delta.length; n++) await refusal(applyDelta(BASE, delta.subarray(0, n)));
    expect((await refusal(applyDelta(BASE, concatBytes(delta, Uint8Array.of(0))))).message).toBe(
      '1 unexpected bytes after the delta',
    );
  });

  it('refuses every other spelling of the same change', async () => {
    const base = encodeList(listOf(1, [{ id: 'leak-a', fps: [10, 20, 30] }]));
    const target = encodeList(listOf(2, [{ id: 'leak-a', fps: [10, 30, 40] }]));
    const canonical = await handDelta(base, target, { entries: [concatBytes(u32(0), set([1]), set([40]))] });
    expect(canonical).toEqual(await makeDelta(base, target));
    expect(await applyDelta(base, canonical)).toEqual(target);
    const variants: [string, Promise<Uint8Array>, RegExp][] = [
      [
        'removes and re-adds a kept value',
        handDelta(base, target, { entries: [concatBytes(u32(0), set([0, 1]), set([10, 40]))] }),
        /adds a fingerprint the base already has/,
      ],
      [
        'treats a kept entry as new',
        handDelta(base, target, { entries: [concatBytes(u32(0xffffffff), set([]), set([10, 30, 40]))] }),
        /wrong base entry/,
      ],
      [
        'uses another Rice parameter',
        handDelta(base, target, { entries: [concatBytes(u32(0), set([1], 3), set([40]))] }),
        /non-canonical coding/,
      ],
      [
        'claims a huge count',
        handDelta(base, target, {
          entries: [concatBytes(u32(0), u32(0xfffffff0), Uint8Array.of(0), u32(0), set([40]))],
        }),
        /garbled in entry leak-a/,
      ],
      [
        'spells the header with whitespace',
        (async () => {
          const d = await makeDelta(base, target);
          const headerLength = new DataView(d.buffer).getUint32(4);
          const header = JSON.stringify(
            JSON.parse(new TextDecoder().decode(d.subarray(8, 8 + headerLength))),
            null,
            1,
          );
          return concatBytes(
            utf8Encode('LWD1'),
            u32(header.length),
            utf8Encode(header),
            d.subarray(8 + headerLength),
          );
        })(),
        /header is not in canonical form/,
      ],
    ];
    for (const [why, delta, message] of variants) {
      const err = await refusal(applyDelta(base, await delta));
      expect(err.message, why).toMatch(message);
    }
    const identity = await makeDelta(target, target);
    const spelledOut = await handDelta(target, target, {
      meta: utf8Encode(canonicalJson(decodeList(target).meta)),
      entries: [concatBytes(u32(0), set([]), set([]))],
    });
    expect(spelledOut.length).toBeGreaterThan(identity.length);
    expect((await refusal(applyDelta(target, spelledOut))).message).toMatch(/repeats the base metadata/);
  });
});

describe('signed deltas', () => {
  it('open with a trusted key, rebuild the target and pass the full list checks', async () => {
    const key = await makeKey();
    const signedTarget = await signed(decodeList(TARGET), key);
    const delta = await signDelta(await makeDelta(BASE, TARGET), key.privateKeyPkcs8, key.publicKey);
    const opened = await openSignedDelta(delta, { trustedKeys: [key.trusted] });
    expect(opened.header).toMatchObject({ baseVersion: 10, targetVersion: 11, listId: 'test-list' });
    const viaDelta = await applySignedDelta(BASE, opened, { now: NOW, minVersion: 10 });
    const viaFull = await openSignedList(signedTarget, { trustedKeys: [key.trusted], now: NOW });
    expect(viaDelta.payload).toEqual(viaFull.payload);
    expect(viaDelta.digest).toBe(viaFull.digest);
    expect(viaDelta.list).toEqual(viaFull.list);
    expect(viaDelta.keyId).toBe(key.trusted.keyId);
    expect((await refusal(applySignedDelta(BASE, opened, { now: NOW, minVersion: 12 }))).code).toBe(
      'rollback',
    );
    const later = Date.parse('2028-01-01T00:00:00Z');
    expect((await refusal(applySignedDelta(BASE, opened, { now: later }))).code).toBe('expired');
  });

  it('refuses any single-byte change of a signed delta', async () => {
    const key = await makeKey();
    const delta = await signDelta(await makeDelta(BASE, TARGET), key.privateKeyPkcs8, key.publicKey);
    for (let i = 0; i < delta.length; i++) {
      const bad = delta.slice();
      bad[i] = bad[i]! ^ (1 << (i % 8));
      await refusal(openSignedDelta(bad, { trustedKeys: [key.trusted] }));
    }
  });

  it('refuses an unknown signer, and never opens a list as a delta or a delta as a list', async () => {
    const key = await makeKey();
    const stranger = await makeKey();
    const delta = await signDelta(await makeDelta(BASE, TARGET), key.privateKeyPkcs8, key.publicKey);
    expect((await refusal(openSignedDelta(delta, { trustedKeys: [stranger.trusted] }))).code).toBe(
      'unknown-key',
    );
    expect((await refusal(openSignedList(delta, { trustedKeys: [key.trusted], now: NOW }))).message).toMatch(
      /not a Leakwatch list/,
    );
    const list = await signed(decodeList(TARGET), key);
    expect((await refusal(openSignedDelta(list, { trustedKeys: [key.trusted] }))).message).toMatch(
      /not a Leakwatch delta/,
    );
    await expect(signDelta(TARGET, key.privateKeyPkcs8, key.publicKey)).rejects.toThrow(
      /not a Leakwatch delta/,
    );
  });
});
