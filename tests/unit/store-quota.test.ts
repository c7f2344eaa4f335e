import type { StoreNames } from 'idb';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LeakwatchDatabase, type LeakwatchDb, LeakwatchStore, openLeakwatchDb } from '../../lib/store';
import { type FetchLike, type SyncResult, syncSubscription } from '../../lib/sync';
import { sha256, toHex } from '../../utils/bytes';
import { encodeList } from '../../utils/list-format';
import { failingPuts, openFreshDb } from './helpers/db';
import { newSigner, signedList, TEST_NOW, type TestSigner } from './helpers/lists';

/**
 * Storage failures while a new generation is written or switched to: quota, I/O errors, aborted
 * transactions, a database closed under our feet. Whatever fails, the previous generation stays
 * active and byte-for-byte intact, nothing of the new one is left behind, the status says what
 * happened in one line, and the next sync (with room again) installs the new list cleanly.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const URL_ = 'https://lists.example/leaks.lwl';
/** A list of 4.8 MB of fingerprints, so that the write is not a trivial one. */
const BIG = 600_000;
const FULL = /^storage full: the browser refused to store the new list, the previous list stays in use$/;
const WRITE_ERROR = (name: string) =>
  new RegExp(
    `^storage error: the browser could not store the new list \\(${name}(: [^\\n]+)?\\), the previous list stays in use$`,
  );

let signer: TestSigner;
let v1: Uint8Array;
let v2: Uint8Array;

beforeAll(async () => {
  signer = await newSigner();
  v1 = await signedList(signer, { version: 1, fingerprints: [11, 22, 33] });
  v2 = await signedList(signer, {
    version: 2,
    fingerprints: Array.from({ length: BIG }, (_, i) => i * 1_000_003 + 7),
  });
}, 60_000);

const serve =
  (bytes: Uint8Array): FetchLike =>
  async () =>
    new Response(new Uint8Array(bytes));
const sub = () => ({ id: 'sub', url: URL_, publicKeys: [signer.publicKeyText] });

function sync(db: LeakwatchDatabase, bytes: Uint8Array, now: number): Promise<SyncResult> {
  return syncSubscription(
    { store: new LeakwatchStore(db), fetch: serve(bytes), now: () => now, random: () => 0.5 },
    sub(),
  );
}

/** Version 1 installed and then a faulty write of version 2 attempted an hour later. */
async function failedUpdate(faulty: (db: LeakwatchDatabase) => LeakwatchDatabase) {
  const db = await openFreshDb();
  expect((await sync(db, v1, TEST_NOW)).outcome).toBe('updated');
  const result = await sync(faulty(db), v2, TEST_NOW + HOUR);
  return { db, result };
}

/** The old list is the active one, intact, alone; the status names the failure in one line. */
async function expectOldListIntact(db: LeakwatchDatabase, result: SyncResult, status: RegExp) {
  expect(result).toMatchObject({ outcome: 'failed', error: expect.stringMatching(status) });
  const store = new LeakwatchStore(db);
  const stored = await store.readActive('sub');
  expect(stored?.header.version).toBe(1);
  expect(Array.from(stored!.list.fingerprints[0]!)).toEqual([11, 22, 33]);
  expect(toHex(await sha256(encodeList(stored!.list)))).toBe(stored!.header.digest);
  expect(await db.getAllKeys('generations')).toEqual([['sub', stored!.header.gen]]);
  expect(await db.getAllKeys('fingerprints')).toEqual([['sub', stored!.header.gen]]);
  const state = await store.getSyncState('sub');
  expect(state).toMatchObject({
    lastSuccess: TEST_NOW,
    lastAttempt: TEST_NOW + HOUR,
    failures: 1,
    nextSync: TEST_NOW + HOUR + 22.5 * MIN, // first failure: 15 min x (1 + 0.5)
  });
  expect(state.lastError).toMatch(status);
  return stored!.header;
}

/** With room again, the next sync installs version 2 whole, with nothing of the failed attempt mixed in. */
async function expectRecovery(db: LeakwatchDatabase) {
  const result = await sync(db, v2, TEST_NOW + 2 * HOUR);
  expect(result).toMatchObject({ outcome: 'updated' });
  const stored = await new LeakwatchStore(db).readActive('sub');
  expect(stored?.header.version).toBe(2);
  expect(stored!.list.fingerprints[0]!.length).toBe(BIG);
  expect(toHex(await sha256(encodeList(stored!.list)))).toBe(stored!.header.digest);
  expect(await db.getAllKeys('generations')).toEqual([['sub', stored!.header.gen]]);
  expect(await db.getAllKeys('fingerprints')).toEqual([['sub', stored!.header.gen]]);
  expect((await new LeakwatchStore(db).getSyncState('sub')).lastError).toBeNull();
}

type Fault = [what: string, store: StoreNames<LeakwatchDb>, okPuts: number, error: string, status: RegExp];

const faults: Fault[] = [
  ['quota on the generation header', 'generations', 0, 'QuotaExceededError', FULL],
  ['quota on the fingerprints', 'fingerprints', 0, 'QuotaExceededError', FULL],
  ['quota on the active pointer (the switch)', 'active', 0, 'QuotaExceededError', FULL],
  ['quota on the status saved with the switch', 'sync', 0, 'QuotaExceededError', FULL],
  [
    'I/O error on the fingerprints',
    'fingerprints',
    0,
    'UnknownError',
    WRITE_ERROR('UnknownError: simulated UnknownError'),
  ],
  ['constraint error on the header', 'generations', 0, 'ConstraintError', WRITE_ERROR('ConstraintError')],
  [
    'transaction aborted by the browser during the write',
    'fingerprints',
    0,
    'abort',
    WRITE_ERROR('AbortError'),
  ],
  ['transaction aborted by the browser during the switch', 'active', 0, 'abort', WRITE_ERROR('AbortError')],
];

describe('a failed generation write keeps the old generation', () => {
  it.each(faults)('%s', { timeout: 30_000 }, async (_what, storeName, okPuts, error, status) => {
    const { db, result } = await failedUpdate((healthy) => failingPuts(healthy, storeName, okPuts, error));
    await expectOldListIntact(db, result, status);
    await expectRecovery(db);
  });

  it('a database closed under the sync: old list intact on the next connection', {
    timeout: 30_000,
  }, async () => {
    const db = await openFreshDb();
    expect((await sync(db, v1, TEST_NOW)).outcome).toBe('updated');
    const doomed = await openLeakwatchDb(db.name);
    const store = new LeakwatchStore(doomed);
    const fetch: FetchLike = async () => {
      doomed.close(); // the connection goes away while the list downloads
      return new Response(new Uint8Array(v2));
    };
    const result = await syncSubscription(
      { store, fetch, now: () => TEST_NOW + HOUR, random: () => 0.5 },
      sub(),
    );
    // Nothing could be written, not even the status: the caller still gets the reason in one line.
    expect(result).toMatchObject({ outcome: 'failed', code: 'storage-error' });
    if (result.outcome === 'failed') expect(result.error).toMatch(WRITE_ERROR('InvalidStateError'));
    const stored = await new LeakwatchStore(db).readActive('sub');
    expect(stored?.header.version).toBe(1);
    expect(await db.getAllKeys('generations')).toEqual([['sub', stored!.header.gen]]);
    await expectRecovery(db);
  });

  it('a sync whose status cannot be saved either still resolves with the reason', {
    timeout: 30_000,
  }, async () => {
    const db = await openFreshDb();
    expect((await sync(db, v1, TEST_NOW)).outcome).toBe('updated');
    const full = failingPuts(db, 'sync', 0, 'QuotaExceededError', Number.POSITIVE_INFINITY);
    const result = await sync(full, v2, TEST_NOW + HOUR);
    expect(result).toMatchObject({
      outcome: 'failed',
      code: 'storage-full',
      error: expect.stringMatching(FULL),
    });
    const store = new LeakwatchStore(db);
    expect((await store.readActive('sub'))?.header.version).toBe(1);
    expect(await db.getAllKeys('generations')).toEqual([['sub', 1]]);
    // The status write failed as well, so the stored status still describes the last success.
    expect(await store.getSyncState('sub')).toMatchObject({
      lastSuccess: TEST_NOW,
      lastError: null,
      failures: 0,
    });
  });

  it('keeps going when only the removal of the replaced generation fails', { timeout: 30_000 }, async () => {
    const db = await openFreshDb();
    expect((await sync(db, v1, TEST_NOW)).outcome).toBe('updated');
    let twoStoreTransactions = 0;
    const failingDeletes = new Proxy(db, {
      get(target, prop) {
        if (prop !== 'transaction') {
          const value = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return (...args: Parameters<LeakwatchDatabase['transaction']>) => {
          const tx = target.transaction(...args);
          // Over the generation stores alone, the write comes first and the removal of the old one second.
          const names: string[] = typeof args[0] === 'string' ? [args[0]] : Array.from(args[0]);
          if (names.length === 3 && names.includes('generations') && twoStoreTransactions++ === 1) tx.abort();
          return tx;
        };
      },
    });
    const result = await sync(failingDeletes, v2, TEST_NOW + HOUR);
    expect(result).toMatchObject({ outcome: 'updated' });
    const store = new LeakwatchStore(db);
    expect((await store.readActive('sub'))?.header.version).toBe(2);
    expect(await db.getAllKeys('generations')).toEqual([
      ['sub', 1],
      ['sub', 2],
    ]);
    await store.prune(['sub']);
    expect(await db.getAllKeys('generations')).toEqual([['sub', 2]]);
  });
});
