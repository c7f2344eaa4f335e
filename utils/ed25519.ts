/**
 * Ed25519 over WebCrypto only, so the same file runs in Node 20 (the admin CLI) and in the extension
 * (Chromium 137+, Firefox 129+). Engines differ in how leniently they decode signatures and keys
 * (OpenSSL, BoringSSL and NSS each have their own verifier), so verifyBytes applies the RFC 8032
 * encoding rules itself before asking the engine; a list must verify the same everywhere.
 */
import { fromBase64Url, ownedCopy, sha256, toBase64Url, toHex, utf8Encode } from './bytes';
import { LeakwatchError } from './errors';

const ALGORITHM = { name: 'Ed25519' } as const;
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const PUBLIC_KEY_PREFIX = 'ed25519:';
const PRIVATE_KEY_FILE_TYPE = 'leakwatch-ed25519-private-key';
// A real key file is about 200 characters; the cap keeps a wrong file (a list, a log) from being parsed.
const MAX_PRIVATE_KEY_FILE_CHARS = 4096;

/** The field prime p = 2^255 - 19. */
const P = (1n << 255n) - 19n;
/** The order of the base point, L = 2^252 + 27742317777372353535851937790883648493. */
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

const PUBLIC_KEY_FORM = `public key is not in the form ${PUBLIC_KEY_PREFIX}<base64url of 32 bytes>`;

export interface Ed25519KeyPair {
  /** The 32 raw bytes of the public key (RFC 8032 encoding). */
  publicKey: Uint8Array;
  /** The private key as PKCS#8 DER, the one private-key format every WebCrypto engine imports. */
  privateKeyPkcs8: Uint8Array;
}

function subtle(): SubtleCrypto {
  return globalThis.crypto.subtle;
}

function littleEndianToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/**
 * The RFC 8032 §5.1.3 decoding rules that can be checked on the bytes alone: y must be below p, and
 * the x sign bit must be clear when x = 0 (only y = 1 and y = p - 1 give x = 0). Points off the curve
 * still need the engine. Wycheproof requires R with y >= p (tc 25-29, 61) and R = (y = 1, sign set)
 * (tc 151) to be rejected; engines that compare R as a recomputed encoding or decode it strictly do so
 * already, but not every decoder in the field is strict, so the rule is enforced here for R and A alike.
 */
function isCanonicalPointEncoding(encoded: Uint8Array): boolean {
  const value = littleEndianToBigInt(encoded);
  const y = value & ((1n << 255n) - 1n);
  const xIsOdd = value >> 255n === 1n;
  if (y >= P) return false;
  if (xIsOdd && (y === 1n || y === P - 1n)) return false;
  return true;
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

async function importPublicKey(publicKey: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey('raw', ownedCopy(publicKey), ALGORITHM, false, ['verify']);
}

async function importPrivateKey(privateKeyPkcs8: Uint8Array): Promise<CryptoKey> {
  try {
    return await subtle().importKey('pkcs8', ownedCopy(privateKeyPkcs8), ALGORITHM, false, ['sign']);
  } catch {
    throw new LeakwatchError('bad-key', 'private key is not an Ed25519 PKCS#8 private key');
  }
}

export async function generateKeyPair(): Promise<Ed25519KeyPair> {
  const pair = await subtle().generateKey(ALGORITHM, true, ['sign', 'verify']);
  const [publicKey, privateKeyPkcs8] = await Promise.all([
    subtle().exportKey('raw', pair.publicKey),
    subtle().exportKey('pkcs8', pair.privateKey),
  ]);
  return { publicKey: new Uint8Array(publicKey), privateKeyPkcs8: new Uint8Array(privateKeyPkcs8) };
}

export async function signBytes(
  privateKeyPkcs8: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!isBytes(privateKeyPkcs8)) throw new LeakwatchError('bad-key', 'private key must be bytes');
  if (!isBytes(data)) throw new LeakwatchError('bad-input', 'data to sign must be bytes');
  const key = await importPrivateKey(privateKeyPkcs8);
  return new Uint8Array(await subtle().sign(ALGORITHM, key, ownedCopy(data)));
}

/**
 * True only for a valid RFC 8032 signature by `publicKey` over `data`; false for everything else,
 * including inputs of the wrong type or length and any engine failure. It never throws, so a caller
 * cannot turn a hostile list into an exception path by accident.
 */
export async function verifyBytes(
  publicKey: Uint8Array,
  signature: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  try {
    if (!isBytes(publicKey) || !isBytes(signature) || !isBytes(data)) return false;
    // Some engines ignore trailing bytes or accept a short signature; Wycheproof tc 30-41 must fail.
    if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
    if (!isCanonicalPointEncoding(publicKey)) return false;
    if (!isCanonicalPointEncoding(signature.subarray(0, 32))) return false;
    // RFC 8032 §5.1.7 requires S < L. Without it S + L verifies like S, so one signature has many
    // encodings (Wycheproof tc 63-66, 85); checked here rather than trusted to every engine.
    if (littleEndianToBigInt(signature.subarray(32)) >= L) return false;
    const key = await importPublicKey(publicKey);
    return (await subtle().verify(ALGORITHM, key, ownedCopy(signature), ownedCopy(data))) === true;
  } catch {
    return false;
  }
}

export function formatPublicKey(publicKey: Uint8Array): string {
  if (!isBytes(publicKey) || publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new LeakwatchError('bad-key', 'public key must be 32 bytes');
  }
  return PUBLIC_KEY_PREFIX + toBase64Url(publicKey);
}

export function parsePublicKey(text: string): Uint8Array {
  if (typeof text !== 'string') throw new LeakwatchError('bad-key', PUBLIC_KEY_FORM);
  const trimmed = text.trim();
  // 43 characters is exactly 32 bytes; checking the shape first keeps the message about the form.
  if (!/^ed25519:[A-Za-z0-9_-]{43}$/.test(trimmed)) throw new LeakwatchError('bad-key', PUBLIC_KEY_FORM);
  let publicKey: Uint8Array;
  try {
    publicKey = fromBase64Url(trimmed.slice(PUBLIC_KEY_PREFIX.length));
  } catch {
    throw new LeakwatchError('bad-key', PUBLIC_KEY_FORM);
  }
  // Such a key could never verify anything, so say so when the key is configured, not at first use.
  if (!isCanonicalPointEncoding(publicKey)) {
    throw new LeakwatchError('bad-key', 'public key is not a canonical Ed25519 point encoding');
  }
  return publicKey;
}

/** A short, stable name for a key: the first 8 bytes of SHA-256 over its 32 raw bytes, in hex. */
export async function keyId(publicKey: Uint8Array): Promise<string> {
  if (!isBytes(publicKey) || publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new LeakwatchError('bad-key', 'public key must be 32 bytes');
  }
  return toHex((await sha256(publicKey)).subarray(0, 8));
}

export function formatPrivateKeyFile(pair: Ed25519KeyPair): string {
  if (!isBytes(pair.privateKeyPkcs8) || pair.privateKeyPkcs8.length === 0) {
    throw new LeakwatchError('bad-key', 'private key must be non-empty PKCS#8 bytes');
  }
  const file = {
    type: PRIVATE_KEY_FILE_TYPE,
    pkcs8: toBase64Url(pair.privateKeyPkcs8),
    publicKey: formatPublicKey(pair.publicKey),
  };
  return `${JSON.stringify(file)}\n`;
}

const PRIVATE_KEY_FILE_FIELDS = ['type', 'pkcs8', 'publicKey'] as const;

/**
 * Async because the only way WebCrypto offers to tie a PKCS#8 key to a public key is to sign a probe
 * and verify it: a file whose halves came from different key pairs would otherwise sign lists that
 * the published key rejects.
 */
export async function parsePrivateKeyFile(text: string): Promise<Ed25519KeyPair> {
  if (typeof text !== 'string') throw new LeakwatchError('bad-key', 'private key file must be text');
  if (text.length > MAX_PRIVATE_KEY_FILE_CHARS) {
    throw new LeakwatchError('bad-key', `private key file is over ${MAX_PRIVATE_KEY_FILE_CHARS} characters`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new LeakwatchError('bad-key', 'private key file is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new LeakwatchError('bad-key', 'private key file is not a JSON object');
  }
  const fields = parsed as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!(PRIVATE_KEY_FILE_FIELDS as readonly string[]).includes(name)) {
      throw new LeakwatchError('bad-key', `private key file has unexpected field ${JSON.stringify(name)}`);
    }
  }
  for (const name of PRIVATE_KEY_FILE_FIELDS) {
    if (typeof fields[name] !== 'string') {
      throw new LeakwatchError('bad-key', `private key file field "${name}" is missing or not a string`);
    }
  }
  const type = fields.type as string;
  const pkcs8 = fields.pkcs8 as string;
  const publicKeyText = fields.publicKey as string;
  if (type !== PRIVATE_KEY_FILE_TYPE) {
    throw new LeakwatchError('bad-key', `private key file field "type" is not "${PRIVATE_KEY_FILE_TYPE}"`);
  }
  let privateKeyPkcs8: Uint8Array;
  try {
    privateKeyPkcs8 = fromBase64Url(pkcs8);
  } catch {
    throw new LeakwatchError('bad-key', 'private key file field "pkcs8" is not base64url');
  }
  let publicKey: Uint8Array;
  try {
    publicKey = parsePublicKey(publicKeyText);
  } catch (err) {
    const reason = err instanceof LeakwatchError ? err.message : PUBLIC_KEY_FORM;
    throw new LeakwatchError('bad-key', `private key file field "publicKey": ${reason}`);
  }
  let probeSignature: Uint8Array;
  const probe = utf8Encode('leakwatch private key file probe');
  try {
    probeSignature = await signBytes(privateKeyPkcs8, probe);
  } catch {
    throw new LeakwatchError(
      'bad-key',
      'private key file field "pkcs8" is not an Ed25519 PKCS#8 private key',
    );
  }
  if (!(await verifyBytes(publicKey, probeSignature, probe))) {
    throw new LeakwatchError(
      'bad-key',
      'private key file fields "pkcs8" and "publicKey" are not the same key pair',
    );
  }
  return { privateKeyPkcs8, publicKey };
}
