import { beforeEach, describe, expect, it } from 'vitest';
import { LeakwatchStore } from '../../lib/store';
import {
  type FetchLike,
  failureDelay,
  parseRetryAfter,
  regularDelay,
  type SyncDeps,
  syncSubscription,
} from '../../lib/sync';
import { openFreshDb, quotaAfter } from './helpers/db';
import { makeSignedList, newSigner, signedList, TEST_NOW, type TestSigner } from './helpers/lists';

const URL_ = 'https://lists.example/leaks.lwl';
const MIN = 60_000;
const HOUR = 60 * MIN;

interface Served {
  status?: number;
  body?: Uint8Array | ReadableStream<Uint8Array<ArrayBuffer>> | null;
  headers?: Record<string, string>;
}

/** A list server: answers with whatever `serve` returns and records the requests. */
function server(serve: (headers: Headers) => Served | Promise<Served>) {
  const requests: Headers[] = [];
  const fetch: FetchLike = async (_url, init) => {
    const headers = new Headers(init.headers);
    requests.push(headers);
    const answer = await serve(headers);
    const body = answer.body instanceof Uint8Array ? new Uint8Array(answer.body) : (answer.body ?? null);
    return new Response(body, { status: answer.status ?? 200, headers: answer.headers });
  };
  return { fetch, requests };
}

let signer: TestSigner;
let store: LeakwatchStore;
let clock: number;

beforeEach(async () => {
  signer = await newSigner();
  store = new LeakwatchStore(await openFreshDb());
  clock = TEST_NOW;
});

function deps(fetch: FetchLike, extra: Partial<SyncDeps> = {}): SyncDeps {
  return { store, fetch, now: () => clock, random: () => 0.5, ...extra };
}

const sub = () => ({ id: 'sub', url: URL_, publicKeys: [signer.publicKeyText] });

async function installVersion(version: number) {
  const bytes = await signedList(signer, { version });
  const result = await syncSubscription(
    deps(server(() => ({ body: bytes, headers: { etag: `"v${version}"` } })).fetch),
    sub(),
  );
  expect(result.outcome).toBe('updated');
  return bytes;
}

/** The old list is still the one in use, byte for byte. */
async function expectActiveVersion(version: number) {
  expect((await store.getActive('sub'))?.version).toBe(version);
  expect((await store.readActive('sub'))?.header.version).toBe(version);
}

describe('syncSubscription: success paths', () => {
  it('installs a verified list and schedules the next sync from its interval', async () => {
    const bytes = await signedList(signer, { version: 3, syncIntervalHours: 10 });
    const { fetch } = server(() => ({
      body: bytes,
      headers: { etag: '"abc"', 'last-modified': 'Sun, 01 Mar 2026 10:00:00 GMT' },
    }));
    const result = await syncSubscription(deps(fetch), sub());
    expect(result.outcome).toBe('updated');
    await expectActiveVersion(3);
    const state = await store.getSyncState('sub');
    expect(state).toMatchObject({
      lastSuccess: TEST_NOW,
      lastAttempt: TEST_NOW,
      lastError: null,
      failures: 0,
      etag: '"abc"',
      lastModified: 'Sun, 01 Mar 2026 10:00:00 GMT',
      nextSync: TEST_NOW + 10 * HOUR, // random 0.5: no jitter
    });
  });

  it('sends conditional headers once a list is installed; 304 is a success that changes nothing', async () => {
    await installVersion(1);
    await store.putSyncState({
      ...(await store.getSyncState('sub')),
      lastModified: 'Sun, 01 Mar 2026 10:00:00 GMT',
    });
    clock += HOUR;
    const { fetch, requests } = server(() => ({ status: 304 }));
    expect((await syncSubscription(deps(fetch), sub())).outcome).toBe('unchanged');
    expect(requests[0]?.get('if-none-match')).toBe('"v1"');
    expect(requests[0]?.get('if-modified-since')).toBe('Sun, 01 Mar 2026 10:00:00 GMT');
    await expectActiveVersion(1);
    expect(await store.getSyncState('sub')).toMatchObject({
      lastSuccess: clock,
      lastError: null,
      nextSync: clock + 6 * HOUR,
    });
  });

  it('asks for the full list when none is installed, even with stored validators', async () => {
    await store.putSyncState({ ...(await store.getSyncState('sub')), etag: '"stale"' });
    const bytes = await signedList(signer);
    const { fetch, requests } = server(() => ({ body: bytes }));
    await syncSubscription(deps(fetch), sub());
    expect(requests[0]?.has('if-none-match')).toBe(false);
  });

  it('treats the same bytes again as unchanged', async () => {
    const bytes = await installVersion(2);
    const { fetch } = server(() => ({ body: bytes }));
    expect((await syncSubscription(deps(fetch), sub())).outcome).toBe('unchanged');
    await expectActiveVersion(2);
    expect((await store.getSyncState('sub')).lastError).toBeNull();
  });

  it('trusts keys announced in nextKeys for later versions (rotation)', async () => {
    const next = await newSigner();
    const v1 = await signedList(signer, { version: 1, nextKeys: [next.publicKeyText] });
    await syncSubscription(deps(server(() => ({ body: v1 })).fetch), sub());
    const v2 = await signedList(next, { version: 2 });
    expect((await syncSubscription(deps(server(() => ({ body: v2 })).fetch), sub())).outcome).toBe('updated');
    await expectActiveVersion(2);
  });
});

describe('syncSubscription: failures keep the last good list', () => {
  async function expectFailure(fetch: FetchLike, error: RegExp, extra: Partial<SyncDeps> = {}) {
    await installVersion(1);
    clock += HOUR;
    const result = await syncSubscription(deps(fetch, extra), sub());
    expect(result).toMatchObject({ outcome: 'failed', error: expect.stringMatching(error) });
    await expectActiveVersion(1);
    const state = await store.getSyncState('sub');
    expect(state).toMatchObject({ lastAttempt: clock, lastSuccess: clock - HOUR, failures: 1 });
    expect(state.lastError).toMatch(error);
    return state;
  }

  it('refuses a tampered list', async () => {
    const bytes = await signedList(signer, { version: 2 });
    bytes[40] = bytes[40]! ^ 1;
    const state = await expectFailure(
      server(() => ({ body: bytes })).fetch,
      /refused the downloaded list: bad signature/,
    );
    // first failure: 15 min × (1 + 0.5)
    expect(state.nextSync).toBe(clock + 22.5 * MIN);
  });

  it('refuses a list signed by an unknown key', async () => {
    const { bytes } = await makeSignedList({ version: 2 });
    await expectFailure(server(() => ({ body: bytes })).fetch, /unknown key/);
  });

  it('refuses an older version (rollback)', async () => {
    await installVersion(5);
    const older = await signedList(signer, { version: 4 });
    const result = await syncSubscription(deps(server(() => ({ body: older })).fetch), sub());
    expect(result).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/older than/) });
    await expectActiveVersion(5);
  });

  it('refuses the same version with different content', async () => {
    const bytes = await signedList(signer, { version: 1, hashtags: ['other'] });
    await expectFailure(
      server(() => ({ body: bytes })).fetch,
      /differs from the installed list of the same version/,
    );
  });

  it('refuses an expired list', async () => {
    const bytes = await signedList(signer, {
      version: 2,
      issuedAt: '2025-01-01T00:00:00Z',
      expiresAt: '2026-01-01T00:00:00Z',
    });
    await expectFailure(server(() => ({ body: bytes })).fetch, /expired/);
  });

  it('stops reading an oversized body while streaming, before parsing', async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = () =>
      new ReadableStream<Uint8Array<ArrayBuffer>>({
        pull(controller) {
          pulled += 1;
          controller.enqueue(new Uint8Array(64 * 1024));
        },
        cancel() {
          cancelled = true;
        },
      });
    await expectFailure(server(() => ({ body: endless() })).fetch, /larger than the 200000-byte limit/, {
      maxBytes: 200_000,
    });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(8);
  });

  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    const bytes = await signedList(signer, { version: 2 });
    await expectFailure(
      server(() => ({ body: bytes, headers: { 'content-length': String(bytes.length) } })).fetch,
      /larger than the 100-byte limit/,
      { maxBytes: 100 },
    );
  });

  it('honours Retry-After on a 500', async () => {
    const state = await expectFailure(
      server(() => ({ status: 500, headers: { 'retry-after': '120' } })).fetch,
      /the list server answered HTTP 500/,
    );
    expect(state.nextSync).toBe(clock + 120_000);
  });

  it('backs off exponentially without Retry-After', async () => {
    await expectFailure(server(() => ({ status: 503 })).fetch, /HTTP 503/);
    const second = await syncSubscription(deps(server(() => ({ status: 503 })).fetch), sub());
    expect(second.outcome).toBe('failed');
    const state = await store.getSyncState('sub');
    expect(state.failures).toBe(2);
    expect(state.nextSync).toBe(clock + 2 * 15 * MIN * 1.5);
  });

  it('says so in plain words when the server cannot be reached', async () => {
    const offline: FetchLike = () => Promise.reject(new TypeError('fetch failed'));
    await expectFailure(offline, /could not reach the list server/);
  });

  it('says "storage full" when IndexedDB is out of quota', async () => {
    const db = await openFreshDb();
    store = new LeakwatchStore(db);
    await installVersion(1);
    store = new LeakwatchStore(quotaAfter(db, 'chunks', 0));
    clock += HOUR;
    const bytes = await signedList(signer, { version: 2 });
    const result = await syncSubscription(deps(server(() => ({ body: bytes })).fetch), sub());
    expect(result).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/^storage full/) });
    store = new LeakwatchStore(db);
    await expectActiveVersion(1);
    expect((await store.getSyncState('sub')).lastError).toMatch(/^storage full/);
  });

  it('records a configuration without keys as an error', async () => {
    const bytes = await signedList(signer);
    const result = await syncSubscription(deps(server(() => ({ body: bytes })).fetch), {
      ...sub(),
      publicKeys: [],
    });
    expect(result).toMatchObject({ outcome: 'failed', error: 'no public key is configured for this list' });
  });
});

describe('schedule arithmetic', () => {
  it('caps the exponential backoff at 24 h', () => {
    expect(failureDelay(1, () => 0, null)).toBe(15 * MIN);
    expect(failureDelay(3, () => 0.5, null)).toBe(4 * 15 * MIN * 1.5);
    expect(failureDelay(20, () => 0.99, null)).toBe(24 * HOUR);
  });

  it('lets Retry-After win, within 24 h', () => {
    expect(failureDelay(5, () => 0.5, 60_000)).toBe(60_000);
    expect(failureDelay(1, () => 0.5, 10 * 24 * HOUR)).toBe(24 * HOUR);
  });

  it('parses both Retry-After forms', () => {
    expect(parseRetryAfter('30', TEST_NOW)).toBe(30_000);
    expect(parseRetryAfter(new Date(TEST_NOW + 90_000).toUTCString(), TEST_NOW)).toBe(90_000);
    expect(parseRetryAfter('soon', TEST_NOW)).toBeNull();
    expect(parseRetryAfter(null, TEST_NOW)).toBeNull();
  });

  it('spreads the regular schedule by ±10 %', () => {
    expect(regularDelay(6, () => 0)).toBe(5.4 * HOUR);
    expect(regularDelay(6, () => 0.5)).toBe(6 * HOUR);
  });
});
