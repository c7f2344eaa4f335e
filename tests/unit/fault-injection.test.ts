import type http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import {
  type BackgroundDeps,
  createBackground,
  type MessageSenderLike,
  SYNC_ALARM,
} from '../../lib/background';
import { packLookup } from '../../lib/lookup-limits';
import type { LookupReply, OptionsState, Reply, SubscriptionView } from '../../lib/messages';
import { LeakwatchStore, openLeakwatchDb } from '../../lib/store';
import { type SyncResult, syncSubscription } from '../../lib/sync';
import { sha256, toHex } from '../../utils/bytes';
import { canonicalJson } from '../../utils/canonical-json';
import { makeDelta, signDelta } from '../../utils/delta';
import { DEFAULT_MAX_LIST_BYTES, sealPayload } from '../../utils/envelope';
import { encodeList } from '../../utils/list-format';
import { freshDbName } from './helpers/db';
import { rng } from './helpers/enron-eval';
import {
  closedPort,
  type FaultServer,
  type Handler,
  startFaultServer,
  streamForever,
} from './helpers/fault-server';
import {
  makeList,
  newSigner,
  signedList,
  TEST_NOW,
  TEST_PASSAGE,
  type TestListOptions,
  type TestSigner,
} from './helpers/lists';

/**
 * The TUF-style fault table: a real HTTP server on 127.0.0.1 misbehaves in one way per case while
 * the real sync path (lib/sync.ts over lib/store.ts and fake-indexeddb, Node's fetch) updates a
 * subscription that already holds a good list. Every case then checks, through a background
 * restarted on the same database (what a new service worker does), that the last good list (or
 * the legitimately newer one) is active, intact and still flags a hashtag post and a fingerprint
 * match; that the status the options page shows is right; and that the next attempt is scheduled
 * by Retry-After, the backoff formula or the regular interval, with an injected clock and random.
 */

const SEC = 1_000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const BACKOFF_BASE = 15 * MIN;
const BACKOFF_CAP = 24 * HOUR;
const MIN_ALARM_DELAY = 30 * SEC;
const BASE_VERSION = 5;
const LIST_PATH = '/pub/list.lwl';
const DELTA_PATH = `/pub/deltas/${BASE_VERSION}.lwd`;
const MIRROR_PATH = '/mirror/list.lwl';
const INSTALLED_AT = TEST_NOW;
const PAGE = 'https://news.example/story';
/** The hang cases only: every other case runs with the production timeout. */
const SHORT_TIMEOUT = 1_000;

type Retry =
  | { kind: 'retry-after'; ms: number }
  | { kind: 'backoff' }
  | { kind: 'regular'; intervalHours: number };

type Expected =
  | { outcome: 'failed'; code: string | ((ctx: Ctx) => string); error: RegExp; retry: Retry }
  | { outcome: 'updated'; via: 'delta' | 'full'; version: number; listId?: string }
  | { outcome: 'unchanged'; via: 'delta' | 'full' };

interface Ctx {
  server: FaultServer;
  /** The subscription's pinned key. */
  signer: TestSigner;
  /** A key nobody trusts yet. */
  other: TestSigner;
  now: number;
  /** Whatever a case wants to keep between setup and expectations. */
  notes: Record<string, unknown>;
}

interface Case {
  name: string;
  http: string;
  /** Options of the installed list, which is version 5. */
  base?: (keys: { other: TestSigner }) => TestListOptions;
  attempts?: number;
  /** The clock of attempt `n` (0-based); one hour after the install, then an hour apart, by default. */
  at?: (n: number) => number;
  timeoutMs?: number;
  /** Sets the server's routes for attempt `n`; routes start empty (404) for each attempt. */
  serve: (ctx: Ctx, n: number) => Promise<void> | void;
  expect: Expected;
}

interface Row {
  name: string;
  http: string;
  outcome: string;
  version: number;
  next: string;
  status: string;
  ms: number;
}

// ---- server behaviours ---------------------------------------------------------------------------

function send(body: Uint8Array | string, headers: http.OutgoingHttpHeaders = {}, status = 200): Handler {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

const statusOnly = (status: number, headers: http.OutgoingHttpHeaders = {}) => send('', headers, status);

function route(ctx: Ctx, path: string, handler: Handler): void {
  ctx.server.routes.set(path, handler);
}

const list = (ctx: Ctx, options: TestListOptions, by: TestSigner = ctx.signer) => signedList(by, options);
const serveList = async (ctx: Ctx, options: TestListOptions, by?: TestSigner) =>
  route(ctx, LIST_PATH, send(await list(ctx, options, by)));

/** Payload bytes around any metadata text: what a publisher's buggy or hostile builder could sign. */
function rawPayload(meta: Uint8Array | string, sections: Uint8Array): Uint8Array {
  const metaBytes = typeof meta === 'string' ? new TextEncoder().encode(meta) : meta;
  const out = new Uint8Array(8 + metaBytes.length + sections.length);
  out.set(new TextEncoder().encode('LWL1'));
  new DataView(out.buffer).setUint32(4, metaBytes.length);
  out.set(metaBytes, 8);
  out.set(sections, 8 + metaBytes.length);
  return out;
}

/** Version 6 with its metadata object rewritten by `change`, signed by the trusted key. */
async function signedRaw(
  ctx: Ctx,
  change: (meta: Record<string, unknown>) => unknown,
  options: { text?: (meta: unknown) => string; sections?: Uint8Array } = {},
): Promise<Uint8Array> {
  const valid = encodeList(makeList({ version: 6 }));
  const metaLength = new DataView(valid.buffer).getUint32(4);
  const meta = change(structuredClone(makeList({ version: 6 }).meta) as unknown as Record<string, unknown>);
  const text = (options.text ?? canonicalJson)(meta);
  const payload = rawPayload(text, options.sections ?? valid.subarray(8 + metaLength));
  return sealPayload(payload, ctx.signer.privateKeyPkcs8, ctx.signer.publicKey);
}

const serveRaw = async (...args: Parameters<typeof signedRaw>) =>
  route(args[0], LIST_PATH, send(await signedRaw(...args)));

const deltaPayload = (from: TestListOptions, to: TestListOptions) =>
  makeDelta(encodeList(makeList(from)), encodeList(makeList(to)));

async function serveDelta(ctx: Ctx, from: TestListOptions, to: TestListOptions, by = ctx.signer) {
  const signed = await signDelta(await deltaPayload(from, to), by.privateKeyPkcs8, by.publicKey);
  route(ctx, DELTA_PATH, send(signed));
  return signed;
}

/** Which check refuses a signed file with these bytes changed: framing first, then key, then signature. */
function corruptionCode(original: Uint8Array, corrupted: Uint8Array, offsets: number[]): string {
  if (offsets.some((o) => o <= 4)) return 'garbled';
  if (offsets.some((o) => o >= 13 && o < 17)) {
    const length = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(13);
    return length(corrupted) > length(original) ? 'truncated' : 'garbled';
  }
  if (offsets.some((o) => o >= 5 && o < 13)) return 'unknown-key';
  return 'bad-signature';
}

let gzipBomb: Uint8Array;

/** Counts what an endless response managed to send before the client hung up. */
function written(ctx: Ctx): { bytes: number } {
  const counter = { bytes: 0 };
  ctx.notes.written = counter;
  return counter;
}

const regular: Retry = { kind: 'regular', intervalHours: 6 };
const backoff: Retry = { kind: 'backoff' };
const retryAfter = (ms: number): Retry => ({ kind: 'retry-after', ms });
const refused = (code: string, error: RegExp, retry: Retry = backoff): Expected => ({
  outcome: 'failed',
  code,
  error,
  retry,
});

// ---- the cases -----------------------------------------------------------------------------------

const cases: Case[] = [
  // HTTP and transport
  {
    name: '500 with Retry-After (seconds)',
    http: '500, Retry-After: 120',
    serve: (ctx) => route(ctx, LIST_PATH, statusOnly(500, { 'retry-after': '120' })),
    expect: refused('http-status', /^the list server answered HTTP 500$/, retryAfter(120 * SEC)),
  },
  {
    name: '503 with Retry-After (seconds)',
    http: '503, Retry-After: 3600',
    serve: (ctx) => route(ctx, LIST_PATH, statusOnly(503, { 'retry-after': '3600' })),
    expect: refused('http-status', /HTTP 503/, retryAfter(HOUR)),
  },
  {
    name: '503 with Retry-After (HTTP date)',
    http: '503, Retry-After: <now + 90 min, IMF date>',
    serve: (ctx) =>
      route(ctx, LIST_PATH, statusOnly(503, { 'retry-after': new Date(ctx.now + 90 * MIN).toUTCString() })),
    expect: refused('http-status', /HTTP 503/, retryAfter(90 * MIN)),
  },
  {
    name: '503 with Retry-After date in the past',
    http: '503, Retry-After: <now - 1 h>',
    serve: (ctx) =>
      route(ctx, LIST_PATH, statusOnly(503, { 'retry-after': new Date(ctx.now - HOUR).toUTCString() })),
    expect: refused('http-status', /HTTP 503/, retryAfter(0)),
  },
  {
    name: '503 asking for 10 days (capped)',
    http: '503, Retry-After: 864000',
    serve: (ctx) => route(ctx, LIST_PATH, statusOnly(503, { 'retry-after': '864000' })),
    expect: refused('http-status', /HTTP 503/, retryAfter(BACKOFF_CAP)),
  },
  {
    name: '503 with a garbled Retry-After',
    http: '503, Retry-After: soon',
    serve: (ctx) => route(ctx, LIST_PATH, statusOnly(503, { 'retry-after': 'soon' })),
    expect: refused('http-status', /HTTP 503/),
  },
  {
    name: '429 without Retry-After',
    http: '429',
    serve: (ctx) => route(ctx, LIST_PATH, statusOnly(429)),
    expect: refused('http-status', /HTTP 429/),
  },
  {
    name: 'list removed from the host',
    http: '404',
    serve: () => undefined,
    expect: refused('http-status', /HTTP 404/),
  },
  {
    name: 'third failure in a row',
    http: '503 three times, an hour apart',
    attempts: 3,
    serve: (ctx) => route(ctx, LIST_PATH, statusOnly(503)),
    expect: refused('http-status', /HTTP 503/),
  },
  {
    name: 'twelfth failure in a row (backoff cap)',
    http: '503 twelve times',
    attempts: 12,
    serve: (ctx) => route(ctx, LIST_PATH, statusOnly(503)),
    expect: refused('http-status', /HTTP 503/),
  },
  {
    name: 'server hangs before the headers',
    http: 'accepts, never answers',
    timeoutMs: SHORT_TIMEOUT,
    serve: (ctx) => route(ctx, LIST_PATH, () => undefined),
    expect: refused('timeout', /^the list server did not answer in time$/),
  },
  {
    name: 'body drips a byte every 50 ms',
    http: '200, Content-Length 1 MB, 20 B/s',
    timeoutMs: SHORT_TIMEOUT,
    serve: (ctx) =>
      route(ctx, LIST_PATH, (_req, res) => {
        res.writeHead(200, { 'content-length': String(1 << 20) });
        const timer = setInterval(() => res.write('x'), 50);
        res.on('close', () => clearInterval(timer));
      }),
    expect: refused('timeout', /did not answer in time/),
  },
  {
    name: 'connection reset mid-body',
    http: '200, half the body, then TCP RST',
    serve: async (ctx) => {
      const full = await list(ctx, { version: 6 });
      route(ctx, LIST_PATH, (_req, res) => {
        res.writeHead(200, { 'content-length': String(full.length) });
        res.write(full.subarray(0, full.length >> 1), () => res.socket?.resetAndDestroy());
      });
    },
    expect: refused('network', /^the list server cut the download short \(/),
  },
  {
    name: 'truncated body',
    http: '200, Content-Length +1000 bytes, then FIN',
    serve: async (ctx) => {
      const full = await list(ctx, { version: 6 });
      route(ctx, LIST_PATH, (_req, res) => {
        res.writeHead(200, { 'content-length': String(full.length + 1000) });
        res.write(full, () => res.socket?.end());
      });
    },
    expect: refused('network', /^the list server cut the download short \(/),
  },
  {
    name: 'body that never ends',
    http: '200, chunked zeros forever',
    serve: (ctx) =>
      route(ctx, LIST_PATH, (_req, res) => {
        res.writeHead(200);
        streamForever(res, new Uint8Array(1 << 16), written(ctx));
      }),
    expect: refused('too-large', /larger than the 67108864-byte limit; download stopped/),
  },
  {
    name: 'declared Content-Length over the limit',
    http: '200, Content-Length 1 GB',
    serve: (ctx) =>
      route(ctx, LIST_PATH, (_req, res) => {
        res.writeHead(200, { 'content-length': String(2 ** 30) });
        streamForever(res, new Uint8Array(1 << 16), written(ctx));
      }),
    expect: refused('too-large', /larger than the 67108864-byte limit/),
  },
  {
    name: 'gzip bomb',
    http: '200, Content-Encoding gzip, 105 KB -> 100 MiB',
    serve: (ctx) =>
      route(
        ctx,
        LIST_PATH,
        send(gzipBomb, { 'content-encoding': 'gzip', 'content-length': gzipBomb.length }),
      ),
    expect: refused('too-large', /larger than the 67108864-byte limit/),
  },
  {
    name: 'redirect to a port where nothing listens',
    http: '302 to a closed port: connection refused',
    serve: async (ctx) => {
      const port = await closedPort();
      route(ctx, LIST_PATH, (_req, res) => {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/list.lwl` });
        res.end();
      });
    },
    expect: refused('network', /could not reach the list server/),
  },
  {
    name: 'endless redirect',
    http: '302 to itself, forever',
    serve: (ctx) => route(ctx, LIST_PATH, statusOnly(302, { location: LIST_PATH })),
    expect: refused('network', /could not reach the list server/),
  },
  {
    name: 'captive portal page',
    http: '200 text/html login page',
    serve: (ctx) =>
      route(
        ctx,
        LIST_PATH,
        send('<html><body>Log in to the Wi-Fi</body></html>', { 'content-type': 'text/html' }),
      ),
    expect: refused('garbled', /unusable: not a Leakwatch signed list \(bad magic bytes\)/),
  },
  {
    name: 'empty body',
    http: '200, 0 bytes',
    serve: (ctx) => route(ctx, LIST_PATH, send(new Uint8Array(0))),
    expect: refused('truncated', /unusable: list file is empty/),
  },
  {
    name: 'not modified',
    http: '304 to If-None-Match',
    serve: (ctx) =>
      route(ctx, LIST_PATH, (req, res) => {
        res.writeHead(req.headers['if-none-match'] === '"base"' ? 304 : 500).end();
      }),
    expect: { outcome: 'unchanged', via: 'full' },
  },
  {
    name: 'redirect to a mirror with v6',
    http: '301 to /mirror, then 200 v6',
    serve: async (ctx) => {
      route(ctx, LIST_PATH, statusOnly(301, { location: MIRROR_PATH }));
      route(ctx, MIRROR_PATH, send(await list(ctx, { version: 6 })));
    },
    expect: { outcome: 'updated', via: 'full', version: 6 },
  },
  {
    name: 'v6 with a wrong content type',
    http: '200 v6 as text/html',
    serve: async (ctx) =>
      route(ctx, LIST_PATH, send(await list(ctx, { version: 6 }), { 'content-type': 'text/html' })),
    expect: { outcome: 'updated', via: 'full', version: 6 },
  },
  {
    name: 'v6 gzip-encoded',
    http: '200 v6, Content-Encoding gzip',
    serve: async (ctx) =>
      route(
        ctx,
        LIST_PATH,
        send(zlib.gzipSync(await list(ctx, { version: 6 })), { 'content-encoding': 'gzip' }),
      ),
    expect: { outcome: 'updated', via: 'full', version: 6 },
  },

  // signature and envelope
  {
    name: 'bad signature (bit flip in the signature)',
    http: '200 v6, last byte ^ 1',
    serve: async (ctx) => {
      const bytes = await list(ctx, { version: 6 });
      bytes[bytes.length - 1]! ^= 1;
      route(ctx, LIST_PATH, send(bytes));
    },
    expect: refused('bad-signature', /^refused the downloaded list: bad signature/),
  },
  {
    name: 'altered payload (one hashtag changed)',
    http: '200 v6, payload byte changed',
    serve: async (ctx) => {
      const bytes = await list(ctx, { version: 6 });
      const at = Buffer.from(bytes).indexOf('testleaks');
      bytes[at] = 'T'.charCodeAt(0);
      route(ctx, LIST_PATH, send(bytes));
    },
    expect: refused('bad-signature', /bad signature/),
  },
  {
    name: 'unknown key',
    http: '200 v6 signed by another key',
    serve: (ctx) => serveList(ctx, { version: 6 }, ctx.other),
    expect: refused(
      'unknown-key',
      /^refused the downloaded list: list is signed by unknown key [0-9a-f]{16}$/,
    ),
  },
  {
    name: "another key behind the pinned key's id",
    http: "200 v6 signed by another key, header names the pinned key's id",
    serve: async (ctx) => {
      const forged = await list(ctx, { version: 6 }, ctx.other);
      forged.set((await list(ctx, { version: 6 })).subarray(5, 13), 5);
      route(ctx, LIST_PATH, send(forged));
    },
    expect: refused('bad-signature', /bad signature/),
  },
  {
    name: 'bytes after the signature',
    http: '200 v6 + 16 bytes',
    serve: async (ctx) => {
      const bytes = await list(ctx, { version: 6 });
      const longer = new Uint8Array(bytes.length + 16);
      longer.set(bytes);
      route(ctx, LIST_PATH, send(longer));
    },
    expect: refused('garbled', /unusable: list has 16 unexpected bytes after its signature/),
  },
  {
    name: 'a signed delta served as the list',
    http: '200 signed delta 5->6 at list.lwl',
    serve: async (ctx) => {
      const delta = await signDelta(
        await deltaPayload({ version: 5 }, { version: 6 }),
        ctx.signer.privateKeyPkcs8,
        ctx.signer.publicKey,
      );
      route(ctx, LIST_PATH, send(delta));
    },
    expect: refused('garbled', /unusable: not a Leakwatch list \(bad magic bytes\)/),
  },

  // versions, freshness and identity
  {
    name: 'rollback to an older version',
    http: '200 v4 (validly signed)',
    serve: (ctx) => serveList(ctx, { version: 4 }),
    expect: refused('rollback', /^refused the downloaded list: list version 4 is older than the minimum 5$/),
  },
  {
    name: 'same version, different content',
    http: '200 another v5',
    serve: (ctx) => serveList(ctx, { version: 5, hashtags: ['other'] }),
    expect: refused('rollback', /list version 5 differs from the installed list of the same version/),
  },
  {
    name: 'replay of the installed list',
    http: '200 the installed v5 again',
    serve: (ctx) => serveList(ctx, { version: 5 }),
    expect: { outcome: 'unchanged', via: 'full' },
  },
  {
    name: 'freeze: replay after the installed list expired',
    http: '200 the installed v5, clock past its expiry',
    at: () => Date.parse('2027-02-01T06:00:00Z'),
    serve: (ctx) => serveList(ctx, { version: 5 }),
    expect: refused('expired', /^refused the downloaded list: list expired at 2027-02-01T00:00:00Z$/),
  },
  {
    name: 'newer but expired list',
    http: '200 v6 that expired in January',
    serve: (ctx) =>
      serveList(ctx, { version: 6, issuedAt: '2025-01-01T00:00:00Z', expiresAt: '2026-01-01T00:00:00Z' }),
    expect: refused('expired', /list expired at 2026-01-01/),
  },
  {
    name: 'list issued in the future',
    http: '200 v6 issued in 3 days',
    serve: (ctx) =>
      serveList(ctx, {
        version: 6,
        issuedAt: new Date(ctx.now + 72 * HOUR).toISOString().replace(/\.\d+Z$/, 'Z'),
      }),
    expect: refused('not-yet-valid', /list is issued in the future/),
  },
  {
    name: 'another list signed by the same key',
    http: '200 list "other-list" v9, same key',
    serve: (ctx) => serveList(ctx, { version: 9, listId: 'other-list' }),
    expect: refused(
      'wrong-list',
      /^refused the downloaded list: the server sent list other-list, this subscription follows list test-list$/,
    ),
  },
  {
    name: 'fast-forward to the last version number',
    http: '200 v2^53-1 (validly signed)',
    serve: (ctx) => serveList(ctx, { version: Number.MAX_SAFE_INTEGER }),
    expect: { outcome: 'updated', via: 'full', version: Number.MAX_SAFE_INTEGER },
  },
  {
    name: 'list for another normaliser',
    http: '200 v6 with normaliserVersion 99',
    serve: (ctx) => serveRaw(ctx, (meta) => ({ ...meta, normaliserVersion: 99 })),
    expect: refused('normaliser-mismatch', /unusable: list needs text normaliser version 99/),
  },

  // deltas
  {
    name: 'valid delta 5->6',
    http: 'deltas/5.lwd signed 5->6; list.lwl 500',
    serve: async (ctx) => {
      await serveDelta(ctx, { version: 5 }, { version: 6 });
      route(ctx, LIST_PATH, statusOnly(500));
    },
    expect: { outcome: 'updated', via: 'delta', version: 6 },
  },
  {
    name: 'current-version delta 5->5',
    http: 'deltas/5.lwd signed 5->5',
    serve: (ctx) => serveDelta(ctx, { version: 5 }, { version: 5 }),
    expect: { outcome: 'unchanged', via: 'delta' },
  },
  {
    name: 'delta for another base (mix-and-match)',
    http: 'deltas/5.lwd is 3->6; list.lwl v6',
    serve: async (ctx) => {
      await serveDelta(ctx, { version: 3 }, { version: 6 });
      await serveList(ctx, { version: 6 });
    },
    expect: { outcome: 'updated', via: 'full', version: 6 },
  },
  {
    name: 'delta from another v5 (mix-and-match)',
    http: 'deltas/5.lwd from another v5; list.lwl v6',
    serve: async (ctx) => {
      await serveDelta(ctx, { version: 5, hashtags: ['other'] }, { version: 6 });
      await serveList(ctx, { version: 6 });
    },
    expect: { outcome: 'updated', via: 'full', version: 6 },
  },
  {
    name: 'delta for another base, full list down',
    http: 'deltas/5.lwd is 3->6; list.lwl 503 Retry-After 600',
    serve: async (ctx) => {
      await serveDelta(ctx, { version: 3 }, { version: 6 });
      route(ctx, LIST_PATH, statusOnly(503, { 'retry-after': '600' }));
    },
    expect: refused('http-status', /HTTP 503/, retryAfter(600 * SEC)),
  },
  {
    name: 'delta signed by an unknown key',
    http: 'deltas/5.lwd by another key; list.lwl v6',
    serve: async (ctx) => {
      await serveDelta(ctx, { version: 5 }, { version: 6 }, ctx.other);
      await serveList(ctx, { version: 6 });
    },
    expect: { outcome: 'updated', via: 'full', version: 6 },
  },
  {
    name: 'corrupted delta',
    http: 'deltas/5.lwd with a flipped byte; list.lwl v6',
    serve: async (ctx) => {
      const delta = await serveDelta(ctx, { version: 5 }, { version: 6 });
      delta[delta.length - 80]! ^= 0x10;
      route(ctx, DELTA_PATH, send(delta));
      await serveList(ctx, { version: 6 });
    },
    expect: { outcome: 'updated', via: 'full', version: 6 },
  },
  {
    name: 'delta to an expired list, full list expired too',
    http: 'deltas/5.lwd 5->expired v6; list.lwl expired v6',
    serve: async (ctx) => {
      const expired = { version: 6, issuedAt: '2025-01-01T00:00:00Z', expiresAt: '2026-01-01T00:00:00Z' };
      await serveDelta(ctx, { version: 5 }, expired);
      await serveList(ctx, expired);
    },
    expect: refused('expired', /list expired at 2026-01-01/),
  },
  {
    name: 'delta hangs, full list fine',
    http: 'deltas/5.lwd never answers; list.lwl v6',
    timeoutMs: SHORT_TIMEOUT,
    serve: async (ctx) => {
      route(ctx, DELTA_PATH, () => undefined);
      await serveList(ctx, { version: 6 });
    },
    expect: { outcome: 'updated', via: 'full', version: 6 },
  },

  // schema violations, all validly signed by the pinned key
  {
    name: 'missing field',
    http: '200 v6 without "publisher"',
    serve: (ctx) =>
      serveRaw(ctx, (meta) => {
        delete meta.publisher;
        return meta;
      }),
    expect: refused('schema', /unusable: invalid list: publisher: /),
  },
  {
    name: 'wrong type',
    http: '200 v6 with "version": "6"',
    serve: (ctx) => serveRaw(ctx, (meta) => ({ ...meta, version: '6' })),
    expect: refused('schema', /invalid list: version: /),
  },
  {
    name: 'unknown field',
    http: '200 v6 with an extra "mirror" field',
    serve: (ctx) => serveRaw(ctx, (meta) => ({ ...meta, mirror: 'https://evil.example/' })),
    expect: refused('schema', /invalid list: list: Unrecognized key/),
  },
  {
    name: 'huge string',
    http: '200 v6 with a 1 MB entry title',
    serve: (ctx) =>
      serveRaw(ctx, (meta) => {
        const [entry] = meta.entries as { title: { en: string } }[];
        entry!.title.en = 'x'.repeat(1 << 20);
        return meta;
      }),
    expect: refused('schema', /invalid list: entries\.0\.title\.en: /),
  },
  {
    name: 'millions of metadata values',
    http: '200 v6 with 2,000,000 URL patterns (12 MB)',
    serve: (ctx) =>
      serveRaw(ctx, (meta) => meta, {
        // Written as text: building two million strings only to serialise them would cost seconds.
        text: (meta) =>
          canonicalJson(meta).replace(
            '"urlPatterns":[]',
            `"urlPatterns":[${'"a.b",'.repeat(1_999_999)}"a.b"]`,
          ),
      }),
    expect: refused('too-large', /unusable: list metadata holds more than 1000000 values/),
  },
  {
    name: '100 million fingerprints declared',
    http: '200 v6, fingerprintCount 10^8, 4-byte section',
    serve: (ctx) => {
      const sections = new Uint8Array(13);
      new DataView(sections.buffer).setUint32(0, 100_000_000);
      new DataView(sections.buffer).setUint32(5, 4);
      return serveRaw(
        ctx,
        (meta) => {
          (meta.entries as { fingerprintCount: number }[])[0]!.fingerprintCount = 100_000_000;
          return meta;
        },
        { sections },
      );
    },
    expect: refused('truncated', /unusable: fingerprint section ends early/),
  },
  {
    name: 'section count disagrees with its entry',
    http: '200 v6, section count 2^32-1',
    serve: (ctx) => {
      const payload = encodeList(makeList({ version: 6 }));
      const sections = payload.slice(8 + new DataView(payload.buffer).getUint32(4));
      new DataView(sections.buffer).setUint32(0, 0xffffffff);
      return serveRaw(ctx, (meta) => meta, { sections });
    },
    expect: refused('garbled', /fingerprint count does not match its metadata/),
  },
  {
    name: 'metadata nested 10,000 deep',
    http: '200 v6 with [[[[...]]]] as metadata',
    serve: (ctx) =>
      serveRaw(ctx, (meta) => meta, { text: () => `${'['.repeat(10_000)}${']'.repeat(10_000)}` }),
    expect: refused('garbled', /list metadata is nested more than 32 levels deep/),
  },
  {
    name: 'non-canonical metadata',
    http: '200 v6, metadata pretty-printed',
    serve: (ctx) => serveRaw(ctx, (meta) => meta, { text: (meta) => JSON.stringify(meta, null, 1) }),
    expect: refused('garbled', /list metadata is not in canonical form/),
  },
  {
    name: 'metadata not UTF-8',
    http: '200 v6, a 0xFF byte in the metadata',
    serve: async (ctx) => {
      const valid = encodeList(makeList({ version: 6 }));
      valid[valid.indexOf(0x7b) + 1] = 0xff;
      route(ctx, LIST_PATH, send(await sealPayload(valid, ctx.signer.privateKeyPkcs8, ctx.signer.publicKey)));
    },
    expect: refused('garbled', /list metadata is not valid UTF-8/),
  },
  {
    name: 'bytes after the last section',
    http: '200 v6 payload + 3 bytes, signed',
    serve: async (ctx) => {
      const valid = encodeList(makeList({ version: 6 }));
      const longer = new Uint8Array(valid.length + 3);
      longer.set(valid);
      route(
        ctx,
        LIST_PATH,
        send(await sealPayload(longer, ctx.signer.privateKeyPkcs8, ctx.signer.publicKey)),
      );
    },
    expect: refused('garbled', /3 unexpected bytes after the list/),
  },

  // key rotation
  {
    name: 'key rotation announced in nextKeys',
    http: 'v5 announced key B; 200 v6 signed by B',
    base: ({ other }) => ({ nextKeys: [other.publicKeyText] }),
    serve: (ctx) => serveList(ctx, { version: 6 }, ctx.other),
    expect: { outcome: 'updated', via: 'full', version: 6 },
  },
  {
    name: 'key rotation never announced',
    http: '200 v6 signed by B, never announced',
    serve: (ctx) => serveList(ctx, { version: 6 }, ctx.other),
    expect: refused('unknown-key', /signed by unknown key/),
  },
  {
    name: 'key announced only by a refused list',
    http: '200 expired v6 announcing B; then 200 v7 by B',
    attempts: 2,
    serve: (ctx, n) =>
      n === 0
        ? serveList(ctx, {
            version: 6,
            issuedAt: '2025-01-01T00:00:00Z',
            expiresAt: '2026-01-01T00:00:00Z',
            nextKeys: [ctx.other.publicKeyText],
          })
        : serveList(ctx, { version: 7 }, ctx.other),
    expect: refused('unknown-key', /signed by unknown key/),
  },
  {
    name: 'garbled key in nextKeys',
    http: '200 v6 announcing "ed25519:not-a-key"',
    serve: (ctx) => serveList(ctx, { version: 6, nextKeys: ['ed25519:not-a-key'] }),
    expect: { outcome: 'updated', via: 'full', version: 6 },
  },
];

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
  cases.push({
    name: `corrupted bytes, seed ${seed}`,
    http: '200 v6 with 1-4 random bytes changed',
    serve: async (ctx) => {
      const original = await list(ctx, { version: 6 });
      const corrupted = original.slice();
      const random = rng(seed);
      const offsets = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
        Math.floor(random() * original.length),
      );
      for (const at of offsets) corrupted[at]! ^= 1 + Math.floor(random() * 255);
      ctx.notes.code = corruptionCode(original, corrupted, offsets);
      ctx.notes.http = `200 v6, bytes ${offsets.join(', ')} of ${original.length} changed`;
      route(ctx, LIST_PATH, send(corrupted));
    },
    expect: {
      outcome: 'failed',
      code: (ctx) => ctx.notes.code as string,
      error: /^(refused the downloaded list|the downloaded list is unusable): /,
      retry: backoff,
    },
  });
}

// ---- the runner ----------------------------------------------------------------------------------

let server: FaultServer;
let signer: TestSigner;
let other: TestSigner;
const rows: Row[] = [];

beforeAll(async () => {
  server = await startFaultServer();
  signer = await newSigner();
  other = await newSigner();
  const member = zlib.gzipSync(new Uint8Array(1 << 20), { level: 9 });
  gzipBomb = new Uint8Array(Buffer.concat(Array.from({ length: 100 }, () => member)));
});

afterAll(async () => {
  await server.close();
});

const listUrl = () => `${server.origin}${LIST_PATH}`;

function background(dbName: string, clock: () => number, fetch: BackgroundDeps['fetch']) {
  return createBackground({
    browser: fakeBrowser,
    fetch,
    now: clock,
    random: () => 0.5,
    openDb: () => openLeakwatchDb(dbName),
    build: { listUrl: listUrl(), publicKeys: [signer.publicKeyText] },
  });
}

async function ask<T>(bg: ReturnType<typeof background>, message: unknown, sender?: MessageSenderLike) {
  const reply: Reply<unknown> = await bg.handleMessage(
    message,
    sender ?? {
      id: fakeBrowser.runtime.id,
      url: `chrome-extension://${fakeBrowser.runtime.id}/options.html`,
    },
  );
  if (!reply.ok) throw new Error(`background refused: ${reply.error}`);
  return reply.value as T;
}

function expectedDelay(retry: Retry, failures: number, random: number): number {
  if (retry.kind === 'retry-after') return Math.min(retry.ms, BACKOFF_CAP);
  if (retry.kind === 'regular') return retry.intervalHours * HOUR * (0.9 + 0.2 * random);
  return Math.min(2 ** (failures - 1) * BACKOFF_BASE * (1 + random), BACKOFF_CAP);
}

function describeDelay(ms: number, retry: Retry, failures: number): string {
  const amount = ms >= 2 * HOUR ? `${(ms / HOUR).toFixed(2)} h` : `${(ms / MIN).toFixed(1)} min`;
  if (retry.kind === 'retry-after') return `+${amount} (Retry-After)`;
  if (retry.kind === 'regular') return `+${amount} (regular)`;
  return `+${amount} (backoff, failure ${failures})`;
}

async function runCase(c: Case, index: number): Promise<Row> {
  const started = performance.now();
  fakeBrowser.reset();
  server.routes.clear();
  const dbName = freshDbName();
  let clock = INSTALLED_AT;
  const base = await signedList(signer, { ...c.base?.({ other }), version: BASE_VERSION });
  server.routes.set(LIST_PATH, send(base, { etag: '"base"' }));
  const live = background(dbName, () => clock, globalThis.fetch);
  await live.onInstalled();
  const [installed] = (await ask<OptionsState>(live, { type: 'get-options' })).subscriptions;
  expect(installed).toMatchObject({ lastError: null, active: { version: BASE_VERSION } });
  const sub = { id: installed!.id, url: installed!.url, publicKeys: [signer.publicKeyText] };

  const random = (index * 0.618_033_988_7 + 0.1) % 1;
  let randomCalls = 0;
  const db = await openLeakwatchDb(dbName);
  const store = new LeakwatchStore(db);
  const ctx: Ctx = { server, signer, other, now: clock, notes: {} };
  const attempts = c.attempts ?? 1;
  let result: SyncResult | undefined;
  for (let n = 0; n < attempts; n++) {
    clock = c.at?.(n) ?? INSTALLED_AT + (n + 1) * HOUR;
    ctx.now = clock;
    server.routes.clear();
    await c.serve(ctx, n);
    result = await syncSubscription(
      {
        store,
        fetch: globalThis.fetch,
        now: () => clock,
        random: () => {
          randomCalls++;
          return random;
        },
        timeoutMs: c.timeoutMs,
      },
      sub,
    );
  }
  db.close();
  // Retry-After replaces the random spread; every other schedule draws once per attempt.
  const retryAfterOnly = c.expect.outcome === 'failed' && c.expect.retry.kind === 'retry-after';
  expect(randomCalls).toBe(retryAfterOnly ? 0 : attempts);

  const e = c.expect;
  expect(result?.outcome).toBe(e.outcome);
  const failed = e.outcome === 'failed';
  const version = e.outcome === 'updated' ? e.version : BASE_VERSION;
  if (e.outcome === 'failed' && result?.outcome === 'failed') {
    expect(result.code).toBe(typeof e.code === 'function' ? e.code(ctx) : e.code);
    expect(result.error).toMatch(e.error);
    expect(result.error).not.toContain('\n');
  } else if (e.outcome !== 'failed' && result?.outcome !== 'failed') {
    expect(result?.via).toBe(e.via);
  }

  // A restarted worker: loads the lists from IndexedDB and must not need the network for any of this.
  server.routes.clear();
  await fakeBrowser.alarms.clearAll();
  const verifyFetches: string[] = [];
  const restarted = background(
    dbName,
    () => clock,
    async (url) => {
      verifyFetches.push(url);
      throw new TypeError('offline');
    },
  );
  const content: MessageSenderLike = {
    id: fakeBrowser.runtime.id,
    url: PAGE,
    frameId: 0,
    tab: { id: 7, url: PAGE },
  };
  const { results } = await ask<LookupReply>(
    restarted,
    {
      type: 'lookup',
      ...packLookup([
        { text: 'Read it all: #TestLeaks', links: [] },
        { text: `as quoted: ${TEST_PASSAGE}`, links: [] },
        { text: '#unrelated', links: [] },
      ]),
    },
    content,
  );
  const listId = (e.outcome === 'updated' && e.listId) || 'test-list';
  expect(results[0]).toEqual([expect.objectContaining({ kind: 'hashtag', listId, entry: 'test-leak' })]);
  expect(results[1]).toEqual([expect.objectContaining({ kind: 'fingerprint', listId })]);
  expect(results[2]).toEqual([]);

  const [view] = (await ask<OptionsState>(restarted, { type: 'get-options' }))
    .subscriptions as SubscriptionView[];
  const checkDb = await openLeakwatchDb(dbName);
  const stored = await new LeakwatchStore(checkDb).readActive(sub.id);
  const state = await new LeakwatchStore(checkDb).getSyncState(sub.id);
  const generations = await checkDb.getAllKeys('generations');
  checkDb.close();
  // The active list is the one its digest names, byte for byte, and the only generation left.
  expect(stored?.header.version).toBe(version);
  expect(toHex(await sha256(encodeList(stored!.list)))).toBe(stored?.header.digest);
  expect(generations).toEqual([[sub.id, stored!.header.gen]]);

  const retry: Retry = e.outcome === 'failed' ? e.retry : regular;
  const failures = failed ? attempts : 0;
  const delay = expectedDelay(retry, failures, random);
  expect(state).toMatchObject({
    lastAttempt: clock,
    lastSuccess: failed ? INSTALLED_AT : clock,
    failures,
    lastError: result?.outcome === 'failed' ? result.error : null,
    nextSync: clock + delay,
  });
  expect(view).toMatchObject({
    active: { version, listId },
    lastSuccess: state.lastSuccess,
    lastError: state.lastError,
    nextSync: state.nextSync,
  });
  const alarm = await fakeBrowser.alarms.get(SYNC_ALARM);
  expect(alarm?.scheduledTime).toBe(Math.max(clock + delay, clock + MIN_ALARM_DELAY));
  expect(verifyFetches).toEqual([]);

  const written = ctx.notes.written as { bytes: number } | undefined;
  if (written) expect(written.bytes).toBeLessThan(DEFAULT_MAX_LIST_BYTES + 32 * (1 << 20));

  const outcome = !result
    ? 'no result'
    : result.outcome === 'failed'
      ? `failed: ${result.code}`
      : `${result.outcome} via ${result.via}`;
  return {
    name: c.name,
    http: (ctx.notes.http as string | undefined) ?? c.http,
    outcome: view?.expired ? `${outcome} (shown expired)` : outcome,
    version,
    next: describeDelay(delay, retry, failures),
    status: view?.lastError ?? 'up to date',
    ms: performance.now() - started,
  };
}

describe('sync fault injection against a real HTTP server', () => {
  cases.forEach((c, index) => {
    it(`${index + 1}. ${c.name}`, { timeout: 60_000 }, async () => {
      rows.push(await runCase(c, index));
    });
  });

  it('covers at least 30 cases and prints the table', () => {
    expect(rows).toHaveLength(cases.length);
    expect(rows.length).toBeGreaterThanOrEqual(30);
    // README.md's threat model cites rows by number: moving a case must move the citation too.
    const cited: Record<number, string> = {
      1: '500 with Retry-After (seconds)',
      15: 'body that never ends',
      21: 'empty body',
      26: 'bad signature (bit flip in the signature)',
      32: 'rollback to an older version',
      35: 'freeze: replay after the installed list expired',
      38: 'another list signed by the same key',
      39: 'fast-forward to the last version number',
      43: 'delta for another base (mix-and-match)',
      48: 'delta to an expired list, full list expired too',
      54: 'millions of metadata values',
      57: 'metadata nested 10,000 deep',
      61: 'key rotation announced in nextKeys',
      64: 'garbled key in nextKeys',
      65: 'corrupted bytes, seed 1',
    };
    for (const [row, name] of Object.entries(cited)) expect(rows[Number(row) - 1]?.name).toBe(name);
    const head = [
      '#',
      'case',
      'HTTP behaviour',
      'outcome / code',
      'active after',
      'next attempt',
      'ms',
      'status shown',
    ];
    const body = rows.map((r, i) => [
      String(i + 1),
      r.name,
      r.http,
      r.outcome,
      r.version === Number.MAX_SAFE_INTEGER ? 'v2^53-1' : `v${r.version}`,
      r.next,
      r.ms.toFixed(0),
      r.status.length > 90 ? `${r.status.slice(0, 89)}…` : r.status,
    ]);
    const widths = head.map((h, col) => Math.max(h.length, ...body.map((cells) => cells[col]!.length)));
    const line = (cells: string[]) => cells.map((cell, col) => cell.padEnd(widths[col]!)).join(' | ');
    console.log(
      [
        `Sync fault injection: ${rows.length} cases, installed list v${BASE_VERSION}; every row still flags #testleaks and a fingerprint match after a worker restart`,
        line(head),
        widths.map((w) => '-'.repeat(w)).join('-|-'),
        ...body.map(line),
      ].join('\n'),
    );
  });
});
