/**
 * Byte helpers that run unchanged in Node 20 and in the extension: plain Uint8Array, WebCrypto via
 * globalThis.crypto, no Buffer, no atob/btoa (DOM-only in some contexts, and too lenient to be strict).
 */
import { LeakwatchError } from './errors';

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL_VALUES: Record<string, number> = Object.fromEntries(
  Array.from(BASE64URL_ALPHABET, (ch, i) => [ch, i]),
);

export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!;
    const b1 = bytes[i + 1] ?? 0;
    const b2 = bytes[i + 2] ?? 0;
    const n = (b0 << 16) | (b1 << 8) | b2;
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += BASE64URL_ALPHABET[(n >> (18 - 6 * k)) & 63];
  }
  return out;
}

/**
 * Strict: exactly one encoding is accepted per byte string (no padding, no whitespace, no standard
 * base64 '+'/'/', and unused trailing bits must be zero), so an encoded key or signature cannot be
 * altered without changing what it decodes to.
 */
export function fromBase64Url(text: string, what = 'value'): Uint8Array<ArrayBuffer> {
  if (text.length % 4 === 1)
    throw new LeakwatchError('bad-input', `${what} is not valid base64url (bad length)`);
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (const ch of text) {
    const v = BASE64URL_VALUES[ch];
    if (v === undefined) {
      throw new LeakwatchError('bad-input', `${what} is not valid base64url (unexpected character)`);
    }
    acc = ((acc << 6) | v) & 0xfff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) {
    throw new LeakwatchError('bad-input', `${what} is not valid base64url (non-zero trailing bits)`);
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += bytes[i]!.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(text: string, what = 'value'): Uint8Array<ArrayBuffer> {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new LeakwatchError('bad-input', `${what} is not valid hex`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Constant-time in the contents (not the lengths), so it is safe for comparing MACs and digests. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the text: silently dropping bytes of signed content would make
// two different byte strings decode to the same text.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Encode(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array, what = 'input'): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new LeakwatchError('garbled', `${what} is not valid UTF-8`);
  }
}

/**
 * WebCrypto's BufferSource type rejects views over SharedArrayBuffer; copying also guards against the
 * caller mutating the input while an async operation reads it.
 */
export function ownedCopy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

export async function sha256(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', ownedCopy(bytes)));
}
