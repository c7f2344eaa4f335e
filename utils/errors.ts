/**
 * Every failure the core reports to a person is one of these: a stable code for programs, and a
 * one-line message that names the problem for people. Callers print `message`, never a stack.
 */
export type LeakwatchErrorCode =
  | 'bad-input'
  | 'too-large'
  | 'truncated'
  | 'garbled'
  | 'unknown-key'
  | 'bad-signature'
  | 'rollback'
  | 'expired'
  | 'not-yet-valid'
  | 'schema'
  | 'normaliser-mismatch'
  | 'bad-key'
  | 'wrong-list';

export class LeakwatchError extends Error {
  constructor(
    readonly code: LeakwatchErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LeakwatchError';
  }
}

export function describeError(err: unknown): string {
  if (err instanceof LeakwatchError) return err.message;
  if (err instanceof Error) return err.message.split('\n')[0] ?? String(err);
  return String(err);
}
