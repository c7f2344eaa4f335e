/**
 * Leakwatch in the browser (never a timed test: nothing here passes or fails on a number).
 *
 *   npm run bench:browser                 3 runs of each page, with and without the extension
 *   npm run bench:browser -- --json       same; the LAST stdout line is one JSON object
 *   npm run bench:browser -- --runs 1 --batches 10 --cold-runs 2      a quicker look
 *   npm run bench:browser -- ... --trace-worker DIR                    Chrome traces of the cold starts
 *   npm run bench:browser -- ... --entries FILE                        every extension entry of every page, as JSON lines
 *   npm run bench:browser -- ... --sampler DIR                         a .cpuprofile of every page (V8's sampler at
 *       100 us, no trace: slows the code much less than --profile)
 *   npm run bench:browser -- --cold-only --cold-runs 10                only the cold starts (A/B of start-up)
 *   npm run bench:browser -- ... --profile DIR --trace-only            traces without the CPU sampler,
 *       of the minified build that ships: each task's thread time (tdur) is then the code's own, which
 *       on a loaded machine says more than wall time when comparing two builds
 *
 * The built extension (configured with a signed 1M-fingerprint list served from 127.0.0.1) runs in
 * Debian Chromium under Playwright; a second browser with a bare extension (bare-extension.ts: the
 * floor) and a third without any extension load the same pages.
 * Figures come from PerformanceObserver long tasks, the extension's own user-timing entries
 * (TIMING in lib/content-scanner.ts) and CDP (Performance.getMetrics, Runtime.getHeapUsage,
 * ServiceWorker.stopAllWorkers). bench/README.md says what each figure means.
 * Progress goes to stderr; the table and the JSON line to stdout.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BrowserContext, type CDPSession, chromium, type Page } from '@playwright/test';
import { TIMING } from '../../lib/content-scanner';
import { formatPublicKey, generateKeyPair } from '../../utils/ed25519';
import { signList } from '../../utils/envelope';
import { encodeList } from '../../utils/list-format';
import { LIST_SIZE, makeLeakList } from '../list-fixture';
import { writeBareExtension } from './bare-extension';
import { type FeedPlan, feedHtml, makeArticle, makeFeed } from './pages';

// ---------------------------------------------------------------- options

const { values: opts } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    batches: { type: 'string', default: '40' },
    'per-batch': { type: 'string', default: '50' },
    'batch-gap-ms': { type: 'string', default: '400' },
    'article-kb': { type: 'string', default: '1000' },
    'cold-runs': { type: 'string', default: '5' },
    'cold-only': { type: 'boolean', default: false },
    profile: { type: 'string' },
    'trace-only': { type: 'boolean', default: false },
    'trace-worker': { type: 'string' },
    entries: { type: 'string' },
    sampler: { type: 'string' },
    port: { type: 'string', default: process.env.LEAKWATCH_BENCH_PORT ?? '47841' },
    chromium: { type: 'string', default: process.env.LEAKWATCH_E2E_CHROMIUM ?? '/usr/bin/chromium' },
  },
  strict: true,
});

function positive(name: keyof typeof opts): number {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench:browser: --${name} must be a positive integer, got ${opts[name]}\n`);
    process.exit(2);
  }
  return n;
}
const RUNS = positive('runs');
const BATCHES = positive('batches');
const PER_BATCH = positive('per-batch');
const BATCH_GAP_MS = positive('batch-gap-ms');
const ARTICLE_BYTES = positive('article-kb') * 1000;
const COLD_RUNS = positive('cold-runs');
const PORT = positive('port');
const CHROMIUM = String(opts.chromium);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT_DIR = path.join('.output', `bench-browser-${PORT}`);
const FEED_URL = 'https://x.com/home';
const ARTICLE_URL = 'https://news.example/2017/long-read.html';
const PROBE_URL = 'https://news.example/probe.html';
/** Extension work on the main thread; lookups are wall time spent mostly in the background. */
const MAIN_THREAD = new Set<string>([TIMING.scan, TIMING.apply, TIMING.observe, TIMING.prepare]);

const T0 = performance.now();
function log(msg: string): void {
  process.stderr.write(`[bench:browser ${((performance.now() - T0) / 1000).toFixed(1)}s] ${msg}\n`);
}

function fail(msg: string): never {
  process.stderr.write(`bench:browser: ${msg}\n`);
  process.exit(1);
}

const median = (xs: number[]) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** Nearest-rank percentile. */
const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round = (x: number, digits = 1) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- fixtures and server

log(`generating the ${LIST_SIZE.toLocaleString('en')}-fingerprint list and the pages`);
const leak = makeLeakList();
const pair = await generateKeyPair();
const signedList = await signList(encodeList(leak.list), pair.privateKeyPkcs8, pair.publicKey);
const publicKey = formatPublicKey(pair.publicKey);
const feed: FeedPlan = makeFeed(BATCHES, PER_BATCH, leak.leakQuotes, leak.hashtags);
const article = makeArticle(ARTICLE_BYTES, leak.leakQuotes, leak.hashtags);
const probeHtml = `<!doctype html><html><body><p id="probe">#${leak.hashtags[0]} ${leak.leakQuotes[0]}</p></body></html>`;
const PAGES: Record<string, string> = {
  [FEED_URL]: feedHtml(feed),
  [ARTICLE_URL]: article.html,
  [PROBE_URL]: probeHtml,
};
log(
  `list ${(signedList.length / 1e6).toFixed(2)} MB signed; feed ${BATCHES} x ${PER_BATCH} posts (${feed.leakPosts} leak posts); ` +
    `article ${(article.bytes / 1e6).toFixed(2)} MB in ${article.paragraphs} paragraphs (${article.leakParagraphs} quote the leak)`,
);

function startServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/list.lwl') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(signedList);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${PORT} on 127.0.0.1 is busy: pass --port or set LEAKWATCH_BENCH_PORT`)
          : err,
      ),
    );
    server.listen(PORT, '127.0.0.1', () => resolve(server));
  });
}

// ---------------------------------------------------------------- the extension build

function buildExtension(): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LEAKWATCH_OUT_DIR: OUT_DIR,
    WXT_LEAKWATCH_LIST_URL: `${ORIGIN}/list.lwl`,
    WXT_LEAKWATCH_PUBKEYS: publicKey,
    // Profiles name functions; the figures of a run without --profile come from the minified build that ships.
    ...((opts.profile && !opts['trace-only']) || opts.sampler ? { LEAKWATCH_BENCH_UNMINIFIED: '1' } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'wxt', 'build'], { cwd: REPO, env, stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ext = path.join(REPO, OUT_DIR, 'chrome-mv3');
      if (code !== 0 || !fs.existsSync(path.join(ext, 'manifest.json'))) {
        reject(new Error(`wxt build failed:\n${out.split('\n').slice(-20).join('\n')}`));
        return;
      }
      const manifest = JSON.parse(fs.readFileSync(path.join(ext, 'manifest.json'), 'utf8'));
      const hosts: string[] = manifest.host_permissions ?? [];
      if (!hosts.includes(`${ORIGIN}/*`))
        reject(new Error(`${ext}: host_permissions ${JSON.stringify(hosts)} lack ${ORIGIN}/*`));
      else resolve(ext);
    });
  });
}

// ---------------------------------------------------------------- browsers

/**
 * Runs in the page's own world before its scripts: records long tasks and the extension's timing
 * entries (content scripts share the page's performance timeline), including entries the
 * extension later clears from the buffer.
 */
const HARNESS = `(() => {
  // last: [start of the last scan entry, name of the last entry, end of the last entry]
  const b = { longtasks: [], entries: [], last: [-1, '', 0] };
  Object.defineProperty(window, '__bench', { value: b });
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) b.longtasks.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) {
      if (!e.name.startsWith('leakwatch:')) continue;
      b.entries.push([e.name, e.startTime, e.duration]);
      if (e.name === '${TIMING.scan}') b.last[0] = e.startTime;
      b.last[1] = e.name;
      b.last[2] = Math.max(b.last[2], e.startTime + e.duration);
    }
  }).observe({ entryTypes: ['mark', 'measure'] });
})();`;

interface Session {
  /** Leakwatch, no extension, or the bare extension of bare-extension.ts (the floor). */
  label: 'with' | 'without' | 'bare';
  context: BrowserContext;
  profile: string;
  /** chrome-extension://ID/ of the loaded extension; null without it. */
  extensionOrigin: string | null;
}

async function launch(ext: string | null, label: Session['label']): Promise<Session> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-bench-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1000, height: 900 },
    locale: 'en-US',
    args: [
      '--no-sandbox',
      ...(label === 'with' && opts['trace-worker'] ? ['--remote-debugging-port=0'] : []),
      ...(ext ? [`--disable-extensions-except=${ext}`, `--load-extension=${ext}`] : []),
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--lang=en-US',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
  await context.addInitScript(HARNESS);
  await context.route(/^https:\/\//, async (route) => {
    const body = PAGES[route.request().url()];
    if (body === undefined) await route.fulfill({ status: 404, body: 'not part of the bench' });
    else await route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body });
  });
  let extensionOrigin: string | null = null;
  if (ext) {
    const worker =
      context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://')) ??
      (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
    // URL.origin is "null" for chrome-extension: URLs.
    extensionOrigin = `chrome-extension://${new URL(worker.url()).host}/`;
  }
  return { label, context, profile, extensionOrigin };
}

async function close(s: Session): Promise<void> {
  await s.context.close();
  fs.rmSync(s.profile, { recursive: true, force: true });
}

type Entry = [name: string, start: number, duration: number];

interface PageProbe {
  page: Page;
  cdp: CDPSession;
  /** Where the CPU profile of this page goes (--profile), or null. */
  profile: string | null;
  /** Where its sampled .cpuprofile goes (--sampler), or null. */
  sampled: string | null;
}

async function openPage(s: Session, name: string): Promise<PageProbe> {
  const page = await s.context.newPage();
  const cdp = await s.context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const probe = { page, cdp, profile: null as string | null, sampled: null as string | null };
  if (opts.sampler) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    probe.sampled = path.resolve(opts.sampler, `${name}-${s.label}-${Date.now()}.cpuprofile`);
  }
  if (opts.profile) {
    // A Chrome trace (open it in DevTools' Performance panel) of every page, with and without.
    await cdp.send('Tracing.start', {
      transferMode: 'ReturnAsStream',
      traceConfig: {
        includedCategories: [
          'devtools.timeline',
          'disabled-by-default-devtools.timeline',
          ...(opts['trace-only'] ? [] : ['disabled-by-default-v8.cpu_profiler']),
          'v8.execute',
          'blink.user_timing',
        ],
      },
    });
    probe.profile = path.resolve(opts.profile, `${name}-${s.label}-${Date.now()}.json`);
  }
  return probe;
}

/** What saveTrace needs of a CDP session; Playwright's and puppeteer-core's both have it. */
interface TracingSession {
  send(method: 'Tracing.end' | 'IO.close', params?: { handle: string }): Promise<unknown>;
  send(
    method: 'IO.read',
    params: { handle: string; size: number },
  ): Promise<{ data: string; eof: boolean; base64Encoded?: boolean }>;
  once(event: 'Tracing.tracingComplete', listener: (event: { stream?: string }) => void): unknown;
}

/** Ends the session's tracing and writes the trace (ReturnAsStream) to `file`. */
async function saveTrace(cdp: TracingSession, file: string): Promise<void> {
  const done = new Promise<string>((resolve) =>
    cdp.once('Tracing.tracingComplete', ({ stream }) => resolve(stream ?? '')),
  );
  await cdp.send('Tracing.end');
  const handle = await done;
  const chunks: string[] = [];
  for (;;) {
    const { data, eof, base64Encoded } = await cdp.send('IO.read', { handle, size: 1 << 20 });
    chunks.push(base64Encoded ? Buffer.from(data, 'base64').toString('utf8') : data);
    if (eof) break;
  }
  await cdp.send('IO.close', { handle });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, chunks.join(''));
  log(`trace written to ${file}`);
}

async function closePage(p: PageProbe): Promise<void> {
  if (p.profile) await saveTrace(p.cdp, p.profile);
  if (p.sampled) {
    const { profile } = await p.cdp.send('Profiler.stop');
    fs.mkdirSync(path.dirname(p.sampled), { recursive: true });
    fs.writeFileSync(p.sampled, JSON.stringify(profile));
  }
  await p.cdp.detach().catch(() => undefined);
  await p.page.close();
}

const entries = (page: Page) =>
  page.evaluate(() => (window as unknown as { __bench: { entries: Entry[] } }).__bench.entries);
const longTasks = (page: Page) =>
  page.evaluate(
    () => (window as unknown as { __bench: { longtasks: [number, number][] } }).__bench.longtasks,
  );
/** Time of the first idle mark at or after `t`. */
const idleMarkAfter = (page: Page, t: number) =>
  page.evaluate(
    ([name, since]) =>
      (window as unknown as { __bench: { entries: Entry[] } }).__bench.entries.find(
        ([n, start]) => n === name && start >= (since as number),
      )?.[1] ?? Number.NaN,
    [TIMING.idle, t] as const,
  );

interface Metrics {
  TaskDuration: number;
  ScriptDuration: number;
  LayoutDuration: number;
  RecalcStyleDuration: number;
  JSHeapUsedSize: number;
}

async function metrics(cdp: CDPSession): Promise<Metrics> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  const get = (name: string) => list.find((m) => m.name === name)?.value ?? 0;
  // Durations are in seconds.
  return {
    TaskDuration: get('TaskDuration') * 1000,
    ScriptDuration: get('ScriptDuration') * 1000,
    LayoutDuration: get('LayoutDuration') * 1000,
    RecalcStyleDuration: get('RecalcStyleDuration') * 1000,
    JSHeapUsedSize: get('JSHeapUsedSize'),
  };
}

/** Main-thread ms between two readings: all tasks, script, and style + layout. */
function busy(m1: Metrics, m0: Metrics) {
  return {
    task: m1.TaskDuration - m0.TaskDuration,
    script: m1.ScriptDuration - m0.ScriptDuration,
    layout: m1.LayoutDuration + m1.RecalcStyleDuration - m0.LayoutDuration - m0.RecalcStyleDuration,
  };
}
type Busy = ReturnType<typeof busy>;

/** JS heap of the tab's renderer after full garbage collections (page and content script worlds). */
async function heapAfterGc(cdp: CDPSession): Promise<number> {
  for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
}

/**
 * With the extension: waits until it has scanned at least once since `since`, its last entry is an
 * idle mark, and nothing new was recorded for `quietMs`. Without: waits `quietMs`.
 */
async function settle(page: Page, withExt: boolean, since: number, quietMs: number, timeoutMs = 60_000) {
  // Polled the same way with and without the extension, so that the polling costs both the same.
  const began = Date.now();
  for (;;) {
    const [lastScan, lastName, lastEnd, now] = await page.evaluate(() => [
      ...(window as unknown as { __bench: { last: [number, string, number] } }).__bench.last,
      performance.now(),
    ]);
    if (!withExt) {
      if (Date.now() - began >= quietMs) return;
    } else if (
      lastScan >= since &&
      lastName === TIMING.idle &&
      (now as number) - (lastEnd as number) >= quietMs
    ) {
      return;
    }
    if (Date.now() - began > timeoutMs)
      throw new Error(`the extension did not go idle within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** --entries: one JSON line per page run, for looking at what a figure is made of. */
function saveEntries(page: string, all: Entry[], batchStarts: number[]): void {
  if (!opts.entries || all.length === 0) return;
  const round1 = (x: number) => Math.round(x * 100) / 100;
  const rows = all.map(([name, start, d]) => [name.replace('leakwatch:', ''), round1(start), round1(d)]);
  fs.appendFileSync(
    opts.entries,
    `${JSON.stringify({ page, batchStarts: batchStarts.map(round1), entries: rows })}\n`,
  );
}

/** Main-thread ms of the extension's entries starting in [from, to). */
function extensionMs(all: Entry[], from: number, to = Number.POSITIVE_INFINITY): number {
  return all
    .filter(([name, start]) => MAIN_THREAD.has(name) && start >= from && start < to)
    .reduce((s, [, , d]) => s + d, 0);
}

/** Long tasks over 50 ms that overlap one of the extension's main-thread entries. */
function extensionLongTasks(tasks: [number, number][], all: Entry[]): number {
  const own = all.filter(([name]) => MAIN_THREAD.has(name));
  return tasks.filter(([start, d]) => d > 50 && own.some(([, s, od]) => s < start + d && s + od > start))
    .length;
}

const longOver50 = (tasks: [number, number][]) => tasks.filter(([, d]) => d > 50).length;

// Functions passed to page.evaluate must not declare named functions: tsx's __name helper is not
// defined in the page.
async function flaggedCounts(page: Page, selector: string) {
  return page.evaluate((sel) => {
    const all = [...document.querySelectorAll(sel)].map((e) => ({
      leak: e.getAttribute('data-leak') === '1',
      flagged: e.hasAttribute('data-leakwatch-flagged'),
    }));
    return {
      leak: all.filter((e) => e.leak).length,
      leakFlagged: all.filter((e) => e.leak && e.flagged).length,
      otherFlagged: all.filter((e) => !e.leak && e.flagged).length,
    };
  }, selector);
}

// ---------------------------------------------------------------- scenarios

interface ArticleRun {
  extMs: number;
  wallMs: number;
  taskMs: number;
  scriptMs: number;
  layoutMs: number;
  longTasks: number;
  extLongTasks: number;
  heap: number;
  maxSliceMs: number;
  flagged: string;
}

async function articleRun(s: Session, settleMs: number): Promise<ArticleRun> {
  // Leakwatch or the bare extension: both write the scanner's entries.
  const extension = s.label !== 'without';
  const p = await openPage(s, 'article');
  await p.page.goto(ARTICLE_URL, { waitUntil: 'commit' });
  const m0 = await metrics(p.cdp);
  await p.page.waitForLoadState('load');
  // With the extension, quiet for longer than its report delay (500 ms): the report is its work too.
  await settle(p.page, extension, 0, extension ? 700 : settleMs);
  const m1 = await metrics(p.cdp);
  const all = await entries(p.page);
  saveEntries(`article-${s.label}`, all, []);
  const tasks = await longTasks(p.page);
  const own = all.filter(([name]) => MAIN_THREAD.has(name));
  const firstStart = own[0]?.[1] ?? 0;
  // Idle once the last answer is applied; the report and redraws that come later are not waited for.
  const lastAnswer = all.filter(([name]) => name === TIMING.lookup).at(-1);
  const lastAnswerEnd = lastAnswer ? lastAnswer[1] + lastAnswer[2] : firstStart;
  const idleAt =
    all.find(([name, start]) => name === TIMING.idle && start >= lastAnswerEnd)?.[1] ?? firstStart;
  const f = await flaggedCounts(p.page, 'article > p, article > h2');
  const run: ArticleRun = {
    extMs: extensionMs(all, 0),
    wallMs: idleAt - firstStart,
    taskMs: busy(m1, m0).task,
    scriptMs: busy(m1, m0).script,
    layoutMs: busy(m1, m0).layout,
    longTasks: longOver50(tasks),
    extLongTasks: extensionLongTasks(tasks, all),
    heap: await heapAfterGc(p.cdp),
    maxSliceMs: Math.max(0, ...own.map(([, , d]) => d)),
    flagged: `${f.leakFlagged}/${f.leak} leak paragraphs flagged, ${f.otherFlagged} others`,
  };
  await closePage(p);
  return run;
}

interface FeedRun {
  batchExtMs: number[];
  batchWallMs: number[];
  batchBusy: Busy[];
  longTasks: number;
  extLongTasks: number;
  heap: number;
  maxSliceMs: number;
  flagged: string;
}

async function feedRun(s: Session): Promise<FeedRun> {
  // Leakwatch or the bare extension: both write the scanner's entries.
  const extension = s.label !== 'without';
  const p = await openPage(s, 'feed');
  await p.page.goto(FEED_URL, { waitUntil: 'load' });
  await settle(p.page, extension, 0, extension ? 200 : 1_000);
  const starts: number[] = [];
  const batchBusy: Busy[] = [];
  const wallMs: number[] = [];
  for (let i = 0; i < BATCHES; i++) {
    const m0 = await metrics(p.cdp);
    const t = await p.page.evaluate((n) => {
      const at = performance.now();
      (window as unknown as { __benchAppend(i: number): number }).__benchAppend(n);
      return at;
    }, i);
    starts.push(t);
    const began = Date.now();
    await settle(p.page, extension, t, 50);
    if (extension) wallMs.push((await idleMarkAfter(p.page, t)) - t);
    // Like a reader scrolling: the next page of posts comes a moment later.
    await sleep(Math.max(0, BATCH_GAP_MS - (Date.now() - began)));
    const m1 = await metrics(p.cdp);
    batchBusy.push(busy(m1, m0));
  }
  const all = await entries(p.page);
  saveEntries(`feed-${s.label}`, all, starts);
  const tasks = await longTasks(p.page);
  const own = all.filter(([name]) => MAIN_THREAD.has(name));
  const batchExtMs = starts.map((t, i) => extensionMs(all, t, starts[i + 1]));
  const f = await flaggedCounts(p.page, 'article[data-testid="tweet"]');
  const run: FeedRun = {
    batchExtMs,
    batchWallMs: wallMs,
    batchBusy,
    longTasks: longOver50(tasks),
    extLongTasks: extensionLongTasks(tasks, all),
    heap: await heapAfterGc(p.cdp),
    maxSliceMs: Math.max(0, ...own.map(([, , d]) => d)),
    flagged: `${f.leakFlagged}/${f.leak} leak posts flagged, ${f.otherFlagged} others`,
  };
  await closePage(p);
  return run;
}

/**
 * Stops every service worker of the profile through CDP (the page target's ServiceWorker domain
 * reaches the extension's worker: same storage partition) and waits for CDP to report it stopped.
 */
async function stopServiceWorker(s: Session, cdp: CDPSession): Promise<void> {
  if (!s.extensionOrigin) throw new Error('no extension service worker to stop');
  const origin = s.extensionOrigin;
  const stopped = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the service worker did not stop within 10 s')), 10_000);
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      const ours = versions.filter((v) => v.scriptURL.startsWith(origin));
      if (ours.length > 0 && ours.every((v) => v.runningStatus === 'stopped')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await stopped;
  await cdp.send('ServiceWorker.disable');
}

interface ColdRun {
  coldLookupMs: number;
  coldFlagMs: number;
  warmLookupMs: number;
  /** Start-up milestone -> ms after the post was appended (workerTimeline). */
  milestones: Record<string, number>;
}

/** --cold-only: the median of each start-up milestone, for comparing builds run one after the other. */
function coldReport(cold: ColdRun[], bare: ColdRun[]): void {
  const names = [...new Set(cold.flatMap((c) => Object.keys(c.milestones)))];
  const medians = names.map((name) => {
    const at = cold.map((c) => c.milestones[name]).filter((x) => x !== undefined);
    return `${name} ${median(at).toFixed(1)}`;
  });
  // Each run's own intervals: a slow process start shifts every later milestone of that run alike.
  const steps = names.slice(1).map((name, i) => {
    const from = names[i]!;
    const spans = cold
      .filter((c) => c.milestones[name] !== undefined && c.milestones[from] !== undefined)
      .map((c) => c.milestones[name]! - c.milestones[from]!);
    return `${name} +${median(spans).toFixed(1)}`;
  });
  const ours = cold
    .filter((c) => c.milestones.answered !== undefined && c.milestones['worker origin'] !== undefined)
    .map((c) => c.milestones.answered! - c.milestones['worker origin']!);
  process.stdout.write(
    `median intervals (ms): ${steps.join(' | ')}; worker origin to answered ${median(ours).toFixed(1)}\n`,
  );
  process.stdout.write(
    `cold-only ${new Date().toISOString()} load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n` +
      `cold_start_ms_1m ${round(median(cold.map((c) => c.coldLookupMs)))} (median of ${cold.length}); ` +
      `to warning ${round(median(cold.map((c) => c.coldFlagMs)))}; warm ${round(median(cold.map((c) => c.warmLookupMs)), 2)}\n` +
      `floor: the bare extension's cold lookup ${round(median(bare.map((c) => c.coldLookupMs)))} (median of ${bare.length}); ` +
      `worker origin at ${round(median(bare.map((c) => c.milestones['worker origin'] ?? Number.NaN)))} ms after the append\n` +
      `milestone medians (ms after the append): ${medians.join(' | ')}\n`,
  );
}

/**
 * --trace-worker DIR: a browser-wide Chrome trace of each cold start, from the stopped worker to
 * its answer: the worker's new renderer process is in it, where Playwright's page sessions (and so
 * --profile) only reach the page's renderer. Tracing makes every step slower.
 */
async function startBrowserTrace(s: Session): Promise<(name: string) => Promise<void>> {
  const [port, wsPath] = fs.readFileSync(path.join(s.profile, 'DevToolsActivePort'), 'utf8').split('\n');
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.connect({ browserWSEndpoint: `ws://127.0.0.1:${port}${wsPath}` });
  const cdp = await browser.target().createCDPSession();
  await cdp.send('Tracing.start', {
    transferMode: 'ReturnAsStream',
    traceConfig: {
      includedCategories: [
        'devtools.timeline',
        'disabled-by-default-devtools.timeline',
        'v8',
        'v8.execute',
        'blink.user_timing',
        'ServiceWorker',
        'IndexedDB',
        'toplevel',
        'content',
        'startup',
        'extensions',
        'browser',
        'mojom',
        'ipc',
        'loading',
        'Blob',
        'disabled-by-default-worker.scheduler',
      ],
    },
  });
  return async (name) => {
    await saveTrace(cdp, path.resolve(String(opts['trace-worker']), `${name}-${Date.now()}.json`));
    await browser.disconnect();
  };
}

/**
 * Where a cold start's time went, in ms from the post's append: the lookup sent, the new worker's
 * time origin (Chromium has started a renderer and the worker's isolate by then), the worker's own
 * start-up marks (leakwatch:worker-*), the answer back in the page.
 */
async function workerTimeline(s: Session, page: Page, n: number, postedAt: number, lookup: Entry) {
  const pageOrigin = await page.evaluate(() => performance.timeOrigin);
  const since = (epochMs: number) => epochMs - pageOrigin - postedAt;
  for (const worker of s.context.serviceWorkers()) {
    if (!worker.url().startsWith(s.extensionOrigin ?? '-')) continue;
    const { origin, marks } = await worker.evaluate(() => ({
      origin: performance.timeOrigin,
      marks: performance
        .getEntriesByType('mark')
        .filter((m) => m.name.startsWith('leakwatch:worker-'))
        .map((m) => [m.name.slice('leakwatch:worker-'.length), m.startTime] as const),
    }));
    const steps: [string, number][] = [
      ['sent', since(pageOrigin + lookup[1])],
      ['worker origin', since(origin)],
      ...marks.map(([name, at]) => [name, since(origin + at)] as [string, number]),
      ['answered', since(pageOrigin + lookup[1] + lookup[2])],
    ];
    log(`cold start ${n + 1}: ${steps.map(([name, at]) => `${name} ${at.toFixed(1)}`).join(' | ')}`);
    return Object.fromEntries(steps);
  }
  return {};
}

/** From a stopped worker to the first answered lookup, on a page whose content script is running. */
async function coldStartRun(s: Session, n: number): Promise<ColdRun> {
  const p = await openPage(s, 'cold');
  await p.page.goto(FEED_URL, { waitUntil: 'load' });
  await settle(p.page, true, 0, 200);
  const post = (id: string) =>
    p.page.evaluate(
      ({ id, text }) => {
        const at = performance.now();
        const cell = document.createElement('div');
        cell.setAttribute('data-testid', 'cellInnerDiv');
        cell.innerHTML = '<article data-testid="tweet"><div data-testid="tweetText"></div></article>';
        const article = cell.querySelector('article')!;
        article.id = id;
        article.querySelector('div')!.textContent = text;
        document.getElementById('timeline')!.append(cell);
        return at;
      },
      {
        id,
        text: `cold start probe ${n} ${id} #${leak.hashtags[(n * 2 + id.length) % leak.hashtags.length]}`,
      },
    );
  const lookupAfter = async (t: number) => {
    await p.page.waitForFunction(
      ([name, since]) =>
        (window as unknown as { __bench: { entries: Entry[] } }).__bench.entries.some(
          ([n, start]) => n === name && start >= (since as number),
        ),
      [TIMING.lookup, t] as const,
      { timeout: 30_000, polling: 20 },
    );
    return (await entries(p.page)).find(([name, start]) => name === TIMING.lookup && start >= t)!;
  };

  await stopServiceWorker(s, p.cdp);
  const trace = opts['trace-worker'] && s.label === 'with' ? await startBrowserTrace(s) : null;
  const t = await post(`cold-${n}`);
  const cold = await lookupAfter(t);
  // The bare extension flags nothing.
  let coldFlagMs = Number.NaN;
  if (s.label === 'with') {
    await p.page.waitForSelector(`#cold-${n}[data-leakwatch-flagged]`, { timeout: 30_000 });
    coldFlagMs = (await p.page.evaluate(() => performance.now())) - t;
  }
  if (trace) await trace(`cold-${n}`);
  const milestones = await workerTimeline(s, p.page, n, t, cold);
  const tWarm = await post(`warm-${n}`);
  const warm = await lookupAfter(tWarm);
  await closePage(p);
  return { coldLookupMs: cold[2], coldFlagMs, warmLookupMs: warm[2], milestones };
}

// ---------------------------------------------------------------- main

let server: http.Server | undefined;
const sessions: Session[] = [];
try {
  if (!fs.existsSync(CHROMIUM))
    fail(`no Chromium at ${CHROMIUM} (apt-get install -y chromium, or --chromium PATH)`);
  server = await startServer();
  log(`list server on ${ORIGIN}; building the extension into ${OUT_DIR}`);
  const ext = await buildExtension();

  log('starting Chromium with the extension; waiting for the 1M list to be synced and active');
  const withExt = await launch(ext, 'with');
  sessions.push(withExt);
  const syncT0 = performance.now();
  {
    const probe = await withExt.context.newPage();
    await probe.goto(PROBE_URL);
    await probe.waitForSelector('#probe[data-leakwatch-flagged]', { timeout: 180_000 });
    await probe.close();
  }
  const firstSyncMs = performance.now() - syncT0;
  log(`list active after ${(firstSyncMs / 1000).toFixed(1)} s (download, verify, store, compile)`);
  const browserVersion = withExt.context.browser()?.version() ?? (await chromiumVersion());

  const articleWith: ArticleRun[] = [];
  const feedWith: FeedRun[] = [];
  const cold: ColdRun[] = [];
  for (let r = 0; r < (opts['cold-only'] ? 0 : RUNS); r++) {
    log(`run ${r + 1}/${RUNS} with the extension: article`);
    articleWith.push(await articleRun(withExt, 0));
    log(`run ${r + 1}/${RUNS} with the extension: feed (${BATCHES} batches)`);
    feedWith.push(await feedRun(withExt));
  }
  for (let n = 0; n < COLD_RUNS; n++) {
    log(`cold start ${n + 1}/${COLD_RUNS}`);
    cold.push(await coldStartRun(withExt, n));
  }
  await close(withExt);
  sessions.length = 0;

  log('starting Chromium with the bare extension (the floor: read and send only, no list)');
  const bare = await launch(writeBareExtension(path.join(REPO, OUT_DIR, 'bare-mv3')), 'bare');
  sessions.push(bare);
  const articleBare: ArticleRun[] = [];
  const feedBare: FeedRun[] = [];
  const coldBare: ColdRun[] = [];
  for (let r = 0; r < (opts['cold-only'] ? 0 : RUNS); r++) {
    log(`run ${r + 1}/${RUNS} with the bare extension: article`);
    articleBare.push(await articleRun(bare, 0));
    log(`run ${r + 1}/${RUNS} with the bare extension: feed`);
    feedBare.push(await feedRun(bare));
  }
  for (let n = 0; n < COLD_RUNS; n++) {
    log(`bare extension: cold start ${n + 1}/${COLD_RUNS}`);
    coldBare.push(await coldStartRun(bare, n));
  }
  await close(bare);
  sessions.length = 0;
  if (opts['cold-only']) {
    coldReport(cold, coldBare);
    process.exit(0);
  }

  log('starting Chromium without the extension');
  const without = await launch(null, 'without');
  sessions.push(without);
  const articleWithout: ArticleRun[] = [];
  const feedWithout: FeedRun[] = [];
  const articleSettle = median(articleWith.map((a) => a.wallMs)) + 700;
  for (let r = 0; r < RUNS; r++) {
    log(`run ${r + 1}/${RUNS} without the extension: article`);
    articleWithout.push(await articleRun(without, articleSettle));
    log(`run ${r + 1}/${RUNS} without the extension: feed`);
    feedWithout.push(await feedRun(without));
  }
  await close(without);
  sessions.length = 0;

  report({
    articleWith,
    articleWithout,
    feedWith,
    feedWithout,
    articleBare,
    feedBare,
    cold,
    coldBare,
    firstSyncMs,
    browserVersion,
  });
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
} finally {
  for (const s of sessions) await close(s).catch(() => undefined);
  server?.closeAllConnections();
  server?.close();
}

async function chromiumVersion(): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(CHROMIUM, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('close', () => resolve(out.trim()));
    child.on('error', () => resolve('unknown'));
  });
}

// ---------------------------------------------------------------- report

interface Results {
  articleWith: ArticleRun[];
  articleWithout: ArticleRun[];
  feedWith: FeedRun[];
  feedWithout: FeedRun[];
  /** The bare extension of bare-extension.ts: the floor. */
  articleBare: ArticleRun[];
  feedBare: FeedRun[];
  cold: ColdRun[];
  coldBare: ColdRun[];
  firstSyncMs: number;
  browserVersion: string;
}

function report(r: Results): void {
  const med = <T>(runs: T[], f: (x: T) => number) => median(runs.map(f));
  const mb = (bytes: number) => bytes / 1048576;
  const p95 = (f: (x: FeedRun) => number[]) => (runs: FeedRun[]) => med(runs, (x) => percentile(f(x), 95));
  const batchExt = p95((x) => x.batchExtMs);
  const batchTask = p95((x) => x.batchBusy.map((b) => b.task));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const batchMean = (runs: FeedRun[], f: (b: Busy) => number) => med(runs, (x) => mean(x.batchBusy.map(f)));
  const batchWall = p95((x) => x.batchWallMs);

  const heapArticle = med(r.articleWith, (x) => x.heap) - med(r.articleWithout, (x) => x.heap);
  const heapFeed = med(r.feedWith, (x) => x.heap) - med(r.feedWithout, (x) => x.heap);
  const longWith = med(r.articleWith, (x) => x.longTasks) + med(r.feedWith, (x) => x.longTasks);
  const longWithout = med(r.articleWithout, (x) => x.longTasks) + med(r.feedWithout, (x) => x.longTasks);
  const extLong =
    Math.max(...r.articleWith.map((x) => x.extLongTasks)) +
    Math.max(...r.feedWith.map((x) => x.extLongTasks));

  const json = {
    first_scan_ms_1mb: round(med(r.articleWith, (x) => x.extMs)),
    first_scan_wall_ms_1mb: round(med(r.articleWith, (x) => x.wallMs)),
    batch_p95_ms: round(batchExt(r.feedWith), 2),
    long_tasks_over_50ms: extLong,
    content_heap_mb: round(Math.max(mb(heapArticle), mb(heapFeed)), 2),
    cold_start_ms_1m: round(median(r.cold.map((c) => c.coldLookupMs))),
    floor_first_scan_ms_1mb: round(med(r.articleBare, (x) => x.extMs)),
    floor_batch_p95_ms: round(batchExt(r.feedBare), 2),
    floor_cold_start_ms: round(median(r.coldBare.map((c) => c.coldLookupMs))),
    warm_lookup_ms: round(median(r.cold.map((c) => c.warmLookupMs)), 2),
    max_slice_ms: round(
      Math.max(...r.articleWith.map((x) => x.maxSliceMs), ...r.feedWith.map((x) => x.maxSliceMs)),
      1,
    ),
  };

  type Cell = number | string;
  const rows: [string, Cell, Cell, Cell, Cell, string, string][] = [];
  const fmt = (x: Cell, digits = 1) => (typeof x === 'number' ? String(round(x, digits)) : x);
  const add = (
    figure: string,
    withV: Cell,
    withoutV: Cell,
    goal: string,
    notes: string,
    digits = 1,
    floorV: Cell = '—',
  ) => {
    const delta =
      typeof withV === 'number' && typeof withoutV === 'number'
        ? withV - withoutV
        : typeof withV === 'number'
          ? withV
          : '';
    rows.push([
      figure,
      fmt(withV, digits),
      fmt(withoutV, digits),
      fmt(delta, digits),
      fmt(floorV, digits),
      goal,
      notes,
    ]);
  };
  add(
    'first_scan_ms_1mb',
    json.first_scan_ms_1mb,
    '—',
    '<= 50',
    `main-thread ms of the extension's scan+apply+observe+prepare entries until the ${(article.bytes / 1e6).toFixed(2)} MB article is read, looked up and warned (median of ${RUNS})`,
    1,
    json.floor_first_scan_ms_1mb,
  );
  add(
    '  wall time of that scan',
    json.first_scan_wall_ms_1mb,
    '—',
    '',
    'first scan slice to the idle mark: idle-time slices, lookups in the background, warnings',
  );
  add(
    '  article: main-thread busy',
    med(r.articleWith, (x) => x.taskMs),
    med(r.articleWithout, (x) => x.taskMs),
    '',
    'CDP TaskDuration from navigation to settled (parse, layout, page and extension scripts)',
  );
  add(
    '  article: script',
    med(r.articleWith, (x) => x.scriptMs),
    med(r.articleWithout, (x) => x.scriptMs),
    '',
    'CDP ScriptDuration, same window',
  );
  add(
    '  article: style + layout',
    med(r.articleWith, (x) => x.layoutMs),
    med(r.articleWithout, (x) => x.layoutMs),
    '',
    'CDP RecalcStyleDuration + LayoutDuration, same window',
  );
  add(
    'batch_p95_ms',
    json.batch_p95_ms,
    '—',
    '<= 4',
    `95th percentile over ${BATCHES} batches of ${PER_BATCH} posts of the extension's main-thread ms per batch (median of ${RUNS} runs)`,
    2,
    json.floor_batch_p95_ms,
  );
  add(
    '  feed: main-thread busy per batch, p95',
    batchTask(r.feedWith),
    batchTask(r.feedWithout),
    '',
    `CDP TaskDuration from one append to the next (${BATCH_GAP_MS} ms apart)`,
    2,
  );
  add(
    '  feed: script per batch, mean',
    batchMean(r.feedWith, (b) => b.script),
    batchMean(r.feedWithout, (b) => b.script),
    '',
    'CDP ScriptDuration, same windows',
    2,
  );
  add(
    '  feed: style + layout per batch, mean',
    batchMean(r.feedWith, (b) => b.layout),
    batchMean(r.feedWithout, (b) => b.layout),
    '',
    'CDP RecalcStyleDuration + LayoutDuration, same windows',
    2,
  );
  add(
    '  feed: batch appended to all looked up, p95',
    batchWall(r.feedWith),
    '—',
    '',
    'wall ms from the append to the idle mark (idle callbacks + lookup round trip)',
  );
  add(
    'long_tasks_over_50ms',
    extLong,
    '—',
    '0',
    'long tasks (PerformanceObserver) overlapping an extension entry, worst run of article + feed',
    0,
  );
  add(
    '  long tasks over 50 ms, all',
    longWith,
    longWithout,
    '',
    'every long task of the article + feed pages (median run), e.g. parsing the 1 MB article',
    0,
  );
  add('content_heap_mb', json.content_heap_mb, '—', '<= 5', 'larger of the two heap deltas below', 2);
  add(
    '  JS heap after GC: article',
    mb(med(r.articleWith, (x) => x.heap)),
    mb(med(r.articleWithout, (x) => x.heap)),
    '',
    'MB, CDP Runtime.getHeapUsage of the tab after HeapProfiler.collectGarbage (page + content script worlds)',
    2,
  );
  add(
    '  JS heap after GC: feed of 2,000 posts',
    mb(med(r.feedWith, (x) => x.heap)),
    mb(med(r.feedWithout, (x) => x.heap)),
    '',
    'MB, same, after the last batch',
    2,
  );
  add(
    'cold_start_ms_1m',
    json.cold_start_ms_1m,
    '—',
    '<= 150',
    `median of ${COLD_RUNS}: the content script's lookup (leakwatch:lookup) sent right after CDP stopped the service worker, 1M list in IndexedDB`,
    1,
    json.floor_cold_start_ms,
  );
  add(
    '  cold start to warning shown',
    median(r.cold.map((c) => c.coldFlagMs)),
    '—',
    '',
    'post appended (worker stopped) to its block flagged',
  );
  add('  warm lookup', json.warm_lookup_ms, '—', '', 'same lookup with the worker running', 2);
  add(
    '  longest extension slice',
    json.max_slice_ms,
    '—',
    '',
    'longest single scan/apply/observe entry, all runs',
  );
  add(
    '  first sync of the 1M list',
    r.firstSyncMs,
    '—',
    '',
    'browser start to the probe page flagged (download 2.7 MB, verify, store, compile)',
    0,
  );

  const cpus = os.cpus();
  const header = [
    `Leakwatch browser bench ${new Date().toISOString()}`,
    `node ${process.version} | ${r.browserVersion} (headless) | ${cpus[0]?.model ?? 'cpu?'} x ${cpus.length} | ` +
      `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB | ${os.platform()} ${os.release()} | load ${os.loadavg()[0]!.toFixed(2)}`,
    `correctness: article ${r.articleWith[0]?.flagged}; feed ${r.feedWith[0]?.flagged}`,
    'floor: a bare extension (bench/browser/bare-extension.ts) that only reads the same blocks (textContent) and sends them in messages of the same size; its worker answers at once, without a list',
    `runs ${RUNS}, ${BATCHES} batches x ${PER_BATCH} posts, ${BATCH_GAP_MS} ms apart; total ${((performance.now() - T0) / 1000).toFixed(0)} s`,
  ];
  const columns = ['figure', 'with', 'without', 'delta', 'floor', 'goal'];
  const widths = columns.map((name, i) => Math.max(...rows.map((row) => String(row[i]).length), name.length));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < columns.length ? c.padEnd(widths[i]!) : c)).join('  ');
  const out = [
    ...header,
    '',
    line([...columns, 'notes']),
    line(widths.map((w) => '-'.repeat(w)).concat('-'.repeat(40))),
    ...rows.map((row) => line(row.map(String))),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ ...json, node: process.version, chromium: r.browserVersion, cpu: cpus[0]?.model ?? null, cores: cpus.length })}\n`,
    );
  }
}
