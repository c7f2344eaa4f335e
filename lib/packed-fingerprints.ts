import { LeakwatchError } from '../utils/errors';
import type { BlockFeatures } from '../utils/matcher';

/**
 * Fingerprints travel from the content script to the background packed in a string: 7 bytes per
 * value, big-endian, in base64. Extension messages are serialised value by value; a 1 MB article's
 * 170,000 fingerprints as an array of numbers took about three times as long to send as the same
 * values in one string, packing included.
 */

const BYTES = 7;
/** Fingerprints are below 2^53 (list-schema `bits` <= 53): the top byte of 7 is below 0x20. */
const TOP_LIMIT = 0x20;
const CHUNK = 0x8000;

export function packFingerprints(values: readonly number[]): string {
  const bytes = new Uint8Array(values.length * BYTES);
  for (let i = 0, o = 0; i < values.length; i++, o += BYTES) {
    const v = values[i]!;
    const hi = Math.floor(v / 0x100000000);
    const lo = v >>> 0;
    bytes[o] = hi >>> 16;
    bytes[o + 1] = (hi >>> 8) & 0xff;
    bytes[o + 2] = hi & 0xff;
    bytes[o + 3] = lo >>> 24;
    bytes[o + 4] = (lo >>> 16) & 0xff;
    bytes[o + 5] = (lo >>> 8) & 0xff;
    bytes[o + 6] = lo & 0xff;
  }
  let binary = '';
  // apply() with a typed array: spreading it goes through the iterator, several times slower.
  for (let i = 0; i < bytes.length; i += CHUNK)
    binary += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(i + CHUNK, bytes.length)) as unknown as number[],
    );
  return btoa(binary);
}

/** The values of a packed string; null when it is not one (bad base64, length, or a value >= 2^53). */
export function unpackFingerprints(packed: string): number[] | null {
  let binary: string;
  try {
    binary = atob(packed);
  } catch {
    return null;
  }
  if (binary.length % BYTES !== 0) return null;
  const out = new Array<number>(binary.length / BYTES);
  for (let i = 0, o = 0; o < binary.length; i++, o += BYTES) {
    const b0 = binary.charCodeAt(o);
    if (b0 >= TOP_LIMIT) return null;
    const hi = (b0 << 16) | (binary.charCodeAt(o + 1) << 8) | binary.charCodeAt(o + 2);
    const lo =
      ((binary.charCodeAt(o + 3) << 24) |
        (binary.charCodeAt(o + 4) << 16) |
        (binary.charCodeAt(o + 5) << 8) |
        binary.charCodeAt(o + 6)) >>>
      0;
    out[i] = hi * 0x100000000 + lo;
  }
  return out;
}

/** A block's features with each fingerprint list packed, as the content script sends them. */
export interface PackedBlockFeatures {
  hashtags: string[];
  urls: string[];
  fingerprints: Record<string, number[] | string>;
}

export function packBlockFeatures(f: BlockFeatures): PackedBlockFeatures {
  const fingerprints: Record<string, string> = {};
  for (const [key, values] of Object.entries(f.fingerprints)) fingerprints[key] = packFingerprints(values);
  return { hashtags: f.hashtags, urls: f.urls, fingerprints };
}

/** The features a lookup carries, lists packed or not; a malformed packed list is refused. */
export function unpackBlockFeatures(f: PackedBlockFeatures): BlockFeatures {
  const fingerprints: Record<string, number[]> = {};
  for (const [key, values] of Object.entries(f.fingerprints)) {
    const unpacked = typeof values === 'string' ? unpackFingerprints(values) : values;
    if (!unpacked) throw new LeakwatchError('bad-input', 'malformed packed fingerprints');
    fingerprints[key] = unpacked;
  }
  return { hashtags: f.hashtags, urls: f.urls, fingerprints };
}
