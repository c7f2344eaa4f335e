import { describe, expect, it } from 'vitest';
import { emptySyncState, LeakwatchStore, StorageFullError } from '../../lib/store';
import { indexList } from '../../utils/matcher';
import { openFreshDb, quotaAfter } from './helpers/db';
import { makeList } from './helpers/lists';

const verified = (version: number, fingerprints?: number[]) => ({
  list: makeList({ version, fingerprints }),
  keyId: '0011223344556677',
  digest: `digest-${version}`,
});

function twoEntries(one: ReturnType<typeof verified>, second: number[]): ReturnType<typeof verified> {
  const [entry] = one.list.meta.entries;
  const meta = {
    ...one.list.meta,
    entries: [entry!, { ...entry!, id: 'second', fingerprintCount: second.length }],
  };
  return { ...one, list: { meta, fingerprints: [...one.list.fingerprints, Float64Array.from(second)] } };
}

const okState = (subId: string, at: number) => ({
  ...emptySyncState(subId),
  lastSuccess: at,
  lastAttempt: at,
});

describe('LeakwatchStore generations', () => {
  it('reads back exactly what was committed, several entries in one record', async () => {
    const store = new LeakwatchStore(await openFreshDb());
    const many = Array.from({ length: 300_000 }, (_, i) => i * 3 + 1);
    const list = twoEntries(verified(1, many), [2, 4, 8]);
    await store.commitGeneration('sub', list, okState('sub', 1), 1);
    const stored = await store.readActive('sub');
    expect(stored?.header).toMatchObject({
      version: 1,
      listId: 'test-list',
      keyId: list.keyId,
      digest: list.digest,
    });
    expect(stored?.list.meta).toEqual(list.list.meta);
    expect(stored?.legacy).toBe(false);
    expect(Array.from(stored!.list.fingerprints[0]!)).toEqual(many);
    expect(Array.from(stored!.list.fingerprints[1]!)).toEqual([2, 4, 8]);
    expect(stored?.index).toEqual(indexList(list.list));
    expect(await store.readAllActive()).toEqual([stored]);
  });

  it.each([
    ['without an index', {}, []],
    ['with an index of another format', { index: 'lw-index-0' }, [7, 7, 7]],
  ])('reads a list stored %s, to be rewritten', async (_name, fields, extra) => {
    const db = await openFreshDb();
    const store = new LeakwatchStore(db);
    await store.commitGeneration('sub', verified(1, [5, 6]), okState('sub', 1), 1);
    const values = Float64Array.of(5, 6);
    const fingerprints = new Blob([values, Uint32Array.from(extra)]);
    await db.put('fingerprints', { subId: 'sub', gen: 1, fingerprints, ...fields });
    const stored = await store.readActive('sub');
    expect(stored).toMatchObject({ legacy: true, index: null });
    expect(Array.from(stored!.list.fingerprints[0]!)).toEqual([5, 6]);
  });

  it('refuses a stored list whose index is cut short', async () => {
    const db = await openFreshDb();
    const store = new LeakwatchStore(db);
    await store.commitGeneration('sub', verified(1, [5, 6]), okState('sub', 1), 1);
    const record = (await db.get('fingerprints', ['sub', 1]))!;
    const fingerprints = record.fingerprints.slice(0, record.fingerprints.size - 4);
    await db.put('fingerprints', { ...record, fingerprints });
    await expect(store.readActive('sub')).rejects.toThrow(/cut short/);
  });

  it('switches the active pointer to a complete new generation and deletes the old one', async () => {
    const db = await openFreshDb();
    const store = new LeakwatchStore(db);
    await store.commitGeneration('sub', verified(1, [5, 6]), okState('sub', 1), 1);
    await store.commitGeneration('sub', verified(2, [7, 8, 9]), okState('sub', 2), 2);
    const stored = await store.readActive('sub');
    expect(stored?.header).toMatchObject({ version: 2, gen: 2, digest: 'digest-2' });
    expect(Array.from(stored!.list.fingerprints[0]!)).toEqual([7, 8, 9]);
    expect(await db.getAllKeys('generations')).toEqual([['sub', 2]]);
    expect(await db.getAllKeys('fingerprints')).toEqual([['sub', 2]]);
    expect((await store.getSyncState('sub')).lastSuccess).toBe(2);
  });

  it('keeps the old generation active and readable when the write fails midway (quota)', async () => {
    const db = await openFreshDb();
    await new LeakwatchStore(db).commitGeneration('sub', verified(1, [1, 2, 3]), okState('sub', 1), 1);
    // The header is written, the fingerprints fail.
    const failing = new LeakwatchStore(quotaAfter(db, 'fingerprints', 0));
    const big = Array.from({ length: 600_000 }, (_, i) => i);
    await expect(
      failing.commitGeneration('sub', verified(2, big), okState('sub', 2), 2),
    ).rejects.toBeInstanceOf(StorageFullError);
    const store = new LeakwatchStore(db);
    const stored = await store.readActive('sub');
    expect(stored?.header.version).toBe(1);
    expect(Array.from(stored!.list.fingerprints[0]!)).toEqual([1, 2, 3]);
    expect(await db.getAllKeys('generations')).toEqual([['sub', 1]]);
    expect(await db.getAllKeys('fingerprints')).toEqual([['sub', 1]]);
    expect((await store.getSyncState('sub')).lastSuccess).toBe(1);
  });

  it('keeps the old generation when the switch itself fails, removes the unused one, and prunes a crash orphan', async () => {
    const db = await openFreshDb();
    await new LeakwatchStore(db).commitGeneration('sub', verified(1), okState('sub', 1), 1);
    const failing = new LeakwatchStore(quotaAfter(db, 'active', 0));
    await expect(failing.commitGeneration('sub', verified(2), okState('sub', 2), 2)).rejects.toBeInstanceOf(
      StorageFullError,
    );
    const store = new LeakwatchStore(db);
    expect((await store.readActive('sub'))?.header.version).toBe(1);
    expect(await db.getAllKeys('generations')).toEqual([['sub', 1]]);
    // What a worker killed between the write and the switch leaves behind.
    const orphan = { ...(await db.get('generations', ['sub', 1]))!, gen: 2, version: 2 };
    await db.put('generations', orphan);
    await db.put('fingerprints', { subId: 'sub', gen: 2, fingerprints: new Blob([Float64Array.of(99)]) });
    await store.prune(['sub']);
    expect(await db.getAllKeys('generations')).toEqual([['sub', 1]]);
    expect(await db.getAllKeys('fingerprints')).toEqual([['sub', 1]]);
    expect((await store.readActive('sub'))?.header.version).toBe(1);
    // The next write reuses number 2 and must not mix in what the orphan left.
    await store.commitGeneration('sub', verified(3, [42]), okState('sub', 3), 3);
    expect(Array.from((await store.readActive('sub'))!.list.fingerprints[0]!)).toEqual([42]);
  });

  it('prune deletes every trace of subscriptions that are no longer configured', async () => {
    const db = await openFreshDb();
    const store = new LeakwatchStore(db);
    await store.commitGeneration('keep', verified(1), okState('keep', 1), 1);
    await store.commitGeneration('gone', verified(1), okState('gone', 1), 1);
    await store.prune(['keep']);
    expect(await store.readActive('gone')).toBeNull();
    expect(await store.getActive('gone')).toBeNull();
    expect(await db.getAllKeys('sync')).toEqual(['keep']);
    expect(await db.getAllKeys('fingerprints')).toEqual([['keep', 1]]);
    expect((await store.readActive('keep'))?.header.version).toBe(1);
  });
});

describe('LeakwatchStore settings, subscriptions and log', () => {
  it('has defaults and merges updates', async () => {
    const store = new LeakwatchStore(await openFreshDb());
    expect(await store.getSettings()).toEqual({ researchMode: false, pausedSites: [] });
    await store.updateSettings({ researchMode: true });
    expect(await store.updateSettings({ pausedSites: ['a.example'] })).toEqual({
      researchMode: true,
      pausedSites: ['a.example'],
    });
  });

  it('stores user subscriptions and deletes them with their data', async () => {
    const store = new LeakwatchStore(await openFreshDb());
    await store.putUserSubscription({
      id: 'u1',
      url: 'https://l.example/x.lwl',
      publicKeys: ['k'],
      addedAt: 1,
    });
    await store.commitGeneration('u1', verified(1), okState('u1', 1), 1);
    expect((await store.getUserSubscriptions()).map((s) => s.id)).toEqual(['u1']);
    await store.deleteSubscriptionData('u1');
    expect(await store.getUserSubscriptions()).toEqual([]);
    expect(await store.readActive('u1')).toBeNull();
  });

  it('caps the research log, dropping the oldest records, and reads newest first', async () => {
    const store = new LeakwatchStore(await openFreshDb());
    const record = (time: number) => ({
      time,
      pageUrl: `https://news.example/${time}`,
      listId: 'l',
      entry: 'e',
      kind: 'hashtag' as const,
      matched: 1,
      total: 1,
    });
    await store.appendLog([1, 2, 3, 4].map(record), 5);
    await store.appendLog([5, 6, 7].map(record), 5);
    expect((await store.readLog()).map((r) => r.time)).toEqual([7, 6, 5, 4, 3]);
    await store.clearLog();
    expect(await store.readLog()).toEqual([]);
  });
});
