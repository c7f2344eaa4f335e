import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { htmlToBlocks, type TextBlock, textToBlocks } from '../utils/blocks';
import { DEFAULT_K, DEFAULT_MIN_WORDS, DEFAULT_THRESHOLD, DEFAULT_W } from '../utils/builder';
import {
  formatPrivateKeyFile,
  formatPublicKey,
  generateKeyPair,
  keyId,
  parsePrivateKeyFile,
} from '../utils/ed25519';
import { openSignedList, readEnvelope, signList, trustedKeysFromText } from '../utils/envelope';
import { describeError } from '../utils/errors';
import { decodeList, encodeList } from '../utils/list-format';
import { compileList, type Finding, scanBlock } from '../utils/matcher';
import { DEFAULT_MAX_JOBS, type DocumentFile, fingerprintDocuments, MAX_JOBS } from './build-worker-pool';
import { walkFiles } from './documents';
import { buildMeta, readMetaInput } from './meta';
import { PUBLISH_HELP, publish } from './publish';

const HELP: Record<string, string> = {
  main: `leakwatch: build, sign, verify and test Leakwatch lists

Usage: leakwatch <command> [options]

Commands:
  keygen   create an Ed25519 signing key pair
  build    build an unsigned list from a folder of leaked documents
  sign     sign a list: the one file a static host serves
  verify   check a signed list (signature, version, expiry)
  scan     test text or HTML files against a signed list
  inspect  print what a signed or unsigned list contains (never the leaked text: it is not in it)
  publish  lay out a signed list and its deltas for a static host

Run 'leakwatch <command> --help' for the options of one command.`,
  keygen: `Usage: leakwatch keygen --out DIR [--name NAME]

Writes DIR/NAME.key (private, mode 0600, never printed) and DIR/NAME.pub (one line, the public
key as given to the extension). Prints the key id. NAME defaults to "leakwatch". Refuses to
overwrite an existing key.`,
  build: `Usage: leakwatch build --docs DIR [--docs DIR2]... [--hashtag TAG]... [--url PATTERN]...
                       [--background DIR]... [--meta FILE.json] --out LIST

Reads documents recursively (.txt, .md, .eml, .html), fingerprints them (winnowed word shingles:
the list never contains their text) and writes an unsigned list.
  --docs DIR          leaked documents (repeatable)
  --hashtag TAG       a hashtag of the leak, with or without '#' (repeatable)
  --url PATTERN       a mirror: host[/path-prefix], e.g. leaks.example.net/dump (repeatable)
  --background DIR    ordinary text: passages also found there are not fingerprinted (repeatable)
  --meta FILE.json    titles, legal texts, publisher, contexts (see README, "List metadata")
  --list-version N    list version (default: the current Unix time in seconds, so it only grows)
  --valid-days N      days until the list expires (default 90)
  --k N --w N         shingle length and winnowing window (defaults ${DEFAULT_K}, ${DEFAULT_W})
  --threshold N       distinct matching fingerprints needed to flag a block (default ${DEFAULT_THRESHOLD})
  --min-words N       ...covering at least N words of the block (default ${DEFAULT_MIN_WORDS})
  --jobs N            threads reading documents: the main thread and N-1 workers (default: one per
                      core, up to ${DEFAULT_MAX_JOBS}); the list is the same whatever N
  --out LIST          where to write the unsigned list`,
  sign: `Usage: leakwatch sign LIST --key KEYFILE --out SIGNED

Signs an unsigned list with a private key from 'leakwatch keygen' and writes ONE file: exactly
what the extension downloads from a static host.`,
  verify: `Usage: leakwatch verify SIGNED --pubkey PUBFILE [--min-version N] [--now ISO-INSTANT]

Exit 0 with a summary when the list is valid; exit 1 with one line naming the reason otherwise
(unknown key, bad signature, truncated, garbled, rollback below --min-version, expired).
--pubkey may be given several times (any of the keys may have signed).`,
  scan: `Usage: leakwatch scan FILE... --list SIGNED --pubkey PUBFILE [--json] [--now ISO-INSTANT]

Scans .txt and .html files ('-' reads stdin as text) the way the extension scans pages, block by
block. With --json, prints one JSON object per input per line:
  {"file": "...", "flagged": true|false, "findings": [{"kind", "entry", "strength"}]}
Exit 0 when the scan ran (flagged or not), 2 on error.`,
  inspect: `Usage: leakwatch inspect LIST [--json]

Prints the metadata and fingerprint counts of a signed or unsigned list, without verifying it.`,
  publish: PUBLISH_HELP,
};

class UsageError extends Error {}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

function parse(
  command: string,
  args: string[],
  options: OptionSpec,
): { values: Record<string, unknown>; positionals: string[] } {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${describeError(err)} (see 'leakwatch ${command} --help')`);
  }
}

function need<T>(value: T | undefined, what: string, command: string): T {
  if (value === undefined || value === '')
    throw new UsageError(`missing ${what} (see 'leakwatch ${command} --help')`);
  return value;
}

function readFileOrFail(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}`,
    );
  }
}

function readPublicKeyText(arg: string): string {
  if (arg.startsWith('ed25519:')) return arg.trim();
  return readFileOrFail(arg, 'public key file').toString('utf8').trim();
}

function parseNow(value: string | undefined): number {
  if (value === undefined) return Date.now();
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw new UsageError(`--now is not an ISO 8601 instant: ${value}`);
  return t;
}

function parseJobs(value: string): number {
  const jobs = parseInteger(value, '--jobs', 1);
  if (jobs < 1 || jobs > MAX_JOBS)
    throw new UsageError(`--jobs must be between 1 and ${MAX_JOBS}, got ${value}`);
  return jobs;
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function parseInteger(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${flag} must be a non-negative integer, got ${value}`);
  }
  return Number(value);
}

async function keygen(args: string[]): Promise<number> {
  const { values } = parse('keygen', args, { out: { type: 'string' }, name: { type: 'string' } });
  if (values.help) return help('keygen');
  const dir = need(values.out as string | undefined, '--out DIR', 'keygen');
  const name = (values.name as string | undefined) ?? 'leakwatch';
  if (!/^[\w.-]+$/.test(name)) throw new UsageError(`--name may only use letters, digits, '.', '_' and '-'`);
  const keyFile = path.join(dir, `${name}.key`);
  const pubFile = path.join(dir, `${name}.pub`);
  for (const f of [keyFile, pubFile])
    if (fs.existsSync(f)) throw new UsageError(`${f} exists: refusing to overwrite a key`);
  fs.mkdirSync(dir, { recursive: true });
  const pair = await generateKeyPair();
  fs.writeFileSync(keyFile, `${formatPrivateKeyFile(pair)}\n`, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(keyFile, 0o600);
  fs.writeFileSync(pubFile, `${formatPublicKey(pair.publicKey)}\n`, { flag: 'wx' });
  const id = await keyId(pair.publicKey);
  process.stderr.write(`wrote ${keyFile} (private, keep it secret) and ${pubFile}\n`);
  process.stdout.write(`${id}\n`);
  return 0;
}

async function build(args: string[]): Promise<number> {
  const { values } = parse('build', args, {
    docs: { type: 'string', multiple: true },
    hashtag: { type: 'string', multiple: true },
    url: { type: 'string', multiple: true },
    background: { type: 'string', multiple: true },
    meta: { type: 'string' },
    out: { type: 'string' },
    'list-version': { type: 'string' },
    'valid-days': { type: 'string' },
    k: { type: 'string' },
    w: { type: 'string' },
    threshold: { type: 'string' },
    'min-words': { type: 'string' },
    jobs: { type: 'string' },
  });
  if (values.help) return help('build');
  const docsDirs = values.docs as string[] | undefined;
  const out = need(values.out as string | undefined, '--out LIST', 'build');
  const metaInput = values.meta ? readMetaInput(values.meta as string) : undefined;
  const docDirs = [...(docsDirs ?? [])];
  if (docDirs.length === 0 && !metaInput?.hasDocs)
    throw new UsageError(`missing --docs DIR (see 'leakwatch build --help')`);
  const k = parseInteger(values.k as string | undefined, '--k', DEFAULT_K);
  const w = parseInteger(values.w as string | undefined, '--w', DEFAULT_W);
  const threshold = parseInteger(values.threshold as string | undefined, '--threshold', DEFAULT_THRESHOLD);
  const minWords = parseInteger(values['min-words'] as string | undefined, '--min-words', DEFAULT_MIN_WORDS);
  const jobs = values.jobs === undefined ? undefined : parseJobs(values.jobs as string);
  const started = Date.now();
  const files: DocumentFile[] = [];
  for (const [dirs, background] of [
    [(values.background as string[] | undefined) ?? [], true],
    [docDirs, false],
  ] as const) {
    for (const dir of dirs) {
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
        throw new UsageError(`not a folder: ${dir}`);
      for (const file of walkFiles(dir)) files.push({ file, bytes: fileSize(file), background });
    }
  }
  const progress = new Progress();
  const read = await fingerprintDocuments(files, {
    k,
    w,
    jobs,
    onProgress: (seen) => progress.tick(seen.documents, seen.bytes),
  });
  const builder = read.builder;
  const { params, fingerprints } = builder.finish(threshold, minWords);
  const meta = buildMeta({
    input: metaInput,
    params,
    fingerprintCount: fingerprints.length,
    hashtags: (values.hashtag as string[] | undefined) ?? [],
    urls: (values.url as string[] | undefined) ?? [],
    version:
      values['list-version'] === undefined
        ? undefined
        : parseInteger(values['list-version'] as string, '--list-version', 1),
    validDays: parseInteger(values['valid-days'] as string | undefined, '--valid-days', 90),
    now: Date.now(),
  });
  const payload = encodeList({
    meta,
    fingerprints: meta.entries.map((_, i) => (i === 0 ? fingerprints : new Float64Array(0))),
  });
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  // Written beside and renamed over: an interrupted build never leaves half a list under the name.
  const partial = `${out}.${process.pid}.partial`;
  fs.writeFileSync(partial, payload);
  fs.renameSync(partial, out);
  progress.done();
  const s = builder.stats;
  const { bytes: bytesRead, skipped } = read;
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(
    `${s.documents} documents (${(bytesRead / 1e6).toFixed(1)} MB, ${s.words} words${skipped ? `, ${skipped} other files skipped` : ''}), ` +
      `${fingerprints.length} fingerprints (${s.droppedBackground} dropped as background, ${s.droppedCommon} as boilerplate), ` +
      `${params.bits}-bit, ${payload.length} bytes, ${seconds.toFixed(1)} s, ${threadSummary(read.documentsByThread)}\n`,
  );
  process.stdout.write(
    `wrote ${out}: list ${meta.listId} version ${meta.version}, ${fingerprints.length} fingerprints, ${payload.length} bytes\n`,
  );
  return 0;
}

function threadSummary(documentsByThread: number[]): string {
  if (documentsByThread.length === 1) return 'one thread';
  return `${documentsByThread.length} threads (${documentsByThread.join(' + ')} documents)`;
}

class Progress {
  private last = Date.now();
  private shown = false;
  tick(documents: number, bytes: number): void {
    const now = Date.now();
    if (now - this.last < 1000 || !process.stderr.isTTY) return;
    this.last = now;
    this.shown = true;
    process.stderr.write(`\r${documents} documents, ${(bytes / 1e6).toFixed(1)} MB read`);
  }
  done(): void {
    if (this.shown) process.stderr.write('\n');
  }
}

async function sign(args: string[]): Promise<number> {
  const { values, positionals } = parse('sign', args, { key: { type: 'string' }, out: { type: 'string' } });
  if (values.help) return help('sign');
  const listFile = need(positionals[0], 'LIST', 'sign');
  const keyFile = need(values.key as string | undefined, '--key KEYFILE', 'sign');
  const out = need(values.out as string | undefined, '--out SIGNED', 'sign');
  const key = await parsePrivateKeyFile(readFileOrFail(keyFile, 'key file').toString('utf8'));
  const payload = new Uint8Array(readFileOrFail(listFile, 'list'));
  const signed = await signList(payload, key.privateKeyPkcs8, key.publicKey);
  fs.writeFileSync(out, signed);
  const { meta } = decodeList(payload);
  process.stdout.write(
    `wrote ${out}: list ${meta.listId} version ${meta.version} signed by key ${await keyId(key.publicKey)}, ${signed.length} bytes\n`,
  );
  return 0;
}

async function openFromArgs(file: string, pubkeys: string[], now: number, minVersion?: number) {
  const trustedKeys = await trustedKeysFromText(pubkeys.map(readPublicKeyText));
  const bytes = new Uint8Array(readFileOrFail(file, 'signed list'));
  return openSignedList(bytes, { trustedKeys, now, minVersion });
}

async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parse('verify', args, {
    pubkey: { type: 'string', multiple: true },
    'min-version': { type: 'string' },
    now: { type: 'string' },
  });
  if (values.help) return help('verify');
  const file = need(positionals[0], 'SIGNED', 'verify');
  const pubkeys = need(values.pubkey as string[] | undefined, '--pubkey PUBFILE', 'verify');
  const minVersion =
    values['min-version'] === undefined
      ? undefined
      : parseInteger(values['min-version'] as string, '--min-version', 0);
  const v = await openFromArgs(file, pubkeys, parseNow(values.now as string | undefined), minVersion);
  const m = v.list.meta;
  const fps = v.list.fingerprints.reduce((s, f) => s + f.length, 0);
  process.stdout.write(
    `valid: list ${m.listId} version ${m.version} by ${m.publisher.name}, signed by key ${v.keyId}, ` +
      `issued ${m.issuedAt}, expires ${m.expiresAt}, ${m.entries.length} entries, ${fps} fingerprints, sha256 ${v.digest}\n`,
  );
  return 0;
}

function blocksOf(file: string, content: string): TextBlock[] {
  return /\.html?$/i.test(file) ? htmlToBlocks(content) : textToBlocks(content);
}

/** One finding per (kind, entry) for a file: the strongest block's. */
function summarise(
  findings: Finding[],
): { kind: string; entry: string; list: string; strength: Finding['strength'] }[] {
  const best = new Map<string, Finding>();
  for (const f of findings) {
    const key = `${f.listId}\u0000${f.kind}\u0000${f.entry}`;
    const seen = best.get(key);
    if (!seen || f.strength.matched > seen.strength.matched) best.set(key, f);
  }
  return [...best.values()].map((f) => ({
    kind: f.kind,
    entry: f.entry,
    list: f.listId,
    strength: f.strength,
  }));
}

async function scan(args: string[]): Promise<number> {
  const { values, positionals } = parse('scan', args, {
    list: { type: 'string' },
    pubkey: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    now: { type: 'string' },
  });
  if (values.help) return help('scan');
  if (positionals.length === 0) throw new UsageError(`missing FILE (see 'leakwatch scan --help')`);
  const listFile = need(values.list as string | undefined, '--list SIGNED', 'scan');
  const pubkeys = need(values.pubkey as string[] | undefined, '--pubkey PUBFILE', 'scan');
  const verified = await openFromArgs(listFile, pubkeys, parseNow(values.now as string | undefined));
  const lists = [compileList(verified.list)];
  let stdin: string | undefined;
  for (const file of positionals) {
    let content: string;
    if (file === '-') {
      stdin ??= fs.readFileSync(0, 'utf8');
      content = stdin;
    } else {
      content = readFileOrFail(file, 'file').toString('utf8');
    }
    const blocks = blocksOf(file, content);
    const findings = blocks.flatMap((b) => scanBlock(lists, b.text, b.links));
    const flaggedBlocks = blocks.filter((b) => scanBlock(lists, b.text, b.links).length > 0).length;
    const summary = summarise(findings);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ file, flagged: summary.length > 0, blocks: blocks.length, flaggedBlocks, findings: summary })}\n`,
      );
    } else if (summary.length === 0) {
      process.stdout.write(`${file}: clean (${blocks.length} blocks)\n`);
    } else {
      const why = summary
        .map((f) => `${f.entry} by ${f.kind} (${f.strength.matched}/${f.strength.total})`)
        .join('; ');
      process.stdout.write(`${file}: FLAGGED ${flaggedBlocks} of ${blocks.length} blocks: ${why}\n`);
    }
  }
  return 0;
}

async function inspect(args: string[]): Promise<number> {
  const { values, positionals } = parse('inspect', args, { json: { type: 'boolean' } });
  if (values.help) return help('inspect');
  const file = need(positionals[0], 'LIST', 'inspect');
  const bytes = new Uint8Array(readFileOrFail(file, 'list'));
  let signedBy: string | null = null;
  let payload: Uint8Array = bytes;
  if (new TextDecoder().decode(bytes.subarray(0, 4)) === 'LWS1') {
    const parts = readEnvelope(bytes);
    signedBy = parts.keyId;
    payload = parts.payload;
  }
  const { meta, fingerprints } = decodeList(payload);
  const summary = {
    signedBy,
    bytes: bytes.length,
    ...meta,
    entries: meta.entries.map((e, i) => ({ ...e, fingerprints: fingerprints[i]!.length })),
  };
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      `list ${meta.listId} version ${meta.version} by ${meta.publisher.name}${signedBy ? `, signed by key ${signedBy}` : ', unsigned'}\n` +
        `issued ${meta.issuedAt}, expires ${meta.expiresAt}; k=${meta.fingerprint.k} w=${meta.fingerprint.w} bits=${meta.fingerprint.bits} threshold=${meta.fingerprint.threshold}\n` +
        meta.entries
          .map(
            (e, i) =>
              `entry ${e.id}: ${e.title.en}; ${e.hashtags.length} hashtags, ${e.urlPatterns.length} link patterns, ${fingerprints[i]!.length} fingerprints`,
          )
          .join('\n') +
        `\n${meta.contexts.map((c) => `context ${c.id}: ${c.election.en}, ${c.start} to ${c.end}`).join('\n')}\n`,
    );
  }
  return 0;
}

function help(command: string): number {
  process.stdout.write(`${HELP[command]}\n`);
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  keygen,
  build,
  sign,
  verify,
  scan,
  inspect,
  publish,
};

/** Exit codes: 0 success; 1 verification refused the list (or could not run); 2 usage or input error. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') return help('main');
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`leakwatch: unknown command '${command}' (see 'leakwatch --help')\n`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (err) {
    process.stderr.write(`leakwatch ${command}: ${describeError(err)}\n`);
    return command === 'verify' ? 1 : 2;
  }
}
