import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { DecodedList, ListMeta } from '../utils/list-schema';
import type { LogRecord } from './messages';

/**
 * The background's IndexedDB. A verified list is stored as a "generation": a header plus its
 * fingerprint sets in chunks. A generation is written completely in one transaction, then the
 * per-subscription `active` pointer is switched in a second one, then the old generation is
 * deleted: whatever fails or crashes in between, the pointer names a complete, verified list.
 */

export const DB_NAME = 'leakwatch';
const DB_VERSION = 1;
/** 2 MiB of fingerprints per record: big lists never need one huge structured clone. */
const CHUNK_VALUES = 1 << 18;
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

interface ChunkRecord {
  subId: string;
  gen: number;
  entry: number;
  part: number;
  values: Float64Array;
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
}

export interface LeakwatchDb extends DBSchema {
  generations: { key: [string, number]; value: GenerationHeader };
  chunks: { key: [string, number, number, number]; value: ChunkRecord };
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
    upgrade(db) {
      db.createObjectStore('generations', { keyPath: ['subId', 'gen'] });
      db.createObjectStore('chunks', { keyPath: ['subId', 'gen', 'entry', 'part'] });
      db.createObjectStore('active', { keyPath: 'subId' });
      db.createObjectStore('sync', { keyPath: 'subId' });
      db.createObjectStore('subscriptions', { keyPath: 'id' });
      db.createObjectStore('settings');
      db.createObjectStore('log', { autoIncrement: true });
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

function chunkRecords(subId: string, gen: number, list: DecodedList): ChunkRecord[] {
  const records: ChunkRecord[] = [];
  list.fingerprints.forEach((values, entry) => {
    const parts = Math.max(1, Math.ceil(values.length / CHUNK_VALUES));
    for (let part = 0; part < parts; part++) {
      const slice = values.slice(part * CHUNK_VALUES, (part + 1) * CHUNK_VALUES);
      records.push({ subId, gen, entry, part, values: slice });
    }
  });
  return records;
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
    const tx = this.db.transaction(['active', 'generations', 'chunks'], 'readonly');
    return inTransaction(tx, async () => {
      const pointer = await tx.objectStore('active').get(subId);
      if (!pointer) return null;
      const header = await tx.objectStore('generations').get([subId, pointer.gen]);
      if (!header) return null;
      const chunks = await tx.objectStore('chunks').getAll(generationRange(subId, pointer.gen));
      const fingerprints = assembleFingerprints(header.meta.entries.length, chunks);
      return { header, list: { meta: header.meta, fingerprints } };
    });
  }

  /**
   * Stores a verified list as a new generation and makes it the active one. The generation is
   * written completely before the pointer moves; a failure at any point leaves the previous
   * generation active and intact. `state` is saved in the same transaction as the switch, so the
   * recorded status always describes the active list.
   */
  async commitGeneration(
    subId: string,
    verified: { list: DecodedList; keyId: string; digest: string },
    state: SyncState,
    now: number,
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
      await this.writeGeneration(header, verified.list);
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
    const tx = this.db.transaction(['active', 'generations', 'chunks'], 'readwrite');
    await inTransaction(tx, async () => {
      if ((await tx.objectStore('active').get(subId))?.gen === gen) return;
      await Promise.all([
        tx.objectStore('generations').delete([subId, gen]),
        tx.objectStore('chunks').delete(generationRange(subId, gen)),
      ]);
    });
  }

  private async writeGeneration(header: GenerationHeader, list: DecodedList): Promise<void> {
    const tx = this.db.transaction(['generations', 'chunks'], 'readwrite');
    const chunks = tx.objectStore('chunks');
    await writeAll(tx, (track) => {
      // A crash after an earlier write but before its switch can leave chunks under this number.
      track(chunks.delete(generationRange(header.subId, header.gen)));
      track(tx.objectStore('generations').put(header));
      for (const record of chunkRecords(header.subId, header.gen, list)) track(chunks.put(record));
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
    const tx = this.db.transaction(['generations', 'chunks'], 'readwrite');
    await writeAll(tx, (track) => {
      track(tx.objectStore('generations').delete([subId, gen]));
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
    const tx = this.db.transaction(['generations', 'chunks', 'active', 'sync', 'subscriptions'], 'readwrite');
    await writeAll(tx, (track) => {
      track(tx.objectStore('generations').delete(subscriptionRange(subId)));
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
