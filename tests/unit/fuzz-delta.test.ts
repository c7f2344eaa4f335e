import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { applyDelta, makeDelta, openSignedDelta, signDelta } from '../../utils/delta';
import type { TrustedKey } from '../../utils/envelope';
import { encodeList } from '../../utils/list-format';
import type { DecodedList, ListEntry } from '../../utils/list-schema';
import { rng } from './helpers/enron-eval';
import { attemptAsync, check, FuzzCounter, mutate, mutations, sameBytes } from './helpers/fuzz';
import { makeKey, makeList } from './helpers/make-list';

/**
 * Fuzzing of the delta decoder: mutated deltas (every length, count, index and Rice parameter
 * field included), random deltas and mutated bases. Only typed errors, and a delta may only ever
 * produce its exact signed target: whatever applies must give the target's bytes.
 */

const counter = new FuzzCounter();
afterAll(() => console.log(counter.summary('fuzz-delta')));

function listOf(version: number, sets: Record<string, Float64Array>, hashtags: string[] = []): DecodedList {
  const template = makeList().meta.entries[0]!;
  const ids = Object.keys(sets);
  const list = makeList({
    version,
    entries: ids.map((id): ListEntry => ({ ...template, id, hashtags, fingerprintCount: sets[id]!.length })),
  });
  list.meta.fingerprint.bits = 32;
  list.fingerprints = ids.map((id) => sets[id]!);
  return list;
}

function randomSet(random: () => number, size: number): Float64Array {
  const values = new Set<number>();
  while (values.size < size) values.add(Math.floor(random() * 2 ** 32));
  return Float64Array.from([...values].sort((a, b) => a - b));
}

interface Sample {
  base: Uint8Array;
  target: Uint8Array;
  delta: Uint8Array;
  fields: number[];
  byteFields: number[];
}

/** Offsets of every u32 and Rice-parameter field of a delta, found by walking its layout. */
function deltaFields(delta: Uint8Array, entries: number): { fields: number[]; byteFields: number[] } {
  const view = new DataView(delta.buffer, delta.byteOffset, delta.byteLength);
  const fields = [4];
  const byteFields: number[] = [];
  let at = 8 + view.getUint32(4);
  fields.push(at);
  at += 4 + view.getUint32(at);
  for (let e = 0; e < entries; e++) {
    fields.push(at);
    at += 4;
    for (let s = 0; s < 2; s++) {
      fields.push(at, at + 5);
      byteFields.push(at + 4);
      at += 9 + view.getUint32(at + 5);
    }
  }
  return { fields, byteFields };
}

async function samplePairs(): Promise<Sample[]> {
  const random = rng(11);
  const a = randomSet(random, 200);
  const b = randomSet(random, 30);
  const pairs: [DecodedList, DecodedList][] = [
    // small change of one entry
    [listOf(1, { a }), listOf(2, { a: Float64Array.from([...a.slice(5), 2 ** 32 - 1]) })],
    // same list: the "you are current" delta
    [listOf(3, { a, b }), listOf(3, { a, b })],
    // entries added, dropped and reordered, metadata changed
    [listOf(4, { a, b }), listOf(5, { c: randomSet(random, 10), a: a.slice(0, 150) }, ['macronleaks'])],
    // everything replaced
    [listOf(6, { a }), listOf(7, { a: randomSet(random, 120), b })],
  ];
  const samples: Sample[] = [];
  for (const [from, to] of pairs) {
    const base = encodeList(from);
    const target = encodeList(to);
    const delta = await makeDelta(base, target);
    samples.push({ base, target, delta, ...deltaFields(delta, to.meta.entries.length) });
  }
  return samples;
}

let samples: Sample[];
let key: Awaited<ReturnType<typeof makeKey>>;
let trustedKeys: TrustedKey[];
let signedDeltas: Uint8Array[];

beforeAll(async () => {
  samples = await samplePairs();
  key = await makeKey();
  trustedKeys = [key.trusted];
  signedDeltas = await Promise.all(
    samples.map((s) => signDelta(s.delta, key.privateKeyPkcs8, key.publicKey)),
  );
});

describe('delta decoder', () => {
  it('applies each sample to its target', async () => {
    for (const s of samples)
      check(sameBytes(await applyDelta(s.base, s.delta), s.target), () => 'sample broken');
  });

  it('refuses mutated deltas with typed errors, and never yields anything but the target', async () => {
    const cases = fc.nat(samples.length - 1).chain((i) =>
      mutations(samples[i]!.fields, samples[i]!.byteFields).map((steps) => ({
        sample: samples[i]!,
        delta: mutate(samples[i]!.delta, steps),
      })),
    );
    await fc.assert(
      fc.asyncProperty(
        cases,
        counter.count('applyDelta: mutated deltas', async ({ sample, delta }) => {
          const result = await attemptAsync(() => applyDelta(sample.base, delta));
          check(
            result === null || sameBytes(result, sample.target),
            () => 'a mutated delta produced another list',
          );
        }),
      ),
      { numRuns: 8_000, seed: 501 },
    );
  });

  it('refuses random deltas, and any base but the exact one', async () => {
    const magic = new TextEncoder().encode('LWD1');
    const cases = fc.oneof(
      fc.tuple(fc.nat(samples.length - 1), fc.uint8Array({ maxLength: 300 })).map(([i, tail]) => ({
        sample: samples[i]!,
        base: samples[i]!.base,
        delta: new Uint8Array([...magic, ...tail]),
      })),
      fc.nat(samples.length - 1).chain((i) =>
        mutations([4]).map((steps) => ({
          sample: samples[i]!,
          base: mutate(samples[i]!.base, steps),
          delta: samples[i]!.delta,
        })),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        cases,
        counter.count('applyDelta: random deltas and mutated bases', async ({ sample, base, delta }) => {
          const result = await attemptAsync(() => applyDelta(base, delta));
          check(
            result === null || (sameBytes(base, sample.base) && sameBytes(result, sample.target)),
            () => 'applied to a base it was not made for',
          );
        }),
      ),
      { numRuns: 4_000, seed: 502 },
    );
  });

  it('opens nothing but the exact signed delta', async () => {
    const cases = fc.nat(samples.length - 1).chain((i) =>
      mutations([13, 17 + 4]).map((steps) => ({
        original: signedDeltas[i]!,
        bytes: mutate(signedDeltas[i]!, steps),
      })),
    );
    await fc.assert(
      fc.asyncProperty(
        cases,
        counter.count('openSignedDelta: mutated signed deltas', async ({ original, bytes }) => {
          const opened = await attemptAsync(() => openSignedDelta(bytes, { trustedKeys }));
          check(opened === null || sameBytes(bytes, original), () => 'a changed delta opened');
        }),
      ),
      { numRuns: 3_000, seed: 503 },
    );
  });
});
