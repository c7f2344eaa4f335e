import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyDelta, makeDelta, signDelta } from '../utils/delta';
import { keyId, parsePrivateKeyFile } from '../utils/ed25519';
import { openSignedList, readEnvelope } from '../utils/envelope';
import { describeError, LeakwatchError } from '../utils/errors';
import { decodeListMeta } from '../utils/list-format';

export const PUBLISH_HELP = `Usage: leakwatch publish SIGNED --key KEYFILE --out DIR [--keep N]

Lays out DIR for a static host so that clients download only what changed:
  DIR/list.lwl          the latest list, SIGNED byte for byte: the URL clients subscribe to
  DIR/versions/V.lwl    every version published here, kept as the bases of later deltas
  DIR/deltas/V.lwd      a signed delta from version V to the latest, for the N latest earlier
                        versions; the latest version's own delta tells clients they are current
  --key KEYFILE   the private key that signed SIGNED; it signs the deltas too
  --keep N        earlier versions to write deltas from (default 5); older deltas are removed
A delta that would not be smaller than the full list is not written. Refuses a version that is
not newer than the latest one in DIR, and a list other than the one DIR already publishes.`;

const DEFAULT_KEEP = 5;

function fail(message: string): never {
  throw new LeakwatchError('bad-input', message);
}

function readOrFail(file: string, what: string): Uint8Array {
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(`cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}`);
  }
}

/** A client polling DIR during a publish must never read a half-written file. */
function writeAtomically(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temporary, bytes);
  fs.renameSync(temporary, file);
}

interface Published {
  version: number;
  payload: Uint8Array;
}

/** The lists already published in DIR: versions/*.lwl, plus list.lwl in case it was put there by hand. */
function readPublished(dir: string, listId: string): Published[] {
  const versionsDir = path.join(dir, 'versions');
  const files = fs.existsSync(versionsDir)
    ? fs
        .readdirSync(versionsDir)
        .filter((name) => /^\d+\.lwl$/.test(name))
        .map((name) => path.join(versionsDir, name))
    : [];
  const latestFile = path.join(dir, 'list.lwl');
  if (fs.existsSync(latestFile)) files.push(latestFile);
  const byVersion = new Map<number, Published>();
  for (const file of files) {
    let published: Published & { listId: string };
    try {
      const { payload } = readEnvelope(readOrFail(file, 'published list'));
      const { meta } = decodeListMeta(payload);
      published = { version: meta.version, listId: meta.listId, payload };
    } catch (err) {
      return fail(`${file}: ${describeError(err)}`);
    }
    if (published.listId !== listId)
      fail(`${dir} publishes list ${published.listId}, not ${listId}: use another folder`);
    if (file !== latestFile && path.basename(file) !== `${published.version}.lwl`)
      fail(`${file} holds version ${published.version}`);
    byVersion.set(published.version, published);
  }
  return [...byVersion.values()].sort((a, b) => b.version - a.version);
}

/**
 * A delta re-authenticates its target under the delta's key: the list must already carry a valid
 * signature by that same key, or publish would launder a list nobody signed.
 */
async function openInput(file: string, signed: Uint8Array, publicKey: Uint8Array, id: string) {
  try {
    const signer = readEnvelope(signed).keyId;
    if (signer !== id)
      fail(`signed by key ${signer}, not by --key (key ${id}): sign the deltas with the list's key`);
    return await openSignedList(signed, { trustedKeys: [{ publicKey, keyId: id }], now: Date.now() });
  } catch (err) {
    return fail(`${file}: ${describeError(err)}`);
  }
}

function parseKeep(value: string | undefined): number {
  if (value === undefined) return DEFAULT_KEEP;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
    fail(`--keep must be a non-negative integer, got ${value}`);
  return Number(value);
}

function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)} %`;
}

function parseOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        key: { type: 'string' },
        out: { type: 'string' },
        keep: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    return fail(`${describeError(err)} (see 'leakwatch publish --help')`);
  }
}

export async function publish(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args);
  if (values.help) {
    process.stdout.write(`${PUBLISH_HELP}\n`);
    return 0;
  }
  const signedFile = positionals[0] ?? fail(`missing SIGNED (see 'leakwatch publish --help')`);
  const keyFile = values.key || fail(`missing --key KEYFILE (see 'leakwatch publish --help')`);
  const dir = values.out || fail(`missing --out DIR (see 'leakwatch publish --help')`);
  const keep = parseKeep(values.keep);

  const key = await parsePrivateKeyFile(new TextDecoder().decode(readOrFail(keyFile, 'key file')));
  const id = await keyId(key.publicKey);
  const signed = readOrFail(signedFile, 'signed list');
  const latest = await openInput(signedFile, signed, key.publicKey, id);
  const { listId, version } = latest.list.meta;

  const published = readPublished(dir, listId);
  const newest = published[0];
  if (newest && newest.version >= version)
    fail(`version ${version} is not newer than version ${newest.version}, already published in ${dir}`);

  const deltas: { base: number; bytes: Uint8Array | null }[] = [];
  for (const base of published.slice(0, keep)) {
    const delta = await makeDelta(base.payload, latest.payload);
    await applyDelta(base.payload, delta); // sign only what a client will accept
    const bytes = await signDelta(delta, key.privateKeyPkcs8, key.publicKey);
    deltas.push({ base: base.version, bytes: bytes.length < signed.length ? bytes : null });
  }
  const current = await signDelta(
    await makeDelta(latest.payload, latest.payload),
    key.privateKeyPkcs8,
    key.publicKey,
  );

  // Order matters to clients polling meanwhile and to a re-run after a crash: old versions get their
  // new delta (or lose their stale one) before list.lwl changes, and versions/V.lwl, which makes V
  // "published", comes last.
  const deltasDir = path.join(dir, 'deltas');
  const versionsDir = path.join(dir, 'versions');
  fs.mkdirSync(deltasDir, { recursive: true });
  fs.mkdirSync(versionsDir, { recursive: true });
  const written = new Set([`${version}.lwd`]);
  for (const d of deltas) {
    if (!d.bytes) continue;
    writeAtomically(path.join(deltasDir, `${d.base}.lwd`), d.bytes);
    written.add(`${d.base}.lwd`);
  }
  const stale = fs.readdirSync(deltasDir).filter((name) => name.endsWith('.lwd') && !written.has(name));
  for (const name of stale) fs.rmSync(path.join(deltasDir, name));
  writeAtomically(path.join(dir, 'list.lwl'), signed);
  writeAtomically(path.join(deltasDir, `${version}.lwd`), current);
  writeAtomically(path.join(versionsDir, `${version}.lwl`), signed);

  const lines = [
    `published list ${listId} version ${version} in ${dir}`,
    `  list.lwl: ${signed.length} bytes`,
    ...deltas.map((d) =>
      d.bytes
        ? `  deltas/${d.base}.lwd: ${d.bytes.length} bytes (${percent(d.bytes.length, signed.length)} of the full list)`
        : `  deltas/${d.base}.lwd: not written, it would not be smaller than the full list`,
    ),
    `  deltas/${version}.lwd: ${current.length} bytes (tells clients of version ${version} they are current)`,
  ];
  if (stale.length > 0) lines.push(`  removed ${stale.length} stale deltas: ${stale.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
