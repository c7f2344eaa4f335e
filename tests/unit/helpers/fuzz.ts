import fc from 'fast-check';
import { LeakwatchError, type LeakwatchErrorCode } from '../../../utils/errors';

/**
 * Shared pieces of the fuzz tests (tests/unit/fuzz-*.test.ts): byte mutations of valid inputs,
 * the "only typed errors" check, and case counting so each file can print what it ran.
 */

const CODES: ReadonlySet<LeakwatchErrorCode> = new Set<LeakwatchErrorCode>([
  'bad-input',
  'too-large',
  'truncated',
  'garbled',
  'unknown-key',
  'bad-signature',
  'rollback',
  'expired',
  'not-yet-valid',
  'schema',
  'normaliser-mismatch',
  'bad-key',
  'wrong-list',
]);

/** Plain checks: vitest's expect costs tens of microseconds, a budget fuzzing spends on cases. */
export function check(condition: boolean, problem: () => string): asserts condition {
  if (!condition) throw new Error(problem());
}

/** A refusal the project promises: a LeakwatchError with a known code and a one-line message. */
export function expectTypedRefusal(err: unknown): LeakwatchError {
  if (!(err instanceof LeakwatchError)) {
    throw new Error(`untyped failure: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
  check(CODES.has(err.code), () => `unknown error code ${err.code}`);
  check(
    err.message.length > 0 && !err.message.includes('\n'),
    () => `not a one-line message: ${err.message}`,
  );
  return err;
}

/** Runs `decode`; returns its value, or null after checking that what it threw is a typed refusal. */
export function attempt<T>(decode: () => T): T | null {
  try {
    return decode();
  } catch (err) {
    expectTypedRefusal(err);
    return null;
  }
}

export async function attemptAsync<T>(decode: () => Promise<T>): Promise<T | null> {
  try {
    return await decode();
  } catch (err) {
    expectTypedRefusal(err);
    return null;
  }
}

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'splice'; from: number; to: number; length: number }
  | { kind: 'field'; field: number; value: number }
  | { kind: 'byte'; at: number; value: number };

/** Values that break length and count fields in the interesting places. */
const FIELD_VALUES = [0, 1, 2, 7, 8, 9, 255, 256, 65_535, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/**
 * Mutations of a byte string: bit flips, byte sets, truncation, insertion, deletion, a range
 * copied over another (splice), `fields`: big-endian u32 length/count fields (offsets) set to
 * boundary values or a nearby one, and `byteFields`: one-byte fields (a Rice parameter, a key id
 * length) set to boundary values.
 */
export function mutations(
  fields: readonly number[] = [],
  byteFields: readonly number[] = [],
): fc.Arbitrary<Mutation[]> {
  const at = fc.nat();
  const options: fc.Arbitrary<Mutation>[] = [
    fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at, value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at }),
    fc.record({
      kind: fc.constant('insert' as const),
      at,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 16 }) }),
    fc.record({
      kind: fc.constant('splice' as const),
      from: at,
      to: at,
      length: fc.integer({ min: 1, max: 64 }),
    }),
  ];
  if (fields.length > 0) {
    const value = fc.oneof(fc.constantFrom(...FIELD_VALUES), fc.integer({ min: 0, max: 0xffffffff }));
    options.push(
      fc.record({ kind: fc.constant('field' as const), field: fc.constantFrom(...fields), value }),
    );
    // Off-by-a-little edits of a real length are the likeliest to get past framing checks.
    options.push(
      fc.record({
        kind: fc.constant('field' as const),
        field: fc.constantFrom(...fields),
        value: fc.integer({ min: -3, max: 3 }).map((delta) => -1 - delta),
      }),
    );
  }
  if (byteFields.length > 0) {
    const value = fc.oneof(fc.constantFrom(0, 1, 8, 51, 52, 53, 54, 255), fc.integer({ min: 0, max: 255 }));
    options.push(
      fc.record({ kind: fc.constant('byte' as const), at: fc.constantFrom(...byteFields), value }),
    );
  }
  return fc.array(fc.oneof(...options), { minLength: 1, maxLength: 4 });
}

/** Applies mutations in order; negative field values -1-d mean "the current value plus d". */
export function mutate(original: Uint8Array, steps: readonly Mutation[]): Uint8Array {
  let bytes = original.slice();
  for (const step of steps) {
    const n = bytes.length;
    switch (step.kind) {
      case 'flip':
        if (n > 0) bytes[step.at % n]! ^= 1 << step.bit;
        break;
      case 'set':
        if (n > 0) bytes[step.at % n] = step.value;
        break;
      case 'truncate':
        bytes = bytes.slice(0, step.at % (n + 1));
        break;
      case 'insert': {
        const at = step.at % (n + 1);
        const out = new Uint8Array(n + step.bytes.length);
        out.set(bytes.subarray(0, at));
        out.set(step.bytes, at);
        out.set(bytes.subarray(at), at + step.bytes.length);
        bytes = out;
        break;
      }
      case 'delete': {
        const at = step.at % (n + 1);
        const out = new Uint8Array(n - Math.min(step.length, n - at));
        out.set(bytes.subarray(0, at));
        out.set(bytes.subarray(at + step.length), at);
        bytes = out;
        break;
      }
      case 'splice':
        if (n > 0) bytes.copyWithin(step.to % n, step.from % n, (step.from % n) + step.length);
        break;
      case 'field': {
        if (step.field + 4 > n) break;
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const value = step.value < 0 ? view.getUint32(step.field) + (-1 - step.value) : step.value;
        view.setUint32(step.field, value >>> 0);
        break;
      }
      case 'byte':
        if (step.at < n) bytes[step.at] = step.value;
        break;
    }
  }
  return bytes;
}

export const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

/** Counts generated cases per target and the slowest one, for the summary each fuzz file prints. */
export class FuzzCounter {
  private readonly counts = new Map<string, { cases: number; slowestMs: number }>();

  /** Wraps a property body: counts the case and times it. */
  count<A extends unknown[], R>(target: string, body: (...args: A) => R): (...args: A) => R {
    return (...args: A) => {
      const started = performance.now();
      const entry = this.counts.get(target) ?? { cases: 0, slowestMs: 0 };
      this.counts.set(target, entry);
      entry.cases += 1;
      const result = body(...args);
      if (result instanceof Promise) {
        return result.finally(() => {
          entry.slowestMs = Math.max(entry.slowestMs, performance.now() - started);
        }) as R;
      }
      entry.slowestMs = Math.max(entry.slowestMs, performance.now() - started);
      return result;
    };
  }

  get total(): number {
    return [...this.counts.values()].reduce((sum, e) => sum + e.cases, 0);
  }

  summary(file: string): string {
    const lines = [...this.counts].map(
      ([target, e]) =>
        `  ${target.padEnd(58)} ${String(e.cases).padStart(7)} cases, slowest ${e.slowestMs.toFixed(1)} ms`,
    );
    return [`${file}: ${this.total} generated cases`, ...lines].join('\n');
  }
}
