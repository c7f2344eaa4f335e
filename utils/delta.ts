import * as z from 'zod/mini';
import { bytesEqual, concatBytes, sha256, toHex, utf8Decode, utf8Encode } from './bytes';
import { canonicalJson } from './canonical-json';
import {
  checkListValidity,
  DEFAULT_MAX_LIST_BYTES,
  openEnvelope,
  sealPayload,
  type TrustedKey,
  type VerifiedList,
} from './envelope';
import { LeakwatchError } from './errors';
import { decodeList, decodeListMeta, encodeList, PAYLOAD_MAGIC } from './list-format';
import {
  checkJsonBounds,
  type DecodedList,
  describeSchemaError,
  identifier,
  integer,
  lazySchema,
} from './list-schema';
import { riceDecode, riceEncode, riceParameter } from './rice';

/**
 * A delta turns one exact list payload (the base) into another (the target) of the same list:
 *
 *   magic  "LWD1"                      4 bytes
 *   u32    header length
 *   header canonical JSON {format: "leakwatch-delta", formatVersion: 1, listId, baseVersion,
 *          baseDigest, targetVersion, targetDigest} (digests: hex SHA-256 of the payloads)
 *   u32    target metadata length, 0 when the target's metadata bytes are the base's
 *   ...    the target's metadata, byte for byte as in the target payload
 *   for each target entry, in metadata order:
 *     u32  index of the base entry with the same id, 0xFFFFFFFF when the base has none
 *     set  removed: positions in that base entry's sorted fingerprints
 *     set  added: fingerprints the base entry does not have
 *   where a set is: u32 count | u8 Rice parameter | u32 byte length | Rice-coded sorted values,
 *   coded canonically exactly like a list section (list-format.ts).
 *
 * Removals are positions rather than values: they cost log2(n / removed) bits each instead of
 * about `bits - log2(removed)`. A delta is unique for its (base, target) pair: base index, minimal
 * sets, metadata elision and coding are all forced, and the decoder refuses any other spelling.
 * The client rebuilds the target with encodeList and trusts it only when its SHA-256 is the signed
 * targetDigest, so a delta can never produce a list its publisher did not sign the digest of.
 *
 * A delta whose target is its base (same version, same digest) is allowed: `leakwatch publish`
 * serves one for the latest version, so that an up-to-date client learns it is current from a
 * small signed file instead of the full list's validators, which a delta update leaves stale.
 */

export const DELTA_MAGIC = 'LWD1';
const MAGIC_BYTES = utf8Encode(DELTA_MAGIC);
const LIST_MAGIC_BYTES = utf8Encode(PAYLOAD_MAGIC);
const NEW_ENTRY = 0xffffffff;

const digestText = () => z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256'));
const versionNumber = () => integer(1);

export const deltaHeaderSchema = lazySchema(() =>
  z
    .strictObject({
      format: z.literal('leakwatch-delta'),
      formatVersion: z.literal(1),
      listId: identifier(),
      baseVersion: versionNumber(),
      baseDigest: digestText(),
      targetVersion: versionNumber(),
      targetDigest: digestText(),
    })
    .check(
      z.refine(
        (h) =>
          h.targetVersion === h.baseVersion
            ? h.targetDigest === h.baseDigest
            : h.targetVersion > h.baseVersion && h.targetDigest !== h.baseDigest,
        { message: 'the target must be newer than the base, or be the base itself', path: ['targetVersion'] },
      ),
    ),
);

export type DeltaHeader = z.infer<ReturnType<typeof deltaHeaderSchema>>;

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

function encodeSet(values: Float64Array): Uint8Array {
  const param = riceParameter(values);
  const bytes = riceEncode(values, param);
  return concatBytes(u32(values.length), Uint8Array.of(param), u32(bytes.length), bytes);
}

/** The metadata bytes of a payload that decodeList has already accepted. */
function metaBytesOf(payload: Uint8Array): Uint8Array {
  const length = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(4);
  return payload.subarray(8, 8 + length);
}

async function hexDigest(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256(bytes));
}

/** Both inputs sorted and distinct: what the base lacks, and where the base's lost values sit. */
function diffSets(base: Float64Array, target: Float64Array): { removed: Float64Array; added: Float64Array } {
  const removed: number[] = [];
  const added: number[] = [];
  let i = 0;
  let j = 0;
  while (i < base.length || j < target.length) {
    if (j >= target.length || (i < base.length && base[i]! < target[j]!)) removed.push(i++);
    else if (i >= base.length || target[j]! < base[i]!) added.push(target[j++]!);
    else {
      i++;
      j++;
    }
  }
  return { removed: Float64Array.from(removed), added: Float64Array.from(added) };
}

/** The delta payload from `basePayload` to `targetPayload`: both must be valid lists with one listId. */
export async function makeDelta(basePayload: Uint8Array, targetPayload: Uint8Array): Promise<Uint8Array> {
  const base = decodeList(basePayload);
  const target = decodeList(targetPayload);
  if (base.meta.listId !== target.meta.listId) {
    throw new LeakwatchError(
      'bad-input',
      `cannot make a delta between two lists (${base.meta.listId}, ${target.meta.listId})`,
    );
  }
  const checked = deltaHeaderSchema().safeParse({
    format: 'leakwatch-delta',
    formatVersion: 1,
    listId: target.meta.listId,
    baseVersion: base.meta.version,
    baseDigest: await hexDigest(basePayload),
    targetVersion: target.meta.version,
    targetDigest: await hexDigest(targetPayload),
  });
  if (!checked.success) {
    throw new LeakwatchError(
      'bad-input',
      `cannot make a delta from version ${base.meta.version} to version ${target.meta.version}: ${describeSchemaError(checked.error)}`,
    );
  }
  const header = utf8Encode(canonicalJson(checked.data));
  const baseMeta = metaBytesOf(basePayload);
  const targetMeta = metaBytesOf(targetPayload);
  const meta = bytesEqual(baseMeta, targetMeta) ? new Uint8Array(0) : targetMeta;
  const baseIndex = new Map(base.meta.entries.map((e, i) => [e.id, i]));
  const entries = target.meta.entries.map((entry, j) => {
    const from = baseIndex.get(entry.id);
    const { removed, added } = diffSets(
      from === undefined ? new Float64Array(0) : base.fingerprints[from]!,
      target.fingerprints[j]!,
    );
    return concatBytes(u32(from ?? NEW_ENTRY), encodeSet(removed), encodeSet(added));
  });
  return concatBytes(MAGIC_BYTES, u32(header.length), header, u32(meta.length), meta, ...entries);
}

/** Sequential strict reads: running past the end is "truncated", never a silent zero. */
class Reader {
  at = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number, where: string): void {
    if (this.at + n > this.bytes.length) throw new LeakwatchError('truncated', `delta is truncated ${where}`);
  }
  u8(where: string): number {
    this.need(1, where);
    return this.view.getUint8(this.at++);
  }
  u32(where: string): number {
    this.need(4, where);
    const value = this.view.getUint32(this.at);
    this.at += 4;
    return value;
  }
  take(n: number, where: string): Uint8Array {
    this.need(n, where);
    this.at += n;
    return this.bytes.subarray(this.at - n, this.at);
  }
  end(): void {
    const extra = this.bytes.length - this.at;
    if (extra !== 0) throw new LeakwatchError('garbled', `${extra} unexpected bytes after the delta`);
  }
}

function readSet(reader: Reader, limit: number, where: string): Float64Array {
  const count = reader.u32(where);
  const param = reader.u8(where);
  const bytes = reader.take(reader.u32(where), where);
  // Every value costs at least one bit: refuse an absurd count before allocating room for it.
  if (count > bytes.length * 8) throw new LeakwatchError('garbled', `delta is garbled ${where}`);
  const values = riceDecode(bytes, count, param, limit);
  if (param !== riceParameter(values))
    throw new LeakwatchError('garbled', `delta has a non-canonical coding ${where}`);
  return values;
}

/** Header and framing only; what a client can check before it touches its stored list. */
function readDeltaHeader(payload: Uint8Array): { header: DeltaHeader; reader: Reader } {
  const reader = new Reader(payload);
  const magic = reader.take(4, 'in its header');
  if (!bytesEqual(magic, MAGIC_BYTES))
    throw new LeakwatchError('garbled', 'not a Leakwatch delta (bad magic bytes)');
  const headerBytes = reader.take(reader.u32('in its header'), 'in its header');
  checkJsonBounds(headerBytes, 'delta header');
  const text = utf8Decode(headerBytes, 'delta header');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new LeakwatchError('garbled', 'delta header is not valid JSON');
  }
  if (canonicalJson(raw) !== text)
    throw new LeakwatchError('garbled', 'delta header is not in canonical form');
  const parsed = deltaHeaderSchema().safeParse(raw);
  if (!parsed.success)
    throw new LeakwatchError('garbled', `delta header is invalid: ${describeSchemaError(parsed.error)}`);
  return { header: parsed.data, reader };
}

/**
 * Base minus the removed positions plus the added values. An added value the base already holds
 * (kept or removed) would make a second spelling of the same change, so it is refused.
 */
function patchSet(base: Float64Array, removed: Float64Array, added: Float64Array, id: string): Float64Array {
  const out = new Float64Array(base.length - removed.length + added.length);
  let n = 0;
  let r = 0;
  let a = 0;
  for (let p = 0; p < base.length; p++) {
    const value = base[p]!;
    while (a < added.length && added[a]! < value) out[n++] = added[a++]!;
    if (a < added.length && added[a] === value)
      throw new LeakwatchError('garbled', `delta entry ${id}: adds a fingerprint the base already has`);
    if (r < removed.length && removed[r] === p) r++;
    else out[n++] = value;
  }
  while (a < added.length) out[n++] = added[a++]!;
  return out;
}

interface Patched {
  list: DecodedList;
  payload: Uint8Array;
  digest: string;
}

async function patch(basePayload: Uint8Array, deltaPayload: Uint8Array): Promise<Patched> {
  const { header, reader } = readDeltaHeader(deltaPayload);
  if ((await hexDigest(basePayload)) !== header.baseDigest) {
    throw new LeakwatchError(
      'bad-input',
      `delta is for another base list (${header.listId} version ${header.baseVersion}, sha256 ${header.baseDigest.slice(0, 16)}...)`,
    );
  }
  const base = decodeList(basePayload);
  if (base.meta.listId !== header.listId || base.meta.version !== header.baseVersion)
    throw new LeakwatchError('garbled', 'delta header does not describe its base list');
  const metaLength = reader.u32('before its metadata');
  const baseMeta = metaBytesOf(basePayload);
  const metaBytes = metaLength === 0 ? baseMeta : reader.take(metaLength, 'inside its metadata');
  if (metaLength !== 0 && bytesEqual(metaBytes, baseMeta))
    throw new LeakwatchError('garbled', 'delta repeats the base metadata instead of referring to it');
  const { meta } = decodeListMeta(concatBytes(LIST_MAGIC_BYTES, u32(metaBytes.length), metaBytes));
  if (meta.listId !== header.listId || meta.version !== header.targetVersion)
    throw new LeakwatchError('garbled', 'delta metadata does not match its header');
  const baseIndex = new Map(base.meta.entries.map((e, i) => [e.id, i]));
  const fingerprints = meta.entries.map((entry) => {
    const where = `in entry ${entry.id}`;
    const from = baseIndex.get(entry.id);
    if (reader.u32(where) !== (from ?? NEW_ENTRY))
      throw new LeakwatchError('garbled', `delta entry ${entry.id}: wrong base entry`);
    const baseSet = from === undefined ? new Float64Array(0) : base.fingerprints[from]!;
    const removed = readSet(reader, baseSet.length, where);
    const added = readSet(reader, 2 ** meta.fingerprint.bits, where);
    return patchSet(baseSet, removed, added, entry.id);
  });
  reader.end();
  const list = { meta, fingerprints };
  let payload: Uint8Array;
  try {
    payload = encodeList(list);
  } catch (err) {
    if (!(err instanceof LeakwatchError)) throw err;
    throw new LeakwatchError('garbled', `delta result is not a valid list: ${err.message}`);
  }
  const digest = await hexDigest(payload);
  if (digest !== header.targetDigest)
    throw new LeakwatchError('garbled', 'delta result does not match its target digest');
  return { list, payload, digest };
}

/** The target payload, re-encoded; throws unless the base is the delta's exact base and the result its exact target. */
export async function applyDelta(basePayload: Uint8Array, deltaPayload: Uint8Array): Promise<Uint8Array> {
  return (await patch(basePayload, deltaPayload)).payload;
}

/**
 * Signs a delta in the list envelope. Only the header is checked here, since the rest needs the
 * base: `leakwatch publish` applies every delta to its base before signing it.
 */
export async function signDelta(
  deltaPayload: Uint8Array,
  privateKeyPkcs8: Uint8Array,
  publicKey: Uint8Array,
): Promise<Uint8Array> {
  readDeltaHeader(deltaPayload);
  return sealPayload(deltaPayload, privateKeyPkcs8, publicKey);
}

export interface OpenedDelta {
  keyId: string;
  header: DeltaHeader;
  payload: Uint8Array;
}

/** Checks framing, signer and signature, then parses the header: enough to decide whether it applies. */
export async function openSignedDelta(
  bytes: Uint8Array,
  options: { trustedKeys: readonly TrustedKey[]; maxBytes?: number },
): Promise<OpenedDelta> {
  const parts = await openEnvelope(bytes, options.trustedKeys, options.maxBytes ?? DEFAULT_MAX_LIST_BYTES);
  return { keyId: parts.keyId, header: readDeltaHeader(parts.payload).header, payload: parts.payload };
}

/**
 * Rebuilds the target of an opened delta on `basePayload` and holds it to every check a downloaded
 * full list must pass. The result carries no signature of its own: it is authentic because its
 * digest is the one the delta's signer signed.
 */
export async function applySignedDelta(
  basePayload: Uint8Array,
  delta: OpenedDelta,
  options: { now: number; minVersion?: number },
): Promise<VerifiedList> {
  const { list, payload, digest } = await patch(basePayload, delta.payload);
  checkListValidity(list.meta, options);
  return { list, keyId: delta.keyId, digest, payload };
}
