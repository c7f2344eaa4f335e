import { concatBytes, sha256, toHex } from '../utils/bytes';
import { applySignedDelta, openSignedDelta } from '../utils/delta';
import { parsePublicKey } from '../utils/ed25519';
import {
  DEFAULT_MAX_LIST_BYTES,
  openSignedList,
  trustedKeysFromText,
  type VerifiedList,
} from '../utils/envelope';
import { describeError, LeakwatchError, type LeakwatchErrorCode } from '../utils/errors';
import { encodeList } from '../utils/list-format';
import { indexList, type ListIndex } from '../utils/matcher';
import {
  type ActivePointer,
  type GenerationHeader,
  type LeakwatchStore,
  StorageFullError,
  StorageWriteError,
  type SyncState,
} from './store';

/**
 * Downloads one subscription's signed list and, when it verifies and is newer, makes it the active
 * list. Every failure keeps the last good list and is recorded in plain words with the time of the
 * next attempt, so the options page can say what went wrong and when it will try again.
 *
 * A list served as `.../list.lwl` (the layout `leakwatch publish` writes) is first asked for a
 * signed delta from the installed version. The delta is only a shortcut: whenever it is missing,
 * meant for another base, or fails any check, the full list is downloaded as if it did not exist.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DEFAULT_SYNC_INTERVAL_HOURS = 6;
const BACKOFF_BASE_MS = 15 * MINUTE;
const BACKOFF_MAX_MS = 24 * HOUR;
const DEFAULT_TIMEOUT_MS = 60_000;

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface SyncDeps {
  store: LeakwatchStore;
  fetch: FetchLike;
  now: () => number;
  /** Uniform in [0, 1): spreads clients' requests over time. */
  random: () => number;
  maxBytes?: number;
  timeoutMs?: number;
}

export interface SyncTarget {
  id: string;
  url: string;
  publicKeys: readonly string[];
}

/** Whether the answer came from a delta or from the full list. */
export type SyncRoute = 'delta' | 'full';

/** Why a sync failed, for programs; people read `error`. */
export type SyncErrorCode =
  | LeakwatchErrorCode
  | 'http-status'
  | 'timeout'
  | 'network'
  | 'storage-full'
  | 'storage-error'
  | 'internal';

export type SyncResult =
  | {
      outcome: 'updated';
      via: SyncRoute;
      header: GenerationHeader;
      verified: VerifiedList;
      /** The matcher's index of the list, built once for the store and for compileList. */
      index: ListIndex;
    }
  | { outcome: 'unchanged'; via: SyncRoute }
  | { outcome: 'failed'; code: SyncErrorCode; error: string };

/** A failure the server asked us to wait out (Retry-After), on top of the error itself. */
class ServerRefusal extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

/** The server answered, then the body broke off: not the same problem as not reaching it at all. */
class CutShort extends Error {}

/** Regular schedule: the list's own interval, spread by ±10 % so clients do not synchronise. */
export function regularDelay(intervalHours: number, random: () => number): number {
  return intervalHours * HOUR * (0.9 + 0.2 * random());
}

/**
 * Safe Browsing's backoff: min(2^(n-1) × 15 min × (1 + rand), 24 h) after the n-th failure in a
 * row. A server's Retry-After wins, capped at the same 24 h so a hostile or broken server cannot
 * freeze updates for longer.
 */
export function failureDelay(failures: number, random: () => number, retryAfterMs: number | null): number {
  if (retryAfterMs !== null) return Math.min(Math.max(retryAfterMs, 0), BACKOFF_MAX_MS);
  return Math.min(2 ** (failures - 1) * BACKOFF_BASE_MS * (1 + random()), BACKOFF_MAX_MS);
}

/** Retry-After is either delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

function conditionalHeaders(state: SyncState, active: ActivePointer | null): Record<string, string> {
  // Without a stored list a 304 would leave us with nothing: always ask for the full body then.
  if (!active) return {};
  const headers: Record<string, string> = {};
  if (state.etag) headers['If-None-Match'] = state.etag;
  if (state.lastModified) headers['If-Modified-Since'] = state.lastModified;
  return headers;
}

function tooLarge(maxBytes: number): LeakwatchError {
  return new LeakwatchError(
    'too-large',
    `the list is larger than the ${maxBytes}-byte limit; download stopped`,
  );
}

/** Reads the body, stopping as soon as it passes `maxBytes`, so an endless body costs at most that. */
export async function readLimited(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(maxBytes);
  }
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > maxBytes) throw tooLarge(maxBytes);
    return bytes;
  }
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(...parts);
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    parts.push(value);
  }
}

type Download =
  | { kind: 'not-modified' }
  | { kind: 'body'; bytes: Uint8Array; etag: string | null; lastModified: string | null };

async function download(deps: SyncDeps, url: string, headers: Record<string, string>): Promise<Download> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deps.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    // no-store: the HTTP cache would otherwise answer our conditional request itself and hide the 304.
    const response = await deps.fetch(url, {
      headers,
      cache: 'no-store',
      credentials: 'omit',
      signal: controller.signal,
    });
    if (response.status === 304 && Object.keys(headers).length > 0) return { kind: 'not-modified' };
    if (!response.ok) {
      await response.body?.cancel();
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'), deps.now());
      throw new ServerRefusal(`the list server answered HTTP ${response.status}`, retryAfter);
    }
    let bytes: Uint8Array;
    try {
      bytes = await readLimited(response, deps.maxBytes ?? DEFAULT_MAX_LIST_BYTES);
    } catch (err) {
      if (err instanceof TypeError) {
        throw new CutShort(`the list server cut the download short (${describeError(err)})`);
      }
      throw err;
    }
    return {
      kind: 'body',
      bytes,
      etag: response.headers.get('etag'),
      lastModified: response.headers.get('last-modified'),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Configured keys plus rotated-in successors; keys that do not parse are reported, not skipped. */
async function trustedKeysFor(sub: SyncTarget, state: SyncState) {
  const texts = [...new Set([...sub.publicKeys, ...state.rotatedKeys])];
  if (texts.length === 0) throw new LeakwatchError('bad-key', 'no public key is configured for this list');
  return trustedKeysFromText(texts);
}

async function verify(
  deps: SyncDeps,
  sub: SyncTarget,
  state: SyncState,
  active: ActivePointer | null,
  installedListId: string | null,
  bytes: Uint8Array,
) {
  const verified = await openSignedList(bytes, {
    trustedKeys: await trustedKeysFor(sub, state),
    now: deps.now(),
    minVersion: active?.version,
    maxBytes: deps.maxBytes,
  });
  const { version, listId } = verified.list.meta;
  // One key may sign several lists: a mirror must not be able to serve one in place of another.
  if (installedListId !== null && listId !== installedListId) {
    throw new LeakwatchError(
      'wrong-list',
      `the server sent list ${listId}, this subscription follows list ${installedListId}`,
    );
  }
  if (active && version === active.version && verified.digest !== active.digest) {
    throw new LeakwatchError(
      'rollback',
      `list version ${version} differs from the installed list of the same version`,
    );
  }
  return verified;
}

/** Announced successor keys that parse; a garbled announcement must not break later syncs. */
function validKeys(texts: readonly string[]): string[] {
  return texts.filter((text) => {
    try {
      parsePublicKey(text);
      return true;
    } catch {
      return false;
    }
  });
}

const REFUSED_CODES = new Set([
  'unknown-key',
  'bad-signature',
  'rollback',
  'expired',
  'not-yet-valid',
  'wrong-list',
]);

const isTimeout = (err: unknown) =>
  err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');

export function syncErrorCode(err: unknown): SyncErrorCode {
  if (err instanceof StorageFullError) return 'storage-full';
  if (err instanceof StorageWriteError) return 'storage-error';
  if (err instanceof ServerRefusal) return 'http-status';
  if (err instanceof CutShort) return 'network';
  if (err instanceof LeakwatchError) return err.code;
  if (isTimeout(err)) return 'timeout';
  if (err instanceof TypeError) return 'network';
  return 'internal';
}

/** One line a reader of the options page can act on. */
export function plainError(err: unknown): string {
  if (
    err instanceof StorageFullError ||
    err instanceof StorageWriteError ||
    err instanceof ServerRefusal ||
    err instanceof CutShort
  )
    return err.message;
  if (err instanceof LeakwatchError) {
    if (REFUSED_CODES.has(err.code)) return `refused the downloaded list: ${err.message}`;
    if (err.code === 'bad-key') return err.message;
    return `the downloaded list is unusable: ${err.message}`;
  }
  if (isTimeout(err)) return 'the list server did not answer in time';
  if (err instanceof TypeError) return `could not reach the list server (${describeError(err)})`;
  return describeError(err);
}

function successState(deps: SyncDeps, state: SyncState, intervalHours: number, now: number): SyncState {
  return {
    ...state,
    lastAttempt: now,
    lastSuccess: now,
    lastError: null,
    failures: 0,
    nextSync: now + regularDelay(intervalHours, deps.random),
  };
}

async function recordFailure(
  deps: SyncDeps,
  state: SyncState,
  err: unknown,
  now: number,
): Promise<SyncResult> {
  const failures = state.failures + 1;
  const retryAfter = err instanceof ServerRefusal ? err.retryAfterMs : null;
  const error = plainError(err);
  try {
    await deps.store.putSyncState({
      ...state,
      lastAttempt: now,
      lastError: error,
      failures,
      nextSync: now + failureDelay(failures, deps.random, retryAfter),
    });
  } catch {
    // A store that cannot even take the status still has its last good list; the caller gets the reason.
  }
  return { outcome: 'failed', code: syncErrorCode(err), error };
}

/** Where `leakwatch publish` serves the delta from `version`; null for a list not laid out by it. */
export function deltaUrl(listUrl: string, version: number): string | null {
  const url = new URL(listUrl);
  if (!url.pathname.endsWith('/list.lwl')) return null;
  return new URL(`deltas/${version}.lwd`, url).href;
}

type DeltaOutcome = { kind: 'current' } | { kind: 'patched'; verified: VerifiedList };

/**
 * The delta route. Its failures are not the subscription's failures: every one of them, from a 404
 * to a bad signature, returns null and the caller downloads the full list.
 */
async function tryDelta(
  deps: SyncDeps,
  sub: SyncTarget,
  state: SyncState,
  active: ActivePointer,
): Promise<DeltaOutcome | null> {
  try {
    const url = deltaUrl(sub.url, active.version);
    if (!url) return null;
    const fetched = await download(deps, url, {});
    if (fetched.kind !== 'body') return null;
    const delta = await openSignedDelta(fetched.bytes, {
      trustedKeys: await trustedKeysFor(sub, state),
      maxBytes: deps.maxBytes,
    });
    const { header } = delta;
    if (header.baseVersion !== active.version || header.baseDigest !== active.digest) return null;
    if (header.targetDigest === active.digest) return { kind: 'current' };
    // The store keeps fingerprints, not payload bytes: rebuild the payload and make sure it is
    // byte for byte the installed list before patching it.
    const stored = await deps.store.readActive(sub.id);
    if (!stored) return null;
    const base = encodeList(stored.list);
    if (toHex(await sha256(base)) !== active.digest) return null;
    const verified = await applySignedDelta(base, delta, { now: deps.now(), minVersion: active.version });
    return { kind: 'patched', verified };
  } catch {
    return null;
  }
}

async function install(
  deps: SyncDeps,
  sub: SyncTarget,
  state: SyncState,
  verified: VerifiedList,
  via: SyncRoute,
  now: number,
): Promise<SyncResult> {
  const { meta } = verified.list;
  const next: SyncState = {
    ...successState(deps, state, meta.syncIntervalHours, now),
    rotatedKeys: [...new Set([...state.rotatedKeys, ...validKeys(meta.nextKeys)])],
  };
  const index = indexList(verified.list);
  const header = await deps.store.commitGeneration(sub.id, verified, next, now, index);
  return { outcome: 'updated', via, header, verified, index };
}

export async function syncSubscription(deps: SyncDeps, sub: SyncTarget): Promise<SyncResult> {
  const now = deps.now();
  const state = await deps.store.getSyncState(sub.id);
  const active = await deps.store.getActive(sub.id);
  const installedListId = active ? ((await deps.store.getActiveHeader(sub.id))?.listId ?? null) : null;
  try {
    const interval = active?.syncIntervalHours ?? DEFAULT_SYNC_INTERVAL_HOURS;
    // The full list's validators stay as they were: they still describe the last full download.
    const delta = active ? await tryDelta(deps, sub, state, active) : null;
    if (delta?.kind === 'current') {
      await deps.store.putSyncState(successState(deps, state, interval, now));
      return { outcome: 'unchanged', via: 'delta' };
    }
    if (delta?.kind === 'patched') return await install(deps, sub, state, delta.verified, 'delta', now);

    const fetched = await download(deps, sub.url, conditionalHeaders(state, active));
    if (fetched.kind === 'not-modified') {
      await deps.store.putSyncState(successState(deps, state, interval, now));
      return { outcome: 'unchanged', via: 'full' };
    }
    const verified = await verify(deps, sub, state, active, installedListId, fetched.bytes);
    const validators = { etag: fetched.etag, lastModified: fetched.lastModified };
    if (active && verified.digest === active.digest) {
      await deps.store.putSyncState({ ...successState(deps, state, interval, now), ...validators });
      return { outcome: 'unchanged', via: 'full' };
    }
    return await install(deps, sub, { ...state, ...validators }, verified, 'full', now);
  } catch (err) {
    return recordFailure(deps, state, err, now);
  }
}
