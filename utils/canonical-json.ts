import { LeakwatchError } from './errors';

/** Lists and delta headers nest 5 levels; the bound keeps a hostile file from overflowing the stack. */
const MAX_DEPTH = 64;

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, JSON.stringify's
 * escaping. Signed metadata must be in this form, so that one list has one byte string and a
 * parser quirk (duplicate keys, spacing) cannot give signed bytes a second meaning.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('non-finite number in JSON');
    return JSON.stringify(value);
  }
  if (depth >= MAX_DEPTH)
    throw new LeakwatchError('garbled', `JSON is nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item, depth + 1)).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], depth + 1)}`).join(',')}}`;
}
