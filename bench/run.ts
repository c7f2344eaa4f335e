/**
 * Leakwatch benchmarks (never timed tests: nothing here passes or fails on a number).
 *
 *   npm run bench                  full run (~50 MB scan corpus, 100 MB build corpus, 1M and 10M lists)
 *   npm run bench -- --json        same; the LAST stdout line is one JSON object of the headline figures
 *   npm run bench -- --quick       smoke run for CI (~1 min: 5 MB scan corpus, 5 MB build corpus, no 10M list)
 *   npm run bench -- --only scan,load   a subset: scan peers size load lookup build delta
 *   npm run bench -- --scan-mb 20 --build-mb 30 --runs 5 --ac-mb 3 --build-runs 2 --keep-docs --no-10m
 *
 * Progress goes to stderr; the table and the JSON line go to stdout. Every timed figure is the median
 * of --runs (default 3) runs in this one process, except the child-process build (--build-runs, default
 * 1: it takes over a minute at 100 MB) and the 10M list (one run). bench/README.md says what each
 * figure measures and how to reproduce it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { documentText, walkFiles } from '../cli/documents';
import { DEFAULT_K, DEFAULT_W, FingerprintSetBuilder } from '../utils/builder';
import { applyDelta, makeDelta, signDelta } from '../utils/delta';
import { type Ed25519KeyPair, formatPublicKey, generateKeyPair } from '../utils/ed25519';
import { openSignedList, signList, trustedKeysFromText } from '../utils/envelope';
import { decodeList, encodeList } from '../utils/list-format';
import type { DecodedList } from '../utils/list-schema';
import {
  type BlockFeatures,
  type CompiledList,
  compileList,
  extractFeatures,
  matchFeatures,
  scanBlock,
} from '../utils/matcher';
import { normalise } from '../utils/normalise';
import { riceEncode, riceParameter } from '../utils/rice';
import { fingerprintsOfLanes } from '../utils/shingle';
import { scanText } from '../utils/text-scan';
import { BlockGenerator, makeCorpus, rng, u32 } from './corpus';
import {
  HASHTAG_COUNT,
  LIST_SEEDS,
  LIST_SIZE,
  makeLeakList,
  makeList,
  paramsFor,
  randomFingerprints,
} from './list-fixture';
import { NaiveMatcher } from './naive';

// ---------------------------------------------------------------- options

const { values: opts } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'scan-mb': { type: 'string' },
    'build-mb': { type: 'string' },
    runs: { type: 'string' },
    'ac-mb': { type: 'string' },
    'build-runs': { type: 'string' },
    'keep-docs': { type: 'boolean', default: false },
    'no-10m': { type: 'boolean', default: false },
  },
  strict: true,
});

const QUICK = opts.quick === true;
const GROUPS = ['scan', 'peers', 'size', 'load', 'lookup', 'build', 'delta'] as const;
type Group = (typeof GROUPS)[number];
const only = new Set(
  (opts.only ?? GROUPS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
for (const g of only) {
  if (!(GROUPS as readonly string[]).includes(g)) {
    process.stderr.write(`unknown --only group ${g}; groups: ${GROUPS.join(' ')}\n`);
    process.exit(2);
  }
}
const want = (g: Group) => only.has(g);

const SCAN_MB = Number(opts['scan-mb'] ?? (QUICK ? 5 : 50));
const BUILD_MB = Number(opts['build-mb'] ?? (QUICK ? 5 : 100));
const RUNS = Number(opts.runs ?? 3);
/** modern-ahocorasick runs at ~1 MB/s here: it gets a prefix of the scan corpus, not all of it. */
const AC_MB = Number(opts['ac-mb'] ?? (QUICK ? 1 : 2));
/** Child-process builds of BUILD_MB (each ~1 min at 100 MB), and the in-process build's share of the documents. */
const BUILD_RUNS = Number(opts['build-runs'] ?? 1);
const IN_PROCESS_BUILD_MB = Math.min(BUILD_MB, 10);
const WITH_10M = !QUICK && !opts['no-10m'];
const SEEDS = { ...LIST_SEEDS, scan: 1, build: 2, lookup: 6, delta: 7, naive: 8 };
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repro = (args: string) => `npm run bench -- ${args}${QUICK ? ' --quick' : ''}`;

// ---------------------------------------------------------------- helpers

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function log(msg: string): void {
  process.stderr.write(`[bench ${((performance.now() - T0) / 1000).toFixed(1)}s] ${msg}\n`);
}
const T0 = performance.now();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs fn `runs` times (after gc) and returns each run's milliseconds. */
async function timeRuns(runs: number, fn: () => unknown | Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc();
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

function timeRunsSync(runs: number, fn: () => unknown): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc();
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return out;
}

function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const p = 10 ** Math.max(0, digits - Math.ceil(Math.log10(Math.abs(x) || 1)));
  return Math.round(x * p) / p;
}

function spread(xs: number[], f: (ms: number) => number, unit: string): string {
  const v = xs.map(f).sort((a, b) => a - b);
  return `median of ${xs.length}: ${v.map((x) => round(x)).join(' / ')} ${unit}`;
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;

interface Row {
  figure: string;
  value: string;
  notes: string;
  repro?: string;
}
const rows: Row[] = [];
const json: Record<string, number | string | null> = {
  scan_mb_s: null,
  peer_ahocorasick_mb_s: null,
  peer_naive_mb_s: null,
  bytes_per_fp_1m: null,
  load_ms_1m: null,
  lookup_ns: null,
  build_mb_s: null,
  delta_ratio: null,
};
function row(figure: string, value: string, notes: string, repro?: string): void {
  rows.push({ figure, value, notes, repro });
}

// ---------------------------------------------------------------- the 1M list

interface Fixture {
  hashtags: string[];
  leakQuotes: string[];
  leakFingerprints: Float64Array;
  list: DecodedList;
  payload: Uint8Array;
  signed: Uint8Array;
  publicKeyText: string;
  keyPair: Ed25519KeyPair;
  compiled: CompiledList;
}

let fixture: Fixture | undefined;
async function getFixture(): Promise<Fixture> {
  if (fixture) return fixture;
  log('building the 1M-fingerprint list (leak passages + random fill), signing it');
  // "Leaked documents": 2 MB of prose whose winnowed fingerprints are in the list, and passages of
  // which the scan corpus quotes now and then, so the hit path is exercised too.
  const { list, hashtags, leakQuotes, leakFingerprints } = makeLeakList();
  const fingerprints = list.fingerprints[0]!;
  const params = list.meta.fingerprint;
  const payload = encodeList(list);
  const pair = await generateKeyPair();
  const signed = await signList(payload, pair.privateKeyPkcs8, pair.publicKey);
  const publicKeyText = formatPublicKey(pair.publicKey);
  const compiled = compileList(list);
  fixture = {
    hashtags,
    leakQuotes,
    leakFingerprints,
    list,
    payload,
    signed,
    publicKeyText,
    keyPair: pair,
    compiled,
  };
  log(
    `list: ${fingerprints.length} fingerprints at ${params.bits} bits (${leakFingerprints.length} from leak text)`,
  );
  return fixture;
}

// ---------------------------------------------------------------- scan corpus

let corpus: ReturnType<typeof makeCorpus> | undefined;
async function getCorpus() {
  if (corpus) return corpus;
  const f = await getFixture();
  log(`generating the ${SCAN_MB} MB scan corpus`);
  corpus = makeCorpus(SCAN_MB * 1e6, {
    seed: SEEDS.scan,
    knownHashtags: f.hashtags,
    quotes: f.leakQuotes,
    quoteRate: 0.005,
  });
  log(
    `corpus: ${corpus.blocks.length} blocks, ${corpus.words} words, ${(corpus.bytes / 1e6).toFixed(1)} MB UTF-8`,
  );
  return corpus;
}

// ---------------------------------------------------------------- scan

async function benchScan(): Promise<void> {
  const f = await getFixture();
  const c = await getCorpus();
  const lists = [f.compiled];
  const paramSets = [f.compiled.params];
  let flagged = 0;
  let kinds: Record<string, number> = {};
  const scanAll = (blocks: readonly string[]) => {
    flagged = 0;
    kinds = {};
    for (const b of blocks) {
      // exactly what the background does for each block a content script sends
      const r = scanBlock(lists, b);
      for (const x of r) kinds[x.kind] = (kinds[x.kind] ?? 0) + 1;
      if (r.length > 0) flagged++;
    }
  };
  log('scan: warm-up');
  scanAll(c.blocks.slice(0, Math.ceil(c.blocks.length / 10)));
  log(`scan: ${RUNS} runs over ${(c.bytes / 1e6).toFixed(0)} MB`);
  const ms = await timeRuns(RUNS, () => scanAll(c.blocks));
  const mbs = (t: number) => c.bytes / 1e6 / (t / 1000);
  json.scan_mb_s = round(mbs(median(ms)));
  row(
    'scan_mb_s',
    `${json.scan_mb_s} MB/s`,
    `scanBlock per block, 1M-fp list + ${HASHTAG_COUNT} hashtags; ${c.blocks.length} blocks, ` +
      `${(c.bytes / 1e6).toFixed(0)} MB; ${flagged} blocks flagged (findings: ${JSON.stringify(kinds)}; 0.5 % of blocks quote ` +
      `leak text, ~1.7 % carry a listed hashtag); ${spread(ms, mbs, 'MB/s')}`,
    repro(`--only scan${opts['scan-mb'] ? ` --scan-mb ${SCAN_MB}` : ''}`),
  );

  // Where the time goes: each stage alone on a 5 MB slice (median of 3 after a warm-up; 1 with --quick).
  const slice = c.blocks.slice(0, Math.ceil(c.blocks.length * Math.min(1, 5 / SCAN_MB)));
  const sliceBytes = slice.reduce((s, b) => s + Buffer.byteLength(b), 0);
  // Each stage's result feeds `sink`, so no stage can be optimised away.
  let sink = 0;
  const each = (fn: (b: string) => number) => () => {
    for (const b of slice) sink += fn(b);
  };
  const stages: [string, () => void][] = [
    ['normalise() (reference, not on the scan path)', each((b) => normalise(b).length)],
    ['scanText()', each((b) => scanText(b).tokenCount)],
    [
      'scanText+fingerprintsOfLanes',
      each((b) => {
        const s = scanText(b);
        return fingerprintsOfLanes(s.lanes, s.tokenCount, DEFAULT_K, f.compiled.params.bits).length;
      }),
    ],
    [
      'extractFeatures() (the two-step form: all fingerprints in an array)',
      each((b) => extractFeatures(b, [], paramSets).hashtags.length),
    ],
    ['scanBlock()', each((b) => scanBlock(lists, b).length)],
  ];
  log(`scan: stage breakdown on ${(sliceBytes / 1e6).toFixed(1)} MB`);
  const parts: string[] = [];
  for (const [name, fn] of stages) {
    fn();
    const t = median(await timeRuns(QUICK ? 1 : 3, fn));
    parts.push(`${name} ${round(sliceBytes / 1e6 / (t / 1000))} MB/s`);
  }
  if (sink < 0) log('unreachable');
  row(
    'scan stages',
    '',
    `each stage alone on ${(sliceBytes / 1e6).toFixed(0)} MB: ${parts.join('; ')}`,
    repro(`--only scan`),
  );
}

// ---------------------------------------------------------------- peers

async function benchPeers(): Promise<void> {
  const f = await getFixture();
  const c = await getCorpus();

  // modern-ahocorasick: the list's hashtags, as spelled in the list, found in the raw text of each block.
  const mbs = (t: number) => c.bytes / 1e6 / (t / 1000);
  let AhoCorasick: typeof import('modern-ahocorasick').default | undefined;
  try {
    AhoCorasick = (await import('modern-ahocorasick')).default;
  } catch {
    row(
      'peer_ahocorasick_mb_s',
      'n/a',
      'modern-ahocorasick is not installed: it is a devDependency (npm install -D modern-ahocorasick@^3.3.0)',
      repro(`--only peers`),
    );
  }
  if (AhoCorasick) benchAhoCorasick(AhoCorasick, f.hashtags, c.blocks, c.bytes);

  // The naive baseline: NFKC + lower-case + regex tokens + joined 5-word strings + Set lookup.
  log('peer: naive matcher set-up (1M shingle strings)');
  const naive = new NaiveMatcher(DEFAULT_K);
  naive.fill(makeCorpus(2e6, { seed: SEEDS.leak }).blocks, LIST_SIZE, SEEDS.naive);
  let naiveHits = 0;
  const naiveAll = (blocks: readonly string[]) => {
    naiveHits = 0;
    for (const b of blocks) naiveHits += naive.scan(b);
  };
  naiveAll(c.blocks.slice(0, Math.ceil(c.blocks.length / 20)));
  log(`peer: naive, ${RUNS} runs`);
  const naiveMs = await timeRuns(RUNS, () => naiveAll(c.blocks));
  json.peer_naive_mb_s = round(mbs(median(naiveMs)));
  row(
    'peer_naive_mb_s',
    `${json.peer_naive_mb_s} MB/s`,
    `bench/naive.ts: NFKC+toLowerCase+/[\\p{L}\\p{N}]+/gu tokens, every 5-word shingle joined and looked up in a Set ` +
      `of ${naive.size} strings: ${naiveHits} shingle hits; ${spread(naiveMs, mbs, 'MB/s')}`,
    repro(`--only peers`),
  );
}

function benchAhoCorasick(
  AhoCorasick: typeof import('modern-ahocorasick').default,
  hashtags: string[],
  blocks: readonly string[],
  allBytes: number,
): void {
  const ac = new AhoCorasick(hashtags.map((t) => `#${t}`));
  const acBlocks = prefix(blocks, AC_MB * 1e6);
  const acBytes = acBlocks.reduce((s, b) => s + Buffer.byteLength(b), 0);
  let acHits = 0;
  const acAll = (blocks: readonly string[]) => {
    acHits = 0;
    for (const b of blocks) acHits += ac.search(b).length;
  };
  log('peer: modern-ahocorasick warm-up');
  acAll(acBlocks.slice(0, Math.ceil(acBlocks.length / 10)));
  log(`peer: modern-ahocorasick, ${RUNS} runs over the first ${(acBytes / 1e6).toFixed(1)} MB`);
  const acMs = timeRunsSync(RUNS, () => acAll(acBlocks));
  const acMbs = (t: number) => acBytes / 1e6 / (t / 1000);
  json.peer_ahocorasick_mb_s = round(acMbs(median(acMs)));
  row(
    'peer_ahocorasick_mb_s',
    `${json.peer_ahocorasick_mb_s} MB/s`,
    `modern-ahocorasick ${acVersion()} search() of ${hashtags.length} '#Tag' patterns per block (exact, case-sensitive, ` +
      `grapheme-aware; no normalisation, no fingerprints) on the first ${(acBytes / 1e6).toFixed(1)} MB of the ` +
      `same blocks (it is too slow for all ${(allBytes / 1e6).toFixed(0)} MB): ${acHits} hits; ${spread(acMs, acMbs, 'MB/s')}`,
    repro(`--only peers`),
  );
}

/** The first blocks of `blocks` that add up to `bytes` UTF-8 bytes. */
function prefix(blocks: readonly string[], bytes: number): string[] {
  const out: string[] = [];
  let n = 0;
  for (const b of blocks) {
    if (n >= bytes) break;
    out.push(b);
    n += Buffer.byteLength(b);
  }
  return out;
}

function acVersion(): string {
  try {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(REPO, 'node_modules/modern-ahocorasick/package.json'), 'utf8'),
    ) as { version: string };
    return pkg.version;
  } catch {
    return '?';
  }
}

// ---------------------------------------------------------------- size

async function benchSize(): Promise<void> {
  const f = await getFixture();
  json.bytes_per_fp_1m = round(f.signed.length / LIST_SIZE, 4);
  const bits = f.list.meta.fingerprint.bits;
  row(
    'bytes_per_fp_1m',
    `${json.bytes_per_fp_1m} B/fp`,
    `signed list of 1,000,000 fps at ${bits} bits: ${f.signed.length} bytes (${mib(f.signed.length)}); ` +
      `Rice ideal ~ (${bits} - log2 n + 1.5) / 8 = ${round((bits - Math.log2(LIST_SIZE) + 1.5) / 8)} B/fp`,
    repro(`--only size`),
  );
  if (!WITH_10M) {
    row(
      'bytes_per_fp_10m',
      'skipped',
      QUICK ? 'not in --quick runs' : 'skipped by --no-10m',
      repro(`--only size`),
    );
    return;
  }
  log('size: 10M-fingerprint list (encode + sign + open + compile)');
  const params = paramsFor(10_000_000);
  const fps = randomFingerprints(10_000_000, params.bits, SEEDS.list + 10);
  const list = makeList(fps, params, f.hashtags);
  let t = performance.now();
  const payload = encodeList(list);
  const encodeMs = performance.now() - t;
  const pair = await generateKeyPair();
  t = performance.now();
  const signed = await signList(payload, pair.privateKeyPkcs8, pair.publicKey);
  const signMs = performance.now() - t;
  const trustedKeys = await trustedKeysFromText([formatPublicKey(pair.publicKey)]);
  gc();
  t = performance.now();
  const opened = await openSignedList(signed, { trustedKeys, now: Date.now() });
  const openMs = performance.now() - t;
  t = performance.now();
  const compiled = compileList(opened.list);
  const compileMs = performance.now() - t;
  row(
    'bytes_per_fp_10m',
    `${round(signed.length / 1e7, 4)} B/fp`,
    `signed list of 10,000,000 fps at ${params.bits} bits: ${signed.length} bytes (${mib(signed.length)}); ` +
      `one run: encodeList ${round(encodeMs)} ms, signList (re-decodes) ${round(signMs)} ms, ` +
      `openSignedList ${round(openMs)} ms, compileList ${round(compileMs)} ms (${compiled.fingerprints.length} fps)`,
    repro(`--only size`),
  );
}

// ---------------------------------------------------------------- load

async function benchLoad(): Promise<void> {
  const f = await getFixture();
  const trustedKeys = await trustedKeysFromText([f.publicKeyText]);
  const now = Date.now();
  const once = async () => {
    const v = await openSignedList(f.signed, { trustedKeys, now });
    return compileList(v.list);
  };
  await once();
  log(`load: ${RUNS + 2} runs`);
  const ms = await timeRuns(RUNS + 2, once);
  json.load_ms_1m = round(median(ms));
  const decodeMs = median(await timeRuns(RUNS, () => decodeList(f.payload)));
  const compileMs = median(await timeRuns(RUNS, () => compileList(f.list)));
  row(
    'load_ms_1m',
    `${json.load_ms_1m} ms`,
    `openSignedList (Ed25519 verify + decode + SHA-256) + compileList, ${mib(f.signed.length)} signed; ` +
      `${spread(ms, (x) => x, 'ms')}; of which decodeList ~${round(decodeMs)} ms, compileList ~${round(compileMs)} ms, ` +
      `verify + digest + meta the rest`,
    repro(`--only load`),
  );
}

// ---------------------------------------------------------------- lookup

async function benchLookup(): Promise<void> {
  const f = await getFixture();
  const lists = [f.compiled];
  const key = f.compiled.paramsKey;
  const N = 1000;
  const B = QUICK ? 200 : 500;
  const bits = f.compiled.params.bits;
  const random = rng(SEEDS.lookup);
  const high = 2 ** (bits - 32);
  const blockOf = (values: number[]): BlockFeatures => ({
    hashtags: [],
    urls: [],
    fingerprints: { [key]: values },
  });
  // Random fingerprints: with 1M of 2^40 taken, a lookup hits with probability ~1e-6, so all but a few miss.
  const misses = Array.from({ length: B }, () =>
    blockOf(Array.from({ length: N }, () => Math.floor(random() * high) * 4294967296 + u32(random))),
  );
  // The hit path: every fingerprint of the block is in the list (a whole block of leaked text).
  const all = f.compiled.fingerprints;
  const hits = Array.from({ length: Math.ceil(B / 5) }, () =>
    blockOf(Array.from({ length: N }, () => all[Math.floor(random() * all.length)]!)),
  );
  const run = (blocks: BlockFeatures[]) => {
    let n = 0;
    for (const b of blocks) n += matchFeatures(lists, b).length;
    return n;
  };
  run(misses.slice(0, 50));
  run(hits.slice(0, 20));
  log(`lookup: ${RUNS + 2} runs of ${B} blocks x ${N} fps`);
  const missMs = await timeRuns(RUNS + 2, () => run(misses));
  const perFp = (blocks: number) => (t: number) => (t * 1e6) / (blocks * N);
  json.lookup_ns = round((median(missMs) * 1e6) / (B * N));
  const hitMs = await timeRuns(RUNS, () => run(hits));
  // The bare binary search on the same sorted Float64Array, for the per-block overhead of matchFeatures.
  const bare = () => {
    let found = 0;
    for (const b of misses) {
      for (const v of b.fingerprints[key]!) {
        let lo = 0;
        let hi = all.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (all[mid]! < v) lo = mid + 1;
          else hi = mid;
        }
        if (lo < all.length && all[lo] === v) found++;
      }
    }
    return found;
  };
  bare();
  const bareMs = await timeRuns(RUNS, bare);
  row(
    'lookup_ns',
    `${json.lookup_ns} ns/fp`,
    `matchFeatures() on ${B} blocks of ${N} random fps (nearly all miss) against the 1M list, time / (${B} x ${N}); ` +
      `includes per-block work (the block's Set is only built once something hits); ${spread(missMs, perFp(B), 'ns')}`,
    repro(`--only lookup`),
  );
  row(
    'lookup (hits, bare)',
    `${round((median(hitMs) * 1e6) / (hits.length * N))} ns/fp hit`,
    `all-hit blocks (evidence Map/Set per hit): ${spread(hitMs, perFp(hits.length), 'ns')}; ` +
      `bare binary search over the same Float64Array: ${round((median(bareMs) * 1e6) / (B * N))} ns/fp`,
    repro(`--only lookup`),
  );
}

// ---------------------------------------------------------------- delta

async function benchDelta(): Promise<void> {
  const f = await getFixture();
  const base = f.list.fingerprints[0]!;
  const bits = f.list.meta.fingerprint.bits;
  const random = rng(SEEDS.delta);
  // A 1 % change: 5,000 fingerprints removed and 5,000 added, the count staying 1,000,000.
  const changes = Math.round(LIST_SIZE / 100);
  const removed = new Set<number>();
  while (removed.size < changes / 2) removed.add(base[Math.floor(random() * base.length)]!);
  const present = new Set(base);
  const added = new Set<number>();
  const high = 2 ** (bits - 32);
  while (added.size < changes / 2) {
    const v = Math.floor(random() * high) * 4294967296 + u32(random);
    if (!present.has(v)) added.add(v);
  }

  // The real format (utils/delta.ts, as `leakwatch publish` writes it): signed delta / signed full list.
  const targetFps = Float64Array.from([...base.filter((v) => !removed.has(v)), ...added]).sort();
  const targetList: DecodedList = {
    meta: {
      ...f.list.meta,
      version: f.list.meta.version + 1,
      entries: f.list.meta.entries.map((e) => ({ ...e, fingerprintCount: targetFps.length })),
    },
    fingerprints: [targetFps],
  };
  const targetPayload = encodeList(targetList);
  const t = performance.now();
  const delta = await makeDelta(f.payload, targetPayload);
  const makeMs = performance.now() - t;
  const signedDelta = await signDelta(delta, f.keyPair.privateKeyPkcs8, f.keyPair.publicKey);
  const t2 = performance.now();
  const applied = await applyDelta(f.payload, delta);
  const applyMs = performance.now() - t2;
  if (!Buffer.from(applied).equals(Buffer.from(targetPayload)))
    throw new Error('delta did not rebuild its target');
  const metaBytes = new DataView(targetPayload.buffer, targetPayload.byteOffset).getUint32(4);
  json.delta_ratio = round(signedDelta.length / f.signed.length, 4);
  row(
    'delta_ratio',
    `${json.delta_ratio}`,
    `real format (utils/delta.ts makeDelta + signDelta): 1 % change of the 1M list (${removed.size} removed, ` +
      `${added.size} added, new version so the ${metaBytes}-byte metadata travels too) = ${signedDelta.length} bytes ` +
      `/ ${f.signed.length} bytes of the full signed list; makeDelta ${round(makeMs)} ms, applyDelta ${round(applyMs)} ms`,
    repro(`--only delta`),
  );

  // The brief's estimate (written before utils/delta.ts existed): the union as one Rice set.
  const union = Float64Array.from([...removed, ...added]).sort();
  const bytes = riceEncode(union, riceParameter(union)).length;
  row(
    'delta estimate',
    `${round(bytes / f.signed.length, 4)} (estimate)`,
    `Rice-coded union of the ${union.length} changed values alone = ${bytes} bytes (${round((bytes * 8) / union.length)} ` +
      `bits/change) / full signed list; the real format codes removals as positions, so it beats this`,
    repro(`--only delta`),
  );
}

// ---------------------------------------------------------------- build

function writeDocs(dir: string, targetBytes: number): { files: number; bytes: number } {
  const gen = new BlockGenerator({ seed: SEEDS.build });
  const random = rng(SEEDS.build + 1);
  let bytes = 0;
  let files = 0;
  while (bytes < targetBytes) {
    const sub = path.join(dir, `box${String(Math.floor(files / 500)).padStart(3, '0')}`);
    if (files % 500 === 0) fs.mkdirSync(sub, { recursive: true });
    const size = 2000 + Math.floor(random() * 58000);
    let text = '';
    if (random() < 0.4) {
      // mail-like documents: routing lines the builder drops
      text += `From: ${gen.block(2).replace(/\W+/g, '.')}@example.org\nTo: team@example.org\nSubject: ${gen.block(6)}\n\n`;
    }
    const parts: string[] = [];
    let len = text.length;
    while (len < size) {
      const b = gen.block();
      parts.push(b);
      len += b.length + 2;
    }
    text += parts.join('\n\n');
    const buf = Buffer.from(text, 'utf8');
    fs.writeFileSync(path.join(sub, `doc${String(files).padStart(6, '0')}.txt`), buf);
    bytes += buf.length;
    files++;
  }
  return { files, bytes };
}

function runChildBuild(docs: string, out: string): { ms: number; maxRssKb: number | null; cliLine: string } {
  const cli = path.join(REPO, 'bin/leakwatch.mjs');
  const buildArgs = ['build', '--docs', docs, '--out', out, '--list-version', '1'];
  const hasTime = fs.existsSync('/usr/bin/time');
  const t = performance.now();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-v', process.execPath, cli, ...buildArgs], { cwd: REPO, encoding: 'utf8' })
    : spawnSync(
        process.execPath,
        [
          '-e',
          `import(${JSON.stringify(pathToFileURL(path.join(REPO, 'bin/cli-bundle.mjs')).href)}).then(async ({ loadCli }) => { const { main } = await loadCli(); process.exitCode = await main(process.argv.slice(1)); process.stderr.write('\\nMaximum resident set size (kbytes): ' + process.resourceUsage().maxRSS + '\\n'); })`,
          ...buildArgs,
        ],
        { cwd: REPO, encoding: 'utf8' },
      );
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`leakwatch build failed (${r.status}): ${r.stderr}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const cliLine = r.stderr.split('\n').find((l) => /documents \(/.test(l)) ?? '';
  return { ms, maxRssKb: rss ? Number(rss[1]) : null, cliLine: cliLine.trim() };
}

async function benchBuild(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-bench-'));
  const docs = path.join(tmp, 'docs');
  try {
    log(`build: writing ${BUILD_MB} MB of documents to ${docs}`);
    const { files, bytes } = writeDocs(docs, BUILD_MB * 1e6);
    const mbs = (t: number) => bytes / 1e6 / (t / 1000);
    // The first CLI run after a source change writes its bundle (bin/cli-bundle.mjs): not a build cost.
    spawnSync(process.execPath, [path.join(REPO, 'bin/leakwatch.mjs'), '--help'], { cwd: REPO });
    log(`build: ${BUILD_RUNS} child-process run(s) of leakwatch build`);
    const child = [];
    for (let i = 0; i < BUILD_RUNS; i++) child.push(runChildBuild(docs, path.join(tmp, 'list.lwl')));
    const childMs = child.map((c) => c.ms);
    json.build_mb_s = round(mbs(median(childMs)));
    const rss = child.map((c) => c.maxRssKb).filter((x): x is number => x !== null);
    row(
      'build_mb_s',
      `${json.build_mb_s} MB/s`,
      `child process ./bin/leakwatch.mjs build (wall clock incl. Node start-up and module loading) on ${files} .txt files, ` +
        `${(bytes / 1e6).toFixed(0)} MB; ${spread(childMs, mbs, 'MB/s')}; peak RSS ` +
        `${rss.length ? `${Math.round(median(rss) / 1024)} MiB (/usr/bin/time -v maxRSS)` : 'n/a'}; CLI said: ${child[0]!.cliLine}`,
      `${repro(`--only build --keep-docs`)}; then /usr/bin/time -v ./bin/leakwatch.mjs build --docs <dir it prints> --out /tmp/x.lwl`,
    );

    // In-process: the same path the CLI takes (walkFiles, documentText, FingerprintSetBuilder, encodeList),
    // on the first IN_PROCESS_BUILD_MB of the documents, timing each phase.
    log(`build: in-process on the first ${IN_PROCESS_BUILD_MB} MB`);
    gc();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const t = performance.now();
    const builder = new FingerprintSetBuilder({ k: DEFAULT_K, w: DEFAULT_W });
    let n = 0;
    let inBytes = 0;
    for (const file of walkFiles(docs)) {
      if (inBytes >= IN_PROCESS_BUILD_MB * 1e6) break;
      const content = fs.readFileSync(file);
      inBytes += content.length;
      const text = documentText(file, content.toString('utf8'));
      if (text !== null) builder.addDocument(text);
      if (++n % 100 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const addMs = performance.now() - t;
    const { params, fingerprints } = builder.finish();
    peak = Math.max(peak, process.memoryUsage().rss);
    const finishMs = performance.now() - t - addMs;
    const payload = encodeList(makeList(fingerprints, params, []));
    const totalMs = performance.now() - t;
    row(
      'build in-process',
      `${round(inBytes / 1e6 / (totalMs / 1000))} MB/s`,
      `FingerprintSetBuilder+finish+encodeList on the first ${(inBytes / 1e6).toFixed(0)} MB (${n} files), one run: addDocument ${round(addMs / 1000)} s, finish ${round(finishMs / 1000)} s, ` +
        `encode ${round((totalMs - addMs - finishMs) / 1000)} s; ${fingerprints.length} fps at ${params.bits} bits, ` +
        `${payload.length} bytes (${round(payload.length / fingerprints.length)} B/fp); RSS growth ~${mib(peak - rss0)}`,
      repro(`--only build`),
    );
  } finally {
    if (opts['keep-docs']) log(`build: documents kept in ${docs}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

const cpus = os.cpus();
const cpu = `${cpus[0]?.model ?? 'unknown'} (${cpus.length} cores)`;
log(
  `node ${process.version}, ${cpu}, ${mib(os.totalmem())} RAM, load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}${QUICK ? ', QUICK run' : ''}`,
);

const plan: [Group, () => Promise<void>][] = [
  ['size', benchSize],
  ['load', benchLoad],
  ['lookup', benchLookup],
  ['delta', benchDelta],
  ['scan', benchScan],
  ['peers', benchPeers],
  ['build', benchBuild],
];
for (const [group, fn] of plan) {
  if (!want(group)) continue;
  await fn();
  if (group === 'peers' || group === 'scan') {
    if (!want('peers') || group === 'peers') corpus = undefined; // the build wants the memory back
  }
}

const date = new Date().toISOString();
const header =
  `Leakwatch bench ${date} | node ${process.version} | ${cpu} | ${os.platform()} ${os.release()} | ` +
  `load ${os.loadavg()[0]!.toFixed(2)}${QUICK ? ' | QUICK (smoke) run' : ''} | total ${((performance.now() - T0) / 1000).toFixed(0)} s`;
const w1 = Math.max(...rows.map((r) => r.figure.length), 6);
const w2 = Math.max(...rows.map((r) => r.value.length), 5);
const out: string[] = [header, '', `${'figure'.padEnd(w1)}  ${'value'.padEnd(w2)}  notes`];
out.push(`${'-'.repeat(w1)}  ${'-'.repeat(w2)}  ${'-'.repeat(40)}`);
for (const r of rows) out.push(`${r.figure.padEnd(w1)}  ${r.value.padEnd(w2)}  ${r.notes}`);
out.push('', 'How to reproduce each figure (from the repository root):');
for (const r of rows) if (r.repro) out.push(`  ${r.figure.padEnd(w1)}  ${r.repro}`);
process.stdout.write(`${out.join('\n')}\n`);
if (opts.json) {
  process.stdout.write(`${JSON.stringify({ ...json, node: process.version, cpu, date })}\n`);
}
