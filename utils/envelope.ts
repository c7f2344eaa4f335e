import { fromHex, sha256, toHex } from './bytes';
import { keyId, parsePublicKey, signBytes, verifyBytes } from './ed25519';
import { LeakwatchError } from './errors';
import { decodeList } from './list-format';
import type { DecodedList, ListMeta } from './list-schema';
import { NORMALISER_VERSION } from './normalise';

/**
 * The signed list: ONE file, exactly what a static host serves and the extension downloads.
 *
 *   magic   "LWS1"                     4 bytes
 *   u8      key id length (8)
 *   key id  first 8 bytes of SHA-256 of the signer's raw Ed25519 public key
 *   u32     payload length             big-endian
 *   payload the unsigned list (list-format.ts), byte for byte
 *   sig     Ed25519 signature          64 bytes, over every byte before it
 *
 * The signature covers the header too, and the file must end right after it: there is no byte
 * whose change would go unnoticed.
 */

export const ENVELOPE_MAGIC = 'LWS1';
const MAGIC_BYTES = new TextEncoder().encode(ENVELOPE_MAGIC);
const KEY_ID_BYTES = 8;
const HEADER_BYTES = 4 + 1 + KEY_ID_BYTES + 4;
const SIGNATURE_BYTES = 64;
export const DEFAULT_MAX_LIST_BYTES = 64 * 1024 * 1024;
/** Clocks disagree; a list issued a little in "the future" is still accepted. */
const CLOCK_SKEW_MS = 24 * 3600 * 1000;

export interface TrustedKey {
  publicKey: Uint8Array;
  keyId: string;
}

export async function trustedKeysFromText(texts: readonly string[]): Promise<TrustedKey[]> {
  return Promise.all(
    texts.map(async (text) => {
      const publicKey = parsePublicKey(text);
      return { publicKey, keyId: await keyId(publicKey) };
    }),
  );
}

export async function signList(
  payload: Uint8Array,
  privateKeyPkcs8: Uint8Array,
  publicKey: Uint8Array,
): Promise<Uint8Array> {
  decodeList(payload); // never sign something the extension would refuse
  return sealPayload(payload, privateKeyPkcs8, publicKey);
}

/**
 * Frames and signs any payload. Lists and deltas share this envelope: the payload's own magic
 * ("LWL1", "LWD1") is signed with it, so one can never be opened as the other.
 */
export async function sealPayload(
  payload: Uint8Array,
  privateKeyPkcs8: Uint8Array,
  publicKey: Uint8Array,
): Promise<Uint8Array> {
  const id = fromHex(await keyId(publicKey));
  const signed = new Uint8Array(HEADER_BYTES + payload.length + SIGNATURE_BYTES);
  signed.set(MAGIC_BYTES, 0);
  signed[4] = KEY_ID_BYTES;
  signed.set(id, 5);
  new DataView(signed.buffer).setUint32(5 + KEY_ID_BYTES, payload.length);
  signed.set(payload, HEADER_BYTES);
  const signedPart = signed.subarray(0, HEADER_BYTES + payload.length);
  signed.set(await signBytes(privateKeyPkcs8, signedPart), HEADER_BYTES + payload.length);
  return signed;
}

export interface EnvelopeParts {
  keyId: string;
  payload: Uint8Array;
  signedPart: Uint8Array;
  signature: Uint8Array;
}

/** Splits a signed file into its parts, checking only its framing. */
export function readEnvelope(bytes: Uint8Array, maxBytes = DEFAULT_MAX_LIST_BYTES): EnvelopeParts {
  if (bytes.length > maxBytes) {
    throw new LeakwatchError('too-large', `list is ${bytes.length} bytes, over the ${maxBytes}-byte limit`);
  }
  if (bytes.length === 0) throw new LeakwatchError('truncated', 'list file is empty');
  for (let i = 0; i < MAGIC_BYTES.length; i++) {
    if (i >= bytes.length) throw new LeakwatchError('truncated', 'list is truncated (incomplete header)');
    if (bytes[i] !== MAGIC_BYTES[i])
      throw new LeakwatchError('garbled', 'not a Leakwatch signed list (bad magic bytes)');
  }
  if (bytes.length < HEADER_BYTES)
    throw new LeakwatchError('truncated', 'list is truncated (incomplete header)');
  if (bytes[4] !== KEY_ID_BYTES)
    throw new LeakwatchError('garbled', 'signed list header is garbled (key id length)');
  const payloadLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(
    5 + KEY_ID_BYTES,
  );
  const expected = HEADER_BYTES + payloadLength + SIGNATURE_BYTES;
  if (bytes.length < expected) {
    throw new LeakwatchError('truncated', `list is truncated: ${bytes.length} of ${expected} bytes`);
  }
  if (bytes.length > expected) {
    throw new LeakwatchError(
      'garbled',
      `list has ${bytes.length - expected} unexpected bytes after its signature`,
    );
  }
  return {
    keyId: toHex(bytes.subarray(5, 5 + KEY_ID_BYTES)),
    payload: bytes.subarray(HEADER_BYTES, HEADER_BYTES + payloadLength),
    signedPart: bytes.subarray(0, HEADER_BYTES + payloadLength),
    signature: bytes.subarray(HEADER_BYTES + payloadLength),
  };
}

export interface OpenOptions {
  trustedKeys: readonly TrustedKey[];
  /** Milliseconds since the epoch. */
  now: number;
  /** Versions below this are refused as a rollback. */
  minVersion?: number;
  maxBytes?: number;
}

export interface VerifiedList {
  list: DecodedList;
  keyId: string;
  /** SHA-256 of the payload, hex: names this exact list state. */
  digest: string;
  payload: Uint8Array;
}

/**
 * Verifies a signed list and decodes it. Checks run cheapest first and the signature before any
 * parsing of signed content, so a hostile file costs one signature check at most.
 */
export async function openSignedList(bytes: Uint8Array, options: OpenOptions): Promise<VerifiedList> {
  const parts = await openEnvelope(bytes, options.trustedKeys, options.maxBytes);
  const list = decodeList(parts.payload);
  checkListValidity(list.meta, options);
  return { list, keyId: parts.keyId, digest: toHex(await sha256(parts.payload)), payload: parts.payload };
}

/** Framing, key and signature: the payload is then authentic but not yet parsed. */
export async function openEnvelope(
  bytes: Uint8Array,
  trustedKeys: readonly TrustedKey[],
  maxBytes = DEFAULT_MAX_LIST_BYTES,
): Promise<EnvelopeParts> {
  const parts = readEnvelope(bytes, maxBytes);
  const key = trustedKeys.find((k) => k.keyId === parts.keyId);
  if (!key) throw new LeakwatchError('unknown-key', `list is signed by unknown key ${parts.keyId}`);
  if (!(await verifyBytes(key.publicKey, parts.signature, parts.signedPart))) {
    throw new LeakwatchError(
      'bad-signature',
      `bad signature: the list was altered or not signed by key ${parts.keyId}`,
    );
  }
  return parts;
}

/**
 * What an authentic list must also satisfy to be used; shared with lists rebuilt from a delta,
 * which must pass exactly the checks of a downloaded full list.
 */
export function checkListValidity(meta: ListMeta, options: { now: number; minVersion?: number }): void {
  if (meta.normaliserVersion !== NORMALISER_VERSION) {
    throw new LeakwatchError(
      'normaliser-mismatch',
      `list needs text normaliser version ${meta.normaliserVersion}, this build has version ${NORMALISER_VERSION}`,
    );
  }
  if (options.minVersion !== undefined && meta.version < options.minVersion) {
    throw new LeakwatchError(
      'rollback',
      `list version ${meta.version} is older than the minimum ${options.minVersion}`,
    );
  }
  if (Date.parse(meta.issuedAt) > options.now + CLOCK_SKEW_MS) {
    throw new LeakwatchError('not-yet-valid', `list is issued in the future (${meta.issuedAt})`);
  }
  if (Date.parse(meta.expiresAt) <= options.now) {
    throw new LeakwatchError('expired', `list expired at ${meta.expiresAt}`);
  }
}
