import { type DBSchema, type IDBPDatabase, type IDBPTransaction, openDB } from 'idb';
import { type DecodedList, fingerprintTotal, type ListMeta } from '../utils/list-schema';
import {
  INDEX_FORMAT,
  indexLengths,
  indexList,
  type ListIndex,
  pageDirectory,
  pageDirectoryLength,
} from '../utils/matcher';
import type { LogRecord } from './messages';

/**
 * The background's IndexedDB. A verified list is stored as a "generation": a header plus its
 * fingerprint sets. A generation is written completely in one transaction, then the
 * per-subscription `active` pointer is switched in a second one, then the old generation is
 * deleted: whatever fails or crashes in between, the pointer names a complete, verified list.
 *
 * A stopped service worker reads the fingerprints back on every start, before it can answer the
 * lookup that woke it, so they are kept decoded, all entries in one Blob. In Chromium 156 a 1M
 * list (8 MB) comes back in ~37 ms that way; version 1's 2 MiB Float64Array chunks took ~110 ms,
 * and the Rice-coded payload (2.7 MB, read in ~20 ms as a Blob) then needs ~50 ms of decoding in
 * a worker whose code the JIT has not warmed up yet. The matcher's index of them (bucket directory
 * and filter, 2.5 MB for 1M) follows them in the same Blob: reading it back costs a fresh worker
 * ~10 ms, building it again ~30 ms. A restarted worker reads none of the Blob before its first
 * lookup, then only the values that lookup needs (StoredListHead).
 */

export const DB_NAME = 'leakwatch';
const DB_VERSION = 2;
export const LOG_CAP = 5_000;

export interface GenerationHeader {
  subId: string;
  gen: number;
  listId: string;
  version: number;
  keyId: string;
  /** SHA-256 of the signed payload (hex): two lists with the same digest are the same list. */
  digest: string;
  meta: ListMeta;
  storedAt: number;
}

/** Version 1 stored fingerprints in chunks; such a generation is still read, then rewritten. */
interface ChunkRecord {
  subId: string;
  gen: number;
  entry: number;
  part: number;
  values: Float64Array;
}

/**
 * Every entry's fingerprints, one after the other (meta.entries[i].fingerprintCount each), then the
 * matcher's index: its bucketStart and filter arrays in the Blob, its hashtag keys beside it.
 */
interface FingerprintsRecord {
  subId: string;
  gen: number;
  fingerprints: Blob;
  /** The index's INDEX_FORMAT; this and hashtagKeys are absent in records written before it was kept. */
  index?: string;
  hashtagKeys?: string[][];
  /** pageDirectory() of the index's bucketStart; absent in records written before it was kept. */
  pageStart?: Uint32Array;
}

export interface ActivePointer {
  subId: string;
  gen: number;
  version: number;
  digest: string;
  syncIntervalHours: number;
}

export interface SyncState {
  subId: string;
  lastSuccess: number | null;
  lastAttempt: number | null;
  lastError: string | null;
  etag: string | null;
  lastModified: string | null;
  /** Consecutive failed attempts; drives the exponential backoff. */
  failures: number;
  nextSync: number | null;
  /** Successor keys announced by verified lists of this subscription (key rotation). */
  rotatedKeys: string[];
}

export interface UserSubscription {
  id: string;
  url: string;
  publicKeys: string[];
  addedAt: number;
}

export interface Settings {
  researchMode: boolean;
  pausedSites: string[];
}

export interface StoredList {
  header: GenerationHeader;
  list: DecodedList;
  /** The matcher's index, when it was stored in the current format. */
  index: ListIndex | null;
  /**
   * Stored in an older layout (version 1's chunks, without the current index or without its
   * page directory): rewrite it (rewriteLegacy) to start faster next time.
   */
  legacy: boolean;
}

export interface LeakwatchDb extends DBSchema {
  generations: { key: [string, number]; value: GenerationHeader };
  chunks: { key: [string, number, number, number]; value: ChunkRecord };
  fingerprints: { key: [string, number]; value: FingerprintsRecord };
  active: { key: string; value: ActivePointer };
  sync: { key: string; value: SyncState };
  subscriptions: { key: string; value: UserSubscription };
  settings: { key: string; value: Settings };
  log: { key: number; value: LogRecord };
}

export type LeakwatchDatabase = IDBPDatabase<LeakwatchDb>;

/** Thrown when the browser refuses to store more data; the previous list stays active. */
export class StorageFullError extends Error {
  constructor() {
    super('storage full: the browser refused to store the new list, the previous list stays in use');
    this.name = 'StorageFullError';
  }
}

export function openLeakwatchDb(name = DB_NAME): Promise<LeakwatchDatabase> {
  return openDB<LeakwatchDb>(name, DB_VERSION, {
    // Version 2 only adds a store: the upgrade cannot run out of quota, and version 1's lists stay
    // where they are until each is rewritten through the usual generation switch.
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('generations', { keyPath: ['subId', 'gen'] });
        db.createObjectStore('chunks', { keyPath: ['subId', 'gen', 'entry', 'part'] });
        db.createObjectStore('active', { keyPath: 'subId' });
        db.createObjectStore('sync', { keyPath: 'subId' });
        db.createObjectStore('subscriptions', { keyPath: 'id' });
        db.createObjectStore('settings');
        db.createObjectStore('log', { autoIncrement: true });
      }
      db.createObjectStore('fingerprints', { keyPath: ['subId', 'gen'] });
    },
  });
}

export function emptySyncState(subId: string): SyncState {
  return {
    subId,
    lastSuccess: null,
    lastAttempt: null,
    lastError: null,
    etag: null,
    lastModified: null,
    failures: 0,
    nextSync: null,
    rotatedKeys: [],
  };
}

const DEFAULT_SETTINGS: Settings = { researchMode: false, pausedSites: [] };
const SETTINGS_KEY = 'settings';

/** Array keys sort by prefix first, and any array sorts after any number: this covers one generation. */
function generationRange(subId: string, gen: number): IDBKeyRange {
  return IDBKeyRange.bound([subId, gen], [subId, gen, []]);
}

function subscriptionRange(subId: string): IDBKeyRange {
  return IDBKeyRange.bound([subId], [subId, []]);
}

/** Thrown when any other write of a new list fails (aborted transaction, closed database...). */
export class StorageWriteError extends Error {
  constructor(cause: unknown) {
    super(
      `storage error: the browser could not store the new list (${describeCause(cause)}), the previous list stays in use`,
    );
    this.name = 'StorageWriteError';
  }
}

function describeCause(cause: unknown): string {
  if (typeof cause === 'object' && cause !== null) {
    const { name, message } = cause as { name?: unknown; message?: unknown };
    const text = typeof message === 'string' ? (message.split('\n')[0] ?? '') : '';
    if (typeof name === 'string' && name !== 'Error') return text ? `${name}: ${text}` : name;
    if (text) return text;
  }
  return String(cause);
}

/** DOMException is not an Error subclass in every engine: check the name only. */
function isQuotaError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'QuotaExceededError';
}

/**
 * Runs `work` inside `tx` and waits for the commit. Awaiting both together means an aborted
 * transaction always has a listener: its `done` promise never rejects unhandled.
 */
async function inTransaction<T>(tx: { done: Promise<void> }, work: () => Promise<T>): Promise<T> {
  const [value] = await Promise.all([work(), tx.done]);
  return value;
}

const nameOf = (err: unknown) =>
  typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;

/** Errors that only say a transaction was already aborted or closed, not why. */
const CONSEQUENCES = new Set<unknown>(['AbortError', 'TransactionInactiveError', 'InvalidStateError']);

/**
 * Issues a transaction's requests and waits for its commit. A request that cannot even be issued
 * (its transaction already aborted) must not leave the earlier ones rejecting unhandled, and the
 * error thrown is the first real cause: a browser fails every request after the first with
 * AbortError, and the first with the reason (quota, I/O).
 */
async function writeAll(
  tx: { done: Promise<void>; abort(): void },
  issue: (track: (request: Promise<unknown>) => void) => void,
): Promise<void> {
  const requests: Promise<unknown>[] = [];
  const errors: unknown[] = [];
  try {
    issue((request) => requests.push(request));
  } catch (err) {
    errors.push(err);
    try {
      tx.abort();
    } catch {
      // already aborted or finished: its requests report how
    }
  }
  for (const result of await Promise.allSettled([...requests, tx.done])) {
    if (result.status === 'rejected') errors.push(result.reason);
  }
  if (errors.length === 0) return;
  throw (
    errors.find((e) => !CONSEQUENCES.has(nameOf(e))) ??
    errors.find((e) => nameOf(e) === 'AbortError') ??
    errors[0]
  );
}

/** IndexedDB reports the cause of an aborted transaction on the transaction, not on every request. */
async function rethrowQuota<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isQuotaError(err)) throw new StorageFullError();
    throw err;
  }
}

function storageError(err: unknown): Error {
  if (isQuotaError(err)) return new StorageFullError();
  if (err instanceof StorageFullError || err instanceof StorageWriteError) return err;
  return new StorageWriteError(err);
}

function assembleFingerprints(entries: number, chunks: ChunkRecord[]): Float64Array[] {
  const parts: Float64Array[][] = Array.from({ length: entries }, () => []);
  for (const chunk of chunks) parts[chunk.entry]?.push(chunk.values);
  return parts.map((slices) => {
    const out = new Float64Array(slices.reduce((n, s) => n + s.length, 0));
    let at = 0;
    for (const s of slices) {
      out.set(s, at);
      at += s.length;
    }
    return out;
  });
}

/** What one read transaction found for a generation; the Blob is read once it has ended. */
interface Found {
  header: GenerationHeader;
  record: FingerprintsRecord | undefined;
  chunks: ChunkRecord[];
}

const GENERATION_STORES = ['generations', 'fingerprints', 'chunks'] as const;

type ReadTransaction = IDBPTransaction<LeakwatchDb, ['active', ...typeof GENERATION_STORES], 'readonly'>;

/** A generation's header and record, with its chunks when it has no record (an older layout). */
async function withChunks(
  tx: ReadTransaction,
  { subId, gen }: ActivePointer,
  header: GenerationHeader | undefined,
  record: FingerprintsRecord | undefined,
): Promise<Found | null> {
  if (!header) return null;
  const chunks = record ? [] : await tx.objectStore('chunks').getAll(generationRange(subId, gen));
  return { header, record, chunks };
}

function fingerprintsBlob(list: DecodedList, index: ListIndex): Blob {
  const parts: ArrayBufferView<ArrayBuffer>[] = list.fingerprints.map(
    (values) => values as Float64Array<ArrayBuffer>,
  );
  parts.push(index.bucketStart as Uint32Array<ArrayBuffer>, index.filter as Uint32Array<ArrayBuffer>);
  return new Blob(parts);
}

/** Views on one buffer, no copy. */
function splitFingerprints(meta: ListMeta, all: Float64Array): Float64Array[] {
  let at = 0;
  return meta.entries.map(({ fingerprintCount }) => {
    const start = at;
    at += fingerprintCount;
    return all.subarray(start, at);
  });
}

/** Its values, then bucketStart and filter: what a record in the current format must hold, in bytes. */
function recordSize(meta: ListMeta, count: number): number {
  const lengths = indexLengths(count, meta.fingerprint.bits);
  return count * 8 + (lengths.bucketStart + lengths.filter) * 4;
}

/** The record's fingerprints, and its index if that is in the current format; views, no copy. */
function readRecord(
  meta: ListMeta,
  record: FingerprintsRecord,
  buffer: ArrayBuffer,
): { fingerprints: Float64Array[]; index: ListIndex | null } {
  const count = fingerprintTotal(meta);
  if (buffer.byteLength < count * 8) throw new Error(`stored list ${meta.listId} is cut short`);
  const fingerprints = splitFingerprints(meta, new Float64Array(buffer, 0, count));
  const { hashtagKeys } = record;
  if (record.index !== INDEX_FORMAT || hashtagKeys === undefined) return { fingerprints, index: null };
  const lengths = indexLengths(count, meta.fingerprint.bits);
  const filterAt = (count * 2 + lengths.bucketStart) * 4;
  if (buffer.byteLength !== filterAt + lengths.filter * 4)
    throw new Error(`stored list ${meta.listId} is cut short`);
  return {
    fingerprints,
    index: {
      bucketStart: new Uint32Array(buffer, count * 8, lengths.bucketStart),
      filter: new Uint32Array(buffer, filterAt, lengths.filter),
      hashtagKeys,
    },
  };
}

/**
 * A stored list as a restarted worker reads it first: its header and record, none of its Blob
 * (values, directory and filter: 10.5 MB for 1M fingerprints, ~50 ms of a cold start in Chromium
 * 156). The first lookups read only the values of the pages their fingerprints fall in
 * (readStoredValues); the whole list is read behind them. Only lists of one entry are read so: the
 * directory indexes the entries' values merged, which the record holds entry after entry.
 */
export interface StoredListHead {
  header: GenerationHeader;
  /** The record's Blob, unread; file-backed, so a slice reads only its range. */
  blob: Blob;
  /**
   * pageDirectory() of the list's directory, stored in the record: reading the directory itself
   * (0.5 MB for 1M) from the Blob cost a restarted worker one more read before its first lookup's.
   */
  pageStart: Uint32Array;
  hashtagKeys: string[][];
}

/** What a restarted worker reads before its first lookup: each list's head, or the whole of it. */
export type EarlyList = StoredListHead | StoredList;

export function isHead(early: EarlyList): early is StoredListHead {
  return 'blob' in early;
}

async function storedHead(found: Found): Promise<EarlyList> {
  const { header, record } = found;
  const { meta } = header;
  const count = meta.entries[0]?.fingerprintCount ?? 0;
  if (
    !record ||
    record.index !== INDEX_FORMAT ||
    record.hashtagKeys === undefined ||
    !hasPages(record, meta) ||
    meta.entries.length !== 1 ||
    count === 0
  )
    return storedList(found);
  const blob = record.fingerprints;
  if (blob.size !== recordSize(meta, count)) throw new Error(`stored list ${meta.listId} is cut short`);
  return { header, blob, pageStart: record.pageStart!, hashtagKeys: record.hashtagKeys };
}

/** Whether the record holds a page directory for `meta`'s fingerprints, ending where they end. */
function hasPages(record: FingerprintsRecord, meta: ListMeta): boolean {
  const { pageStart } = record;
  const count = fingerprintTotal(meta);
  return (
    pageStart instanceof Uint32Array &&
    pageStart.length === pageDirectoryLength(count, meta.fingerprint.bits) &&
    pageStart[pageStart.length - 1] === count
  );
}

/**
 * The values at positions [start, end) of each range, one range after the other, in one read:
 * a Blob of slices of the stored Blob costs one round trip however many ranges it holds.
 */
export async function readStoredValues(
  head: StoredListHead,
  ranges: readonly (readonly [number, number])[],
): Promise<Float64Array> {
  const slices = ranges.map(([start, end]) => head.blob.slice(start * 8, end * 8));
  const buffer = await new Blob(slices).arrayBuffer();
  const wanted = ranges.reduce((n, [start, end]) => n + end - start, 0);
  if (buffer.byteLength !== wanted * 8) throw new Error(`stored list ${head.header.listId} is cut short`);
  return new Float64Array(buffer);
}

/** The whole list a head was read from. */
export function readWhole(head: StoredListHead): Promise<StoredList> {
  const record = { subId: head.header.subId, gen: head.header.gen, fingerprints: head.blob };
  return storedList({
    header: head.header,
    record: { ...record, index: INDEX_FORMAT, hashtagKeys: head.hashtagKeys, pageStart: head.pageStart },
    chunks: [],
  });
}

async function storedList({ header, record, chunks }: Found): Promise<StoredList> {
  const { meta } = header;
  if (record) {
    const { fingerprints, index } = readRecord(meta, record, await record.fingerprints.arrayBuffer());
    return { header, list: { meta, fingerprints }, index, legacy: index === null || !hasPages(record, meta) };
  }
  const list = { meta, fingerprints: assembleFingerprints(meta.entries.length, chunks) };
  return { header, list, index: null, legacy: true };
}

export class LeakwatchStore {
  constructor(private readonly db: LeakwatchDatabase) {}

  async getSyncState(subId: string): Promise<SyncState> {
    return (await this.db.get('sync', subId)) ?? emptySyncState(subId);
  }

  putSyncState(state: SyncState): Promise<void> {
    return rethrowQuota(this.db.put('sync', state).then(() => undefined));
  }

  async getActive(subId: string): Promise<ActivePointer | null> {
    return (await this.db.get('active', subId)) ?? null;
  }

  async getActiveHeader(subId: string): Promise<GenerationHeader | null> {
    const pointer = await this.getActive(subId);
    if (!pointer) return null;
    return (await this.db.get('generations', [subId, pointer.gen])) ?? null;
  }

  /** The active list of a subscription, read in one transaction so it cannot mix two generations. */
  async readActive(subId: string): Promise<StoredList | null> {
    const tx = this.db.transaction(['active', ...GENERATION_STORES], 'readonly');
    const found = await inTransaction(tx, async () => {
      const pointer = await tx.objectStore('active').get(subId);
      return pointer ? this.findGeneration(tx, pointer) : null;
    });
    return found && storedList(found);
  }

  /**
   * Every subscription's active list, in one transaction: all a restarted worker needs to answer
   * lookups, without first working out which subscriptions are configured (see background.ts).
   */
  async readAllActive(): Promise<StoredList[]> {
    return Promise.all((await this.findAllActive()).map(storedList));
  }

  /** readAllActive, but lists that can be are read as heads (StoredListHead). */
  async readAllActiveHeads(): Promise<EarlyList[]> {
    return Promise.all((await this.findAllActive()).map(storedHead));
  }

  /**
   * The active generation of every subscription. Pointers, headers and records are asked for at
   * once: one round trip to the browser's IndexedDB instead of two, on a restarted worker's way to
   * its first answer. Generations no pointer names (a sync's, half written) come along unused: their
   * records are a few fields and a Blob handle.
   */
  private async findAllActive(): Promise<Found[]> {
    const tx = this.db.transaction(['active', ...GENERATION_STORES], 'readonly');
    const found = await inTransaction(tx, async () => {
      const [pointers, headers, records] = await Promise.all([
        tx.objectStore('active').getAll(),
        tx.objectStore('generations').getAll(),
        tx.objectStore('fingerprints').getAll(),
      ]);
      const same = (pointer: ActivePointer) => (x: { subId: string; gen: number }) =>
        x.subId === pointer.subId && x.gen === pointer.gen;
      return Promise.all(
        pointers.map((pointer) =>
          withChunks(tx, pointer, headers.find(same(pointer)), records.find(same(pointer))),
        ),
      );
    });
    return found.filter((f) => f !== null);
  }

  private async findGeneration(tx: ReadTransaction, pointer: ActivePointer): Promise<Found | null> {
    const key = [pointer.subId, pointer.gen] as [string, number];
    const [header, record] = await Promise.all([
      tx.objectStore('generations').get(key),
      tx.objectStore('fingerprints').get(key),
    ]);
    return withChunks(tx, pointer, header, record);
  }

  /**
   * Stores a list read in an older layout again as a new generation of today's, through the
   * same write, switch and delete as an update, so a crash at any point keeps one complete list.
   * The sync state goes through unchanged.
   */
  async rewriteLegacy(stored: StoredList): Promise<GenerationHeader> {
    const { header } = stored;
    const state = await this.getSyncState(header.subId);
    const verified = { list: stored.list, keyId: header.keyId, digest: header.digest };
    return this.commitGeneration(header.subId, verified, state, header.storedAt);
  }

  /**
   * Stores a verified list as a new generation and makes it the active one. The generation is
   * written completely before the pointer moves; a failure at any point leaves the previous
   * generation active and intact. `state` is saved in the same transaction as the switch, so the
   * recorded status always describes the active list. `index` is indexList(verified.list), passed
   * by a caller that needs it to compile the list as well (lib/sync.ts).
   */
  async commitGeneration(
    subId: string,
    verified: { list: DecodedList; keyId: string; digest: string },
    state: SyncState,
    now: number,
    index: ListIndex = indexList(verified.list),
  ): Promise<GenerationHeader> {
    const previous = await this.getActive(subId).catch((err: unknown) => {
      throw storageError(err);
    });
    const header: GenerationHeader = {
      subId,
      gen: (previous?.gen ?? 0) + 1,
      listId: verified.list.meta.listId,
      version: verified.list.meta.version,
      keyId: verified.keyId,
      digest: verified.digest,
      meta: verified.list.meta,
      storedAt: now,
    };
    try {
      await this.writeGeneration(header, verified.list, index);
      await this.switchActive(header, state);
    } catch (err) {
      // An aborted write rolls back by itself, but a generation written before a failed switch is
      // complete and unused: remove it now rather than at the next start.
      await this.discardUnlessActive(subId, header.gen).catch(() => undefined);
      throw storageError(err);
    }
    // The new list is in use whatever happens now; a generation left behind is pruned at next start.
    if (previous) await this.deleteGeneration(subId, previous.gen).catch(() => undefined);
    return header;
  }

  private async discardUnlessActive(subId: string, gen: number): Promise<void> {
    const tx = this.db.transaction(['active', ...GENERATION_STORES], 'readwrite');
    await inTransaction(tx, async () => {
      if ((await tx.objectStore('active').get(subId))?.gen === gen) return;
      await Promise.all([
        tx.objectStore('generations').delete([subId, gen]),
        tx.objectStore('fingerprints').delete([subId, gen]),
        tx.objectStore('chunks').delete(generationRange(subId, gen)),
      ]);
    });
  }

  /** `index` is built before (~20 ms for 1M): a transaction started first would hold its stores meanwhile. */
  private async writeGeneration(
    header: GenerationHeader,
    list: DecodedList,
    index: ListIndex,
  ): Promise<void> {
    const record = {
      subId: header.subId,
      gen: header.gen,
      fingerprints: fingerprintsBlob(list, index),
      index: INDEX_FORMAT,
      hashtagKeys: index.hashtagKeys,
      pageStart: pageDirectory(index.bucketStart),
    };
    const tx = this.db.transaction(GENERATION_STORES, 'readwrite');
    const fingerprints = tx.objectStore('fingerprints');
    await writeAll(tx, (track) => {
      // A version 1 generation that was never switched to can have left chunks under this number.
      track(tx.objectStore('chunks').delete(generationRange(header.subId, header.gen)));
      track(tx.objectStore('generations').put(header));
      track(fingerprints.put(record));
    });
  }

  private async switchActive(header: GenerationHeader, state: SyncState): Promise<void> {
    const tx = this.db.transaction(['active', 'sync'], 'readwrite');
    const pointer: ActivePointer = {
      subId: header.subId,
      gen: header.gen,
      version: header.version,
      digest: header.digest,
      syncIntervalHours: header.meta.syncIntervalHours,
    };
    await writeAll(tx, (track) => {
      track(tx.objectStore('active').put(pointer));
      track(tx.objectStore('sync').put(state));
    });
  }

  private async deleteGeneration(subId: string, gen: number): Promise<void> {
    const tx = this.db.transaction(GENERATION_STORES, 'readwrite');
    await writeAll(tx, (track) => {
      track(tx.objectStore('generations').delete([subId, gen]));
      track(tx.objectStore('fingerprints').delete([subId, gen]));
      track(tx.objectStore('chunks').delete(generationRange(subId, gen)));
    });
  }

  /**
   * Deletes everything stored for subscriptions that are no longer configured, and generations
   * that were written but never switched to (a crash between write and switch).
   */
  async prune(keepSubIds: readonly string[]): Promise<void> {
    const keep = new Set(keepSubIds);
    const headers = await this.db.getAllKeys('generations');
    const syncIds = await this.db.getAllKeys('sync');
    const activeIds = await this.db.getAllKeys('active');
    for (const subId of new Set([...syncIds, ...activeIds, ...headers.map(([id]) => id)])) {
      if (!keep.has(subId)) await this.deleteSubscriptionData(subId);
    }
    for (const [subId, gen] of headers) {
      if (!keep.has(subId)) continue;
      const active = await this.getActive(subId);
      if (active?.gen !== gen) await this.deleteGeneration(subId, gen);
    }
  }

  async deleteSubscriptionData(subId: string): Promise<void> {
    const tx = this.db.transaction([...GENERATION_STORES, 'active', 'sync', 'subscriptions'], 'readwrite');
    await writeAll(tx, (track) => {
      track(tx.objectStore('generations').delete(subscriptionRange(subId)));
      track(tx.objectStore('fingerprints').delete(subscriptionRange(subId)));
      track(tx.objectStore('chunks').delete(subscriptionRange(subId)));
      track(tx.objectStore('active').delete(subId));
      track(tx.objectStore('sync').delete(subId));
      track(tx.objectStore('subscriptions').delete(subId));
    });
  }

  getUserSubscriptions(): Promise<UserSubscription[]> {
    return this.db.getAll('subscriptions');
  }

  putUserSubscription(sub: UserSubscription): Promise<void> {
    return rethrowQuota(this.db.put('subscriptions', sub).then(() => undefined));
  }

  async getSettings(): Promise<Settings> {
    return (await this.db.get('settings', SETTINGS_KEY)) ?? DEFAULT_SETTINGS;
  }

  async updateSettings(change: Partial<Settings>): Promise<Settings> {
    const tx = this.db.transaction('settings', 'readwrite');
    return inTransaction(tx, async () => {
      const next = { ...((await tx.store.get(SETTINGS_KEY)) ?? DEFAULT_SETTINGS), ...change };
      await tx.store.put(next, SETTINGS_KEY);
      return next;
    });
  }

  /** Appends research-log records, dropping the oldest beyond `cap`. */
  async appendLog(records: readonly LogRecord[], cap = LOG_CAP): Promise<void> {
    if (records.length === 0) return;
    const tx = this.db.transaction('log', 'readwrite');
    await rethrowQuota(
      inTransaction(tx, async () => {
        for (const record of records) await tx.store.add(record);
        let excess = (await tx.store.count()) - cap;
        let cursor = excess > 0 ? await tx.store.openCursor() : null;
        while (cursor && excess > 0) {
          await cursor.delete();
          excess--;
          cursor = excess > 0 ? await cursor.continue() : null;
        }
      }),
    );
  }

  /** Newest first. */
  async readLog(): Promise<LogRecord[]> {
    return (await this.db.getAll('log')).reverse();
  }

  async clearLog(): Promise<void> {
    await this.db.clear('log');
  }
}
