import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main';
import { LeakwatchStore } from '../../lib/store';
import {
  deltaUrl,
  type FetchLike,
  failureDelay,
  parseRetryAfter,
  regularDelay,
  type SyncDeps,
  syncSubscription,
} from '../../lib/sync';
import { makeDelta, signDelta } from '../../utils/delta';
import { readEnvelope } from '../../utils/envelope';
import { decodeList, encodeList } from '../../utils/list-format';
import { indexList } from '../../utils/matcher';
import { openFreshDb, quotaAfter } from './helpers/db';
import {
  makeList,
  makeSignedList,
  newSigner,
  signedList,
  TEST_NOW,
  type TestListOptions,
  type TestSigner,
} from './helpers/lists';

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
    store = new LeakwatchStore(quotaAfter(db, 'fingerprints', 0));
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

describe('syncSubscription: deltas', () => {
  const LIST_URL = 'https://lists.example/pub/list.lwl';
  const deltaSub = () => ({ id: 'sub', url: LIST_URL, publicKeys: [signer.publicKeyText] });

  /** A static host: serves `files` by URL, 404 for anything else, and records what was asked. */
  function host(files: Map<string, Uint8Array>) {
    const urls: string[] = [];
    const fetch: FetchLike = async (url) => {
      urls.push(url);
      const body = files.get(url);
      return body ? new Response(new Uint8Array(body)) : new Response(null, { status: 404 });
    };
    return { fetch, urls };
  }

  const fingerprints = (version: number) => Array.from({ length: 200 }, (_, i) => i * 97 + version * 13);
  const options = (version: number): TestListOptions => ({ version, fingerprints: fingerprints(version) });
  const payload = (version: number, extra: TestListOptions = {}) =>
    encodeList(makeList({ ...options(version), ...extra }));
  const signedDelta = async (from: Uint8Array, to: Uint8Array, by = signer) =>
    signDelta(await makeDelta(from, to), by.privateKeyPkcs8, by.publicKey);

  async function install(version: number) {
    const bytes = await signedList(signer, options(version));
    const { fetch } = host(new Map([[LIST_URL, bytes]]));
    expect(await syncSubscription(deps(fetch), deltaSub())).toMatchObject({
      outcome: 'updated',
      via: 'full',
    });
    clock += HOUR;
  }

  it('asks for deltas only where `leakwatch publish` puts them', () => {
    expect(deltaUrl(LIST_URL, 42)).toBe('https://lists.example/pub/deltas/42.lwd');
    expect(deltaUrl('https://lists.example/list.lwl?x=1', 7)).toBe('https://lists.example/deltas/7.lwd');
    expect(deltaUrl(URL_, 42)).toBeNull();
  });

  it('applies a delta for its installed version and never downloads the full list', async () => {
    await install(1);
    const full = await signedList(signer, options(2));
    const files = new Map([
      [LIST_URL, full],
      ['https://lists.example/pub/deltas/1.lwd', await signedDelta(payload(1), payload(2))],
    ]);
    const { fetch, urls } = host(files);
    const result = await syncSubscription(deps(fetch), deltaSub());
    expect(result).toMatchObject({ outcome: 'updated', via: 'delta' });
    expect(urls).toEqual(['https://lists.example/pub/deltas/1.lwd']);
    const stored = await store.readActive('sub');
    expect(stored?.header.version).toBe(2);
    expect(encodeList(stored!.list)).toEqual(readEnvelope(full).payload);
    // The index built once for the store is the one handed back for compiling the list.
    expect(result.outcome === 'updated' && result.index).toEqual(stored?.index);
    expect(stored?.index).toEqual(indexList(stored!.list));
    expect(await store.getSyncState('sub')).toMatchObject({
      lastError: null,
      failures: 0,
      lastSuccess: clock,
    });
  });

  it("learns from the latest version's own delta that it is current, in one small request", async () => {
    await install(2);
    const current = await signedDelta(payload(2), payload(2));
    const { fetch, urls } = host(new Map([['https://lists.example/pub/deltas/2.lwd', current]]));
    expect(await syncSubscription(deps(fetch), deltaSub())).toEqual({ outcome: 'unchanged', via: 'delta' });
    expect(urls).toHaveLength(1);
    await expectActiveVersion(2);
  });

  async function expectFullFallback(delta: Uint8Array | null) {
    await install(1);
    const files = new Map([[LIST_URL, await signedList(signer, options(2))]]);
    if (delta) files.set('https://lists.example/pub/deltas/1.lwd', delta);
    const { fetch, urls } = host(files);
    expect(await syncSubscription(deps(fetch), deltaSub())).toMatchObject({
      outcome: 'updated',
      via: 'full',
    });
    expect(urls).toEqual(['https://lists.example/pub/deltas/1.lwd', LIST_URL]);
    await expectActiveVersion(2);
    expect((await store.getSyncState('sub')).lastError).toBeNull();
  }

  it('falls back to the full list when there is no delta (404)', async () => {
    await expectFullFallback(null);
  });

  it('falls back on a delta from another list of the same version (mix-and-match)', async () => {
    await expectFullFallback(await signedDelta(payload(1, { hashtags: ['other'] }), payload(2)));
  });

  it("falls back on a delta from another version served under this version's name", async () => {
    await expectFullFallback(await signedDelta(payload(3), payload(4)));
  });

  it('falls back on a corrupted delta, and on one signed by an unknown key', async () => {
    const corrupted = await signedDelta(payload(1), payload(2));
    corrupted[corrupted.length - 100] = corrupted[corrupted.length - 100]! ^ 4;
    await expectFullFallback(corrupted);
    store = new LeakwatchStore(await openFreshDb());
    await expectFullFallback(await signedDelta(payload(1), payload(2), await newSigner()));
  });

  it("falls back when the delta's result fails the full list checks, and keeps the list if the full one fails too", async () => {
    await install(1);
    const expired = { ...options(2), issuedAt: '2025-01-01T00:00:00Z', expiresAt: '2026-01-01T00:00:00Z' };
    const files = new Map([
      [LIST_URL, await signedList(signer, expired)],
      [
        'https://lists.example/pub/deltas/1.lwd',
        await signedDelta(payload(1), encodeList(makeList(expired))),
      ],
    ]);
    const { fetch, urls } = host(files);
    expect(await syncSubscription(deps(fetch), deltaSub())).toMatchObject({
      outcome: 'failed',
      error: expect.stringMatching(/refused the downloaded list: list expired/),
    });
    expect(urls).toHaveLength(2);
    await expectActiveVersion(1);
  });
});

describe('leakwatch publish', () => {
  let dir: string;
  let out: string;
  let stdout: string[];
  let stderr: string[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-publish-'));
    out = path.join(dir, 'site');
    stdout = [];
    stderr = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr.push(String(chunk));
      return true;
    });
  });

  afterEach(() => {
    vi.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const fingerprints = (version: number) =>
    Array.from({ length: 20_000 }, (_, i) => i * 7919 + (i % 200 === version ? version : 0));

  /** Builds and signs version `version` with the CLI, as a publisher would. */
  async function signedFile(version: number, listId = 'test-list'): Promise<string> {
    const unsigned = path.join(dir, `${listId}-${version}.unsigned`);
    fs.writeFileSync(
      unsigned,
      encodeList(makeList({ version, listId, fingerprints: fingerprints(version) })),
    );
    const file = path.join(dir, `${listId}-${version}.lwl`);
    expect(await main(['sign', unsigned, '--key', path.join(dir, 'k.key'), '--out', file])).toBe(0);
    return file;
  }

  const publish = async (file: string, ...extra: string[]) =>
    main(['publish', file, '--key', path.join(dir, 'k.key'), '--out', out, ...extra]);
  const names = (sub: string) => fs.readdirSync(path.join(out, sub)).sort();

  it('writes list.lwl, versions/ and a window of deltas, and a client follows it by deltas', async () => {
    expect(await main(['keygen', '--out', dir, '--name', 'k'])).toBe(0);
    const publicKeyText = fs.readFileSync(path.join(dir, 'k.pub'), 'utf8').trim();
    const client = { id: 'sub', url: 'https://lists.example/site/list.lwl', publicKeys: [publicKeyText] };
    const fetch: FetchLike = async (url) => {
      const file = path.join(out, new URL(url).pathname.replace(/^\/site\//, ''));
      return fs.existsSync(file)
        ? new Response(new Uint8Array(fs.readFileSync(file)))
        : new Response(null, { status: 404 });
    };

    expect(await publish(await signedFile(1))).toBe(0);
    expect(await syncSubscription(deps(fetch), client)).toMatchObject({ outcome: 'updated', via: 'full' });
    for (const version of [2, 3, 4]) {
      const file = await signedFile(version);
      stdout = [];
      expect(await publish(file, '--keep', '2')).toBe(0);
      expect(new Uint8Array(fs.readFileSync(path.join(out, 'list.lwl')))).toEqual(
        new Uint8Array(fs.readFileSync(file)),
      );
      clock += HOUR;
      expect(await syncSubscription(deps(fetch), client)).toMatchObject({ outcome: 'updated', via: 'delta' });
      await expectActiveVersion(version);
    }
    expect(await syncSubscription(deps(fetch), client)).toEqual({ outcome: 'unchanged', via: 'delta' });
    expect(names('versions')).toEqual(['1.lwl', '2.lwl', '3.lwl', '4.lwl']);
    expect(names('deltas')).toEqual(['2.lwd', '3.lwd', '4.lwd']);
    const summary = stdout.join('');
    expect(summary).toMatch(/^published list test-list version 4 in .*\n {2}list\.lwl: \d+ bytes\n/);
    expect(summary).toMatch(/ {2}deltas\/3\.lwd: \d+ bytes \(\d+\.\d % of the full list\)/);
    expect(summary).toMatch(/deltas\/4\.lwd: \d+ bytes \(tells clients of version 4 they are current\)/);
    expect(summary).toMatch(/removed 1 stale deltas: 1\.lwd/);
    const delta = fs.statSync(path.join(out, 'deltas', '3.lwd')).size;
    expect(delta).toBeLessThan(fs.statSync(path.join(out, 'list.lwl')).size / 5);
    expect(
      decodeList(readEnvelope(new Uint8Array(fs.readFileSync(path.join(out, 'versions', '2.lwl')))).payload)
        .meta.version,
    ).toBe(2);
  });

  it("writes no delta that would not pay, and never leaves an old version's 'current' delta behind", async () => {
    expect(await main(['keygen', '--out', dir, '--name', 'k'])).toBe(0);
    const publicKeyText = fs.readFileSync(path.join(dir, 'k.pub'), 'utf8').trim();
    const client = { id: 'sub', url: 'https://lists.example/list.lwl', publicKeys: [publicKeyText] };
    const urls: string[] = [];
    const fetch: FetchLike = async (url) => {
      urls.push(url);
      const file = path.join(out, new URL(url).pathname);
      return fs.existsSync(file)
        ? new Response(new Uint8Array(fs.readFileSync(file)))
        : new Response(null, { status: 404 });
    };
    const unrelated = async (version: number, seed: number) => {
      const unsigned = path.join(dir, `${version}.unsigned`);
      const values = Array.from({ length: 500 }, (_, i) => (i * 2654435761 + seed * 40503) % 2 ** 40);
      fs.writeFileSync(unsigned, encodeList(makeList({ version, fingerprints: values })));
      const file = path.join(dir, `${version}.lwl`);
      expect(await main(['sign', unsigned, '--key', path.join(dir, 'k.key'), '--out', file])).toBe(0);
      return file;
    };
    expect(await publish(await unrelated(1, 1))).toBe(0);
    expect(await syncSubscription(deps(fetch), client)).toMatchObject({ outcome: 'updated', via: 'full' });
    stdout = [];
    expect(await publish(await unrelated(2, 2))).toBe(0);
    expect(stdout.join('')).toMatch(
      /deltas\/1\.lwd: not written, it would not be smaller than the full list/,
    );
    expect(stdout.join('')).toMatch(/removed 1 stale deltas: 1\.lwd/);
    expect(names('deltas')).toEqual(['2.lwd']);
    expect(await syncSubscription(deps(fetch), client)).toMatchObject({ outcome: 'updated', via: 'full' });
    expect(await publish(await unrelated(3, 2), '--keep', '0')).toBe(0);
    expect(names('deltas')).toEqual(['3.lwd']);
    urls.length = 0;
    expect(await syncSubscription(deps(fetch), client)).toMatchObject({ outcome: 'updated', via: 'full' });
    expect(urls).toEqual(['https://lists.example/deltas/2.lwd', 'https://lists.example/list.lwl']);
    await expectActiveVersion(3);
  });

  it('refuses, in one line, an old version, another list, another key and bad options', async () => {
    expect(await main(['keygen', '--out', dir, '--name', 'k'])).toBe(0);
    expect(await publish(await signedFile(5))).toBe(0);
    expect(await main(['keygen', '--out', dir, '--name', 'other'])).toBe(0);
    const refusals: [() => Promise<number>, RegExp][] = [
      [
        async () => publish(await signedFile(5)),
        /version 5 is not newer than version 5, already published in /,
      ],
      [async () => publish(await signedFile(4)), /version 4 is not newer than version 5/],
      [async () => publish(await signedFile(6, 'other-list')), /publishes list test-list, not other-list/],
      [
        async () => publish(await signedFile(6), '--keep', 'all'),
        /--keep must be a non-negative integer, got all/,
      ],
      [async () => main(['publish', await signedFile(6), '--out', out]), /missing --key KEYFILE/],
      [
        async () =>
          main(['publish', await signedFile(6), '--key', path.join(dir, 'other.key'), '--out', out]),
        /-6\.lwl: signed by key [0-9a-f]{16}, not by --key \(key [0-9a-f]{16}\)/,
      ],
    ];
    for (const [run, message] of refusals) {
      stderr = [];
      expect(await run()).toBe(2);
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toMatch(new RegExp(`^leakwatch publish: .*${message.source}.*\\n$`));
      expect(stderr[0]!.trim()).not.toContain('\n');
    }
    expect(names('versions')).toEqual(['5.lwl']);
    stdout = [];
    expect(await main(['publish', '--help'])).toBe(0);
    expect(stdout.join('')).toMatch(/^Usage: leakwatch publish SIGNED --key KEYFILE --out DIR \[--keep N\]/);
  });
});
