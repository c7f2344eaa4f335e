import fs from 'node:fs';
import path from 'node:path';
import { main } from '../../../cli/main';
import { parsePrivateKeyFile } from '../../../utils/ed25519';
import { signList } from '../../../utils/envelope';
import { decodeList, encodeList } from '../../../utils/list-format';
import { BULK_LIST_NAMES, type E2eFixtures, type ListInfo, type ListName, RUN_SUFFIX } from './config';
import { MEMOS } from './memos';

/**
 * Builds the keys and signed lists of the end-to-end tests with the admin CLI (cli/main.ts, what
 * bin/leakwatch.mjs runs), into a temporary folder. Only the expired list needs the core directly: the CLI stamps every list
 * with the current time and refuses a validity under one day.
 */

const DAY = 86_400_000;
export const TEST_LIST_ID = 'leakwatch-e2e';
export const TEST_PUBLISHER = 'Leakwatch end-to-end test publisher';
export const OTHER_PUBLISHER = 'Second test publisher';
export const CONTEXT_ACTIVE = 'Test election, second round (blackout in force)';
export const CONTEXT_OVER = 'Test election, first round (blackout over)';

interface CliResult {
  code: number;
  out: string;
}

/**
 * Runs the CLI's main() (what bin/leakwatch.mjs runs) in this process, capturing what it prints:
 * a process per command would cost most of a second of TypeScript loading each.
 */
async function cli(args: string[]): Promise<CliResult> {
  let out = '';
  const capture = (chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  };
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, out: out.trim() };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}

async function cliOk(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`leakwatch ${args.join(' ')} failed (exit ${r.code}):\n${r.out}`);
  return r.out;
}

/** Blackout contexts relative to now: one in force during the whole run, one already over. */
function metaInput(now: number, listId: string) {
  const iso = (ms: number) => new Date(ms).toISOString();
  const legalBasis = {
    en: 'Test electoral code, articles T1 and T2 (fictional).',
    fr: 'Code électoral de test, articles T1 et T2 (fictif).',
  };
  return {
    listId,
    publisher: {
      name: TEST_PUBLISHER,
      url: 'https://publisher.example/',
      disputeUrl: 'https://publisher.example/dispute',
    },
    contexts: [
      {
        id: 'e2e-round-1',
        jurisdiction: 'Testland',
        election: { en: CONTEXT_OVER, fr: 'Élection de test, premier tour (réserve terminée)' },
        start: iso(now - 10 * DAY),
        end: iso(now - 9 * DAY),
        timeZone: 'Europe/Paris',
        legalBasis,
        text: {
          en: 'Electoral silence of the first round (test context, already over).',
          fr: 'Période de réserve du premier tour (contexte de test, terminé).',
        },
        entries: ['leak'],
      },
      {
        id: 'e2e-round-2',
        jurisdiction: 'Testland',
        election: { en: CONTEXT_ACTIVE, fr: 'Élection de test, second tour (réserve en vigueur)' },
        start: iso(now - 2 * 3_600_000),
        end: iso(now + DAY),
        timeZone: 'Europe/Paris',
        legalBasis,
        text: {
          en: 'Electoral silence of the second round (test context, in force now).',
          fr: 'Période de réserve du second tour (contexte de test, en vigueur).',
        },
        entries: ['leak'],
      },
    ],
  };
}

/** Extra fingerprints of each bulk list: 300,000 is more than one 2^18-value IndexedDB record. */
const BULK_EXTRA_FINGERPRINTS = 300_000;
const BULK_HASHTAGS = ['BulkDumpAlpha', 'BulkDumpBravo', 'BulkDumpCharlie'];

/** Sorted distinct: `base` plus `count` seeded random values below 2^bits (xorshift32, reproducible). */
function withRandomFingerprints(base: Float64Array, count: number, bits: number, seed: number): Float64Array {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const high = 2 ** Math.max(0, bits - 32);
  const low = 2 ** Math.min(32, bits);
  const values = new Float64Array(base.length + count);
  values.set(base);
  for (let i = base.length; i < values.length; i++) values[i] = (next() % high) * 2 ** 32 + (next() % low);
  values.sort();
  let n = 0;
  for (let i = 0; i < values.length; i++)
    if (i === 0 || values[i] !== values[n - 1]) values[n++] = values[i]!;
  return values.slice(0, n);
}

/**
 * The crash-safety chain: bulk1..3 are v1 plus an entry whose fingerprints are memo 2's (so a quote
 * of it is flagged only when that entry's records are all there) and 300,000 random ones, and whose
 * hashtags grow by one per version. Built with the core, like the expired list: the CLI would need
 * 300,000 fingerprints' worth of documents.
 */
async function makeBulkLists(dir: string, keyFile: string): Promise<Record<string, ListInfo>> {
  const v1 = decodeList(new Uint8Array(fs.readFileSync(path.join(dir, 'v1.unsigned'))));
  const memo2 = decodeList(new Uint8Array(fs.readFileSync(path.join(dir, 'other.unsigned'))));
  if (JSON.stringify(memo2.meta.fingerprint) !== JSON.stringify(v1.meta.fingerprint))
    throw new Error('bulk lists: the memo 2 list was built with other fingerprint parameters than v1');
  const pair = await parsePrivateKeyFile(fs.readFileSync(keyFile, 'utf8'));
  const out: Record<string, ListInfo> = {};
  for (const [i, name] of BULK_LIST_NAMES.entries()) {
    const fingerprints = withRandomFingerprints(
      memo2.fingerprints[0]!,
      BULK_EXTRA_FINGERPRINTS,
      v1.meta.fingerprint.bits,
      0x5eed + i,
    );
    const leak = v1.meta.entries[0]!;
    const bulk = {
      ...leak,
      id: 'bulk-e2e',
      title: { en: `Bulk test dump ${i + 1}`, fr: `Fuite de test en masse ${i + 1}` },
      hashtags: BULK_HASHTAGS.slice(0, i + 1),
      urlPatterns: [],
      fingerprintCount: fingerprints.length,
    };
    const meta = { ...v1.meta, version: 2001 + i, entries: [...v1.meta.entries, bulk] };
    const signed = path.join(dir, `${name}.lwl`);
    const payload = encodeList({ meta, fingerprints: [...v1.fingerprints, fingerprints] });
    fs.writeFileSync(signed, await signList(payload, pair.privateKeyPkcs8, pair.publicKey));
    out[name] = { file: signed, version: meta.version, hashtag: BULK_HASHTAGS[i]! };
  }
  return out;
}

/**
 * Markup in every list string that a warning, the popup or the options page shows (hostile.spec.ts):
 * a careless or compromised publisher's list must be displayed as text, never run.
 */
export const HOSTILE_MARKUP = '<img src=x onerror="window.__leakwatchPwned=1">';

/** The `hostile` list's metadata: the test list's, with markup in each displayed string. */
function hostileMetaInput(now: number) {
  const base = metaInput(now, TEST_LIST_ID);
  const both = (text: string) => ({ en: `${text} ${HOSTILE_MARKUP}`, fr: `${text} ${HOSTILE_MARKUP}` });
  return {
    ...base,
    publisher: { ...base.publisher, name: `Publisher ${HOSTILE_MARKUP}` },
    entries: [
      {
        id: 'leak',
        title: both('Title'),
        summary: both('Summary <script>window.__leakwatchPwned=1</script>'),
        warning: both('Warning <b onmouseover="window.__leakwatchPwned=1">bold</b>'),
        legalNotice: both('Legal notice <a href="javascript:window.__leakwatchPwned=1">link</a>'),
        authority: `Authority ${HOSTILE_MARKUP}`,
        references: [{ title: `Reference ${HOSTILE_MARKUP}`, url: 'https://publisher.example/ref' }],
        mayIncludeForgeries: true,
      },
    ],
    contexts: base.contexts.map((c) => ({ ...c, election: both('Election'), text: both('Context') })),
  };
}

export async function makeFixtures(root: string, dir: string, builds: E2eFixtures['builds']) {
  const now = Date.now();
  const docsA = path.join(dir, 'docs-a');
  const docsB = path.join(dir, 'docs-b');
  fs.mkdirSync(docsA, { recursive: true });
  fs.mkdirSync(docsB, { recursive: true });
  fs.writeFileSync(path.join(docsA, 'memo-0.txt'), MEMOS[0]!);
  fs.writeFileSync(path.join(docsA, 'memo-1.txt'), MEMOS[1]!);
  fs.writeFileSync(path.join(docsB, 'memo-2.txt'), MEMOS[2]!);
  const metaA = path.join(dir, 'meta-a.json');
  const metaB = path.join(dir, 'meta-b.json');
  fs.writeFileSync(metaA, JSON.stringify(metaInput(now, TEST_LIST_ID), null, 2));
  const metaOther = { ...metaInput(now, 'other-e2e'), contexts: [] };
  metaOther.publisher = { ...metaOther.publisher, name: OTHER_PUBLISHER };
  fs.writeFileSync(metaB, JSON.stringify(metaOther, null, 2));
  const metaHostile = path.join(dir, 'meta-hostile.json');
  fs.writeFileSync(metaHostile, JSON.stringify(hostileMetaInput(now), null, 2));

  const keys = path.join(dir, 'keys');
  await cliOk(['keygen', '--out', keys, '--name', 'a']);
  await cliOk(['keygen', '--out', keys, '--name', 'b']);
  const keyA = path.join(keys, 'a.key');
  const keyB = path.join(keys, 'b.key');
  const file = (name: string) => path.join(dir, name);

  /** v1 carries the leak's own hashtag and link pattern; every later list adds one hashtag. */
  const specs: { name: ListName | 'other'; version: number; hashtag: string; key: string }[] = [
    { name: 'v1', version: 1000, hashtag: 'MacronLeaks', key: keyA },
    { name: 'v2', version: 2000, hashtag: 'BlackoutDump', key: keyA },
    { name: 'v0', version: 500, hashtag: 'OldDump', key: keyA },
    { name: 'tampered', version: 3000, hashtag: 'TamperDump', key: keyA },
    { name: 'expired', version: 4000, hashtag: 'ExpiredDump', key: keyA },
    { name: 'wrong-key', version: 5000, hashtag: 'WrongKeyDump', key: keyB },
    { name: 'other', version: 10, hashtag: 'OtherLeaks', key: keyB },
    { name: 'hostile', version: 1500, hashtag: 'MacronLeaks', key: keyA },
  ];
  const lists = {} as Record<ListName, ListInfo>;
  let other: ListInfo | undefined;
  for (const s of specs) {
    const unsigned = file(`${s.name}.unsigned`);
    const signed = file(`${s.name}.lwl`);
    const hashtags = s.name === 'other' ? [s.hashtag] : [...new Set(['MacronLeaks', s.hashtag])];
    await cliOk([
      'build',
      '--docs',
      s.name === 'other' ? docsB : docsA,
      ...hashtags.flatMap((h) => ['--hashtag', h]),
      ...(s.name === 'other' ? [] : ['--url', 'leaks.example.net/dump']),
      '--meta',
      s.name === 'other' ? metaB : s.name === 'hostile' ? metaHostile : metaA,
      '--list-version',
      String(s.version),
      '--out',
      unsigned,
    ]);
    if (s.name === 'expired') {
      // Issued 30 days ago, expired yesterday: exactly what a frozen mirror would keep serving.
      const list = decodeList(new Uint8Array(fs.readFileSync(unsigned)));
      list.meta.issuedAt = new Date(now - 30 * DAY).toISOString();
      list.meta.expiresAt = new Date(now - DAY).toISOString();
      const pair = await parsePrivateKeyFile(fs.readFileSync(s.key, 'utf8'));
      fs.writeFileSync(signed, await signList(encodeList(list), pair.privateKeyPkcs8, pair.publicKey));
    } else {
      await cliOk(['sign', unsigned, '--key', s.key, '--out', signed]);
    }
    if (s.name === 'tampered') {
      // One bit flipped in the middle of the signed payload: framing intact, signature broken.
      const bytes = fs.readFileSync(signed);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0x01;
      fs.writeFileSync(signed, bytes);
    }
    const info = { file: signed, version: s.version, hashtag: s.hashtag };
    if (s.name === 'other') other = info;
    else lists[s.name] = info;
  }

  Object.assign(lists, await makeBulkLists(dir, keyA));

  // The refusals the specs rely on must be the ones intended, not an accident of the fixture.
  const pubA = path.join(keys, 'a.pub');
  const pubB = path.join(keys, 'b.pub');
  const expectRefusal = async (name: ListName, reason: RegExp, extra: string[] = []) => {
    const r = await cli(['verify', lists[name].file, '--pubkey', pubA, ...extra]);
    if (r.code === 0 || !reason.test(r.out))
      throw new Error(`fixture ${name}: expected a refusal matching ${reason}, got: ${r.out}`);
  };
  await cliOk(['verify', lists.v1.file, '--pubkey', pubA]);
  await cliOk(['verify', lists.v2.file, '--pubkey', pubA, '--min-version', '1000']);
  await cliOk(['verify', other!.file, '--pubkey', pubB]);
  await cliOk(['verify', lists.hostile.file, '--pubkey', pubA]);
  await cliOk(['verify', lists.bulk3.file, '--pubkey', pubA, '--min-version', String(lists.bulk2.version)]);
  await expectRefusal('tampered', /signature/i);
  await expectRefusal('expired', /expired/i);
  await expectRefusal('v0', /older|rollback|minimum/i, ['--min-version', '1000']);
  await expectRefusal('wrong-key', /unknown key/i);

  const fixtures: E2eFixtures = {
    builds,
    keyA: { pub: fs.readFileSync(pubA, 'utf8').trim() },
    keyB: { pub: fs.readFileSync(pubB, 'utf8').trim() },
    lists,
    other: other!,
    listId: TEST_LIST_ID,
    publisher: TEST_PUBLISHER,
    otherPublisher: OTHER_PUBLISHER,
    contexts: { active: CONTEXT_ACTIVE, over: CONTEXT_OVER },
    screenshotDir: path.join(root, 'test-results', `screenshots${RUN_SUFFIX}`),
  };
  return fixtures;
}
