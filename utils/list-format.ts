import { canonicalJson } from './canonical-json';
import { LeakwatchError } from './errors';
import {
  checkJsonBounds,
  type DecodedList,
  describeSchemaError,
  type ListMeta,
  listMetaSchema,
} from './list-schema';
import { riceDecode, riceEncode, riceParameter } from './rice';

/**
 * The unsigned list ("payload"): what `leakwatch build` writes and what the signature covers.
 *
 *   magic  "LWL1"                      4 bytes
 *   u32    length of the metadata      big-endian
 *   meta   canonical JSON, UTF-8       (list-schema.ts)
 *   for each entry, in meta.entries order:
 *     u32  fingerprint count           must equal entry.fingerprintCount
 *     u8   Rice parameter              must be riceParameter(fingerprints)
 *     u32  section length in bytes
 *     ...  Rice-coded sorted fingerprints (rice.ts)
 *
 * Nothing may follow the last section. Encoding is deterministic, so the SHA-256 of a payload
 * identifies a list state: a delta can name its base and its result by digest.
 */

export const PAYLOAD_MAGIC = 'LWL1';
const MAGIC_BYTES = new TextEncoder().encode(PAYLOAD_MAGIC);

export function encodeList(list: DecodedList): Uint8Array {
  const checked = listMetaSchema().safeParse(list.meta);
  if (!checked.success)
    throw new LeakwatchError('schema', `invalid list: ${describeSchemaError(checked.error)}`);
  const meta = checked.data;
  if (list.fingerprints.length !== meta.entries.length) {
    throw new LeakwatchError('bad-input', 'one fingerprint set is needed per entry');
  }
  const metaBytes = new TextEncoder().encode(canonicalJson(meta));
  const firstSectionAt = 8 + metaBytes.length;
  const sections = list.fingerprints.map((fps, i) => {
    assertSortedDistinct(fps, meta.fingerprint.bits);
    if (meta.entries[i]!.fingerprintCount !== fps.length) {
      throw new LeakwatchError('bad-input', `entry ${meta.entries[i]!.id}: fingerprintCount does not match`);
    }
    const param = riceParameter(fps);
    return { count: fps.length, param, bytes: riceEncode(fps, param, i === 0 ? firstSectionAt + 9 : 0) };
  });
  const size = 8 + metaBytes.length + sections.reduce((s, x) => s + 9 + x.bytes.length, 0);
  // A list of one entry (leak-scale ones are) is encoded where the payload will hold it, behind
  // room for the header: copying tens of megabytes into new memory cost more than the encoding.
  const inPlace = sections.length === 1;
  const out = inPlace ? new Uint8Array(sections[0]!.bytes.buffer, 0, size) : new Uint8Array(size);
  const view = new DataView(out.buffer, 0, size);
  out.set(MAGIC_BYTES, 0);
  view.setUint32(4, metaBytes.length);
  out.set(metaBytes, 8);
  let at = 8 + metaBytes.length;
  for (const s of sections) {
    view.setUint32(at, s.count);
    view.setUint8(at + 4, s.param);
    view.setUint32(at + 5, s.bytes.length);
    if (!inPlace) out.set(s.bytes, at + 9);
    at += 9 + s.bytes.length;
  }
  return out;
}

function assertSortedDistinct(fps: Float64Array, bits: number): void {
  const limit = 2 ** bits;
  let previous = -1;
  for (let i = 0; i < fps.length; i++) {
    const v = fps[i]!;
    // v > previous >= -1 and v < limit <= 2^53, so v is an integer exactly when it equals its floor.
    if (!(v > previous && v < limit && Math.floor(v) === v)) {
      throw new LeakwatchError('bad-input', 'fingerprints must be sorted distinct integers below 2^bits');
    }
    previous = v;
  }
}

export function decodeListMeta(payload: Uint8Array): { meta: ListMeta; sectionsAt: number } {
  if (payload.length < 8) throw new LeakwatchError('truncated', 'list is truncated (no header)');
  for (let i = 0; i < 4; i++) {
    if (payload[i] !== MAGIC_BYTES[i])
      throw new LeakwatchError('garbled', 'not a Leakwatch list (bad magic bytes)');
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const metaLength = view.getUint32(4);
  if (8 + metaLength > payload.length)
    throw new LeakwatchError('truncated', 'list is truncated inside its metadata');
  checkJsonBounds(payload.subarray(8, 8 + metaLength), 'list metadata');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
      payload.subarray(8, 8 + metaLength),
    );
  } catch {
    throw new LeakwatchError('garbled', 'list metadata is not valid UTF-8');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new LeakwatchError('garbled', 'list metadata is not valid JSON');
  }
  if (canonicalJson(raw) !== text)
    throw new LeakwatchError('garbled', 'list metadata is not in canonical form');
  const parsed = listMetaSchema().safeParse(raw);
  if (!parsed.success)
    throw new LeakwatchError('schema', `invalid list: ${describeSchemaError(parsed.error)}`);
  return { meta: parsed.data, sectionsAt: 8 + metaLength };
}

export function decodeList(payload: Uint8Array): DecodedList {
  const { meta, sectionsAt } = decodeListMeta(payload);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const limit = 2 ** meta.fingerprint.bits;
  let at = sectionsAt;
  const fingerprints = meta.entries.map((entry) => {
    if (at + 9 > payload.length)
      throw new LeakwatchError('truncated', `list is truncated before entry ${entry.id}`);
    const count = view.getUint32(at);
    const param = view.getUint8(at + 4);
    const length = view.getUint32(at + 5);
    at += 9;
    if (count !== entry.fingerprintCount) {
      throw new LeakwatchError('garbled', `entry ${entry.id}: fingerprint count does not match its metadata`);
    }
    if (at + length > payload.length)
      throw new LeakwatchError('truncated', `list is truncated inside entry ${entry.id}`);
    const values = riceDecode(payload.subarray(at, at + length), count, param, limit);
    if (param !== riceParameter(values))
      throw new LeakwatchError('garbled', `entry ${entry.id}: non-canonical coding`);
    at += length;
    return values;
  });
  if (at !== payload.length)
    throw new LeakwatchError('garbled', `${payload.length - at} unexpected bytes after the list`);
  return { meta, fingerprints };
}
