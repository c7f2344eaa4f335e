import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartialList } from '../../lib/partial-list';
import {
  emptySyncState,
  isHead,
  LeakwatchStore,
  readStoredValues,
  readWhole,
  type StoredListHead,
} from '../../lib/store';
import {
  type BlockFeatures,
  compileList,
  indexList,
  matchFeatures,
  pageDirectory,
  paramsKeyOf,
} from '../../utils/matcher';
import { openFreshDb } from './helpers/db';
import { makeList, TEST_PARAMS } from './helpers/lists';

const BITS = TEST_PARAMS.bits;
const KEY = paramsKeyOf(TEST_PARAMS);

async function storedHead(fingerprints: number[]): Promise<{ head: StoredListHead; store: LeakwatchStore }> {
  const store = new LeakwatchStore(await openFreshDb());
  const list = makeList({ fingerprints });
  await store.commitGeneration(
    'sub',
    { list, keyId: '0011223344556677', digest: 'd' },
    emptySyncState('sub'),
    1,
  );
  const [head] = await store.readAllActiveHeads();
  if (!head || !isHead(head)) throw new Error('expected the list to be read as a head');
  return { head, store };
}

const features = (fps: number[]): BlockFeatures => ({ hashtags: [], urls: [], fingerprints: { [KEY]: fps } });

/** Values spread over the whole range and values packed into a few buckets (long bucket runs). */
const listValues = fc.oneof(
  fc.uniqueArray(
    fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((v) => v * 2 ** (BITS - 31)),
    {
      minLength: 1,
      maxLength: 3_000,
    },
  ),
  fc.uniqueArray(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 3_000 }),
);

describe('PartialList', () => {
  it('finds, after fill(), exactly what the whole list finds', async () => {
    await fc.assert(
      fc.asyncProperty(
        listValues,
        fc.array(fc.array(fc.nat(), { maxLength: 40 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 2 ** BITS - 1 }), { maxLength: 40 }),
        async (values, picks, strangers) => {
          const { head } = await storedHead(values);
          const whole = compileList(makeList({ fingerprints: values }));
          const partial = new PartialList(head);
          // Several lookups in turn, each a mix of the list's values and others, the same one repeated.
          for (const pick of picks) {
            const fps = [...pick.map((i) => values[i % values.length]!), ...strangers];
            await partial.fill(fps);
            expect(matchFeatures([partial.compiled], features(fps))).toEqual(
              matchFeatures([whole], features(fps)),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers concurrent fills with every value each of them read', async () => {
    const values = Array.from({ length: 5_000 }, (_, i) => i * 7 + 3);
    const { head } = await storedHead(values);
    const partial = new PartialList(head);
    const one = values.slice(0, 30);
    const two = values.slice(20, 60);
    await Promise.all([partial.fill(one), partial.fill(two)]);
    // Both read the same bucket (the values are all in the first one): each value is kept once.
    const held = Array.from(partial.compiled.fingerprints);
    expect(held).toEqual([...new Set(held)].sort((a, b) => a - b));
    expect(held).toEqual(expect.arrayContaining([...one, ...two]));
    const whole = compileList(makeList({ fingerprints: values }));
    for (const fps of [one, two, [...one, ...two]])
      expect(matchFeatures([partial.compiled], features(fps))).toEqual(matchFeatures([whole], features(fps)));
    expect(partial.owns(partial.compiled)).toBe(true);
    expect(partial.owns(whole)).toBe(false);
  });

  it('matches hashtags and links before any value is read', async () => {
    const { head } = await storedHead([5, 6, 7]);
    const partial = new PartialList(head);
    const block = { hashtags: ['testleaks'], urls: [], fingerprints: {} };
    expect(matchFeatures([partial.compiled], block)).toEqual(
      matchFeatures([compileList(makeList({ fingerprints: [5, 6, 7] }))], block),
    );
  });
});

describe('reading a stored list by parts', () => {
  it('reads value ranges, and the whole list, as they were stored', async () => {
    const values = Array.from({ length: 2_000 }, (_, i) => i * 11 + 1);
    const { head } = await storedHead(values);
    expect(
      Array.from(
        await readStoredValues(head, [
          [0, 3],
          [10, 12],
          [1_998, 2_000],
        ]),
      ),
    ).toEqual([...values.slice(0, 3), ...values.slice(10, 12), ...values.slice(1_998)]);
    const list = makeList({ fingerprints: values });
    expect(head.pageStart).toEqual(pageDirectory(indexList(list).bucketStart));
    const whole = await readWhole(head);
    expect(Array.from(whole.list.fingerprints[0]!)).toEqual(values);
    expect(whole.index).toEqual(indexList(list));
    expect(whole.legacy).toBe(false);
  });

  it('reads a list of several entries whole: its directory indexes them merged', async () => {
    const store = new LeakwatchStore(await openFreshDb());
    const one = makeList({ fingerprints: [1, 3] });
    const [entry] = one.meta.entries;
    const list = {
      meta: { ...one.meta, entries: [entry!, { ...entry!, id: 'second', fingerprintCount: 2 }] },
      fingerprints: [...one.fingerprints, Float64Array.of(2, 4)],
    };
    await store.commitGeneration(
      'sub',
      { list, keyId: '0011223344556677', digest: 'd' },
      emptySyncState('sub'),
      1,
    );
    const [read] = await store.readAllActiveHeads();
    expect(read && isHead(read)).toBe(false);
    expect(read).toEqual(await store.readActive('sub'));
  });

  it('reads a list stored without its page directory whole, to be rewritten, then by parts', async () => {
    const db = await openFreshDb();
    const store = new LeakwatchStore(db);
    const values = Array.from({ length: 2_000 }, (_, i) => i * 11 + 1);
    await store.commitGeneration(
      'sub',
      { list: makeList({ fingerprints: values }), keyId: '0011223344556677', digest: 'd' },
      emptySyncState('sub'),
      1,
    );
    const { pageStart: _pageStart, ...older } = (await db.get('fingerprints', ['sub', 1]))!;
    await db.put('fingerprints', older);
    const [read] = await store.readAllActiveHeads();
    if (!read || isHead(read)) throw new Error('expected the list to be read whole');
    expect(read.legacy).toBe(true);
    expect(Array.from(read.list.fingerprints[0]!)).toEqual(values);
    await store.rewriteLegacy(read);
    const [again] = await store.readAllActiveHeads();
    expect(again && isHead(again)).toBe(true);
  });

  it('refuses a stored list that is cut short, before reading any value', async () => {
    const db = await openFreshDb();
    const store = new LeakwatchStore(db);
    const list = makeList({ fingerprints: [5, 6] });
    await store.commitGeneration(
      'sub',
      { list, keyId: '0011223344556677', digest: 'd' },
      emptySyncState('sub'),
      1,
    );
    const record = (await db.get('fingerprints', ['sub', 1]))!;
    await db.put('fingerprints', {
      ...record,
      fingerprints: record.fingerprints.slice(0, record.fingerprints.size - 4),
    });
    await expect(store.readAllActiveHeads()).rejects.toThrow(/cut short/);
  });
});
