import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { LeakwatchError } from './errors';

/**
 * zod's tree-shakable form: with the classic API the background's script was 188.7 KB instead of
 * 125.2 KB, and a restarted worker pays for every kilobyte before it answers (fetching the script
 * and its code cache, compiling). The English messages are loaded once, here: errors name the problem.
 * jitless: zod 4 probes for `new Function` support at import time; web-ext lint reports that as eval.
 */
z.config({ ...en(), jitless: true });

/**
 * Builds a schema on its first use, once. Setting up zod schemas is most of what evaluating the
 * background's modules cost a restarted worker (~30 ms in Chromium 156, zod's object schemas
 * above all), and the lookup that woke it uses none of the list's schemas.
 */
export function lazySchema<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

/**
 * The metadata of a list: everything except the fingerprint sets, which travel in a compact
 * binary section (see list-format.ts). Every object is strict: an unknown field is an error, so a
 * signed list has exactly one meaning.
 */

/** A string of min to max UTF-16 code units; no minimum check for a min of 0 (lookups check every text). */
export const text = (min: number, max: number) =>
  min > 0 ? z.string().check(z.minLength(min), z.maxLength(max)) : z.string().check(z.maxLength(max));
const shortText = () => text(1, 300);
const longText = () => text(1, 20_000);
export const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => z.int().check(z.gte(min), z.lte(max));
export const listOf = <T extends z.core.SomeType>(item: T, max: number) =>
  z.array(item).check(z.maxLength(max));
export const localisedText = lazySchema(() => z.strictObject({ en: longText(), fr: longText() }));
const localisedShort = () => z.strictObject({ en: shortText(), fr: shortText() });

const instant = () =>
  z.string().check(
    z.maxLength(40),
    z.refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(s), {
      message: 'must be an ISO 8601 instant with a time zone offset',
    }),
    z.refine((s) => Number.isFinite(Date.parse(s)), { message: 'is not a real date' }),
  );

const day = () => z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a YYYY-MM-DD date'));

const httpUrl = () =>
  z.string().check(
    z.maxLength(2_000),
    z.refine((s) => {
      try {
        const u = new URL(s);
        return u.protocol === 'https:' || u.protocol === 'http:' || u.protocol === 'mailto:';
      } catch {
        return false;
      }
    }, 'must be an http(s) or mailto URL'),
  );

export const identifier = lazySchema(() =>
  z.string().check(z.regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1-64 of a-z 0-9 . _ -')),
);

/** Hashtags as people spell them, without '#'; matching compares normaliseHashtag() forms. */
const hashtag = () => text(1, 200);
/** host[/path-prefix], already folded by normaliseUrlPattern. */
const urlPattern = () => text(3, 500);

export const entrySchema = lazySchema(() =>
  z.strictObject({
    id: identifier(),
    title: localisedShort(),
    summary: localisedText(),
    date: day(),
    warning: localisedText(),
    legalNotice: localisedText(),
    authority: shortText(),
    references: listOf(z.strictObject({ title: shortText(), url: httpUrl() }), 50),
    mayIncludeForgeries: z.boolean(),
    hashtags: listOf(hashtag(), 1_000),
    urlPatterns: listOf(urlPattern(), 100_000),
    fingerprintCount: integer(0, 100_000_000),
  }),
);

export const contextSchema = lazySchema(() =>
  z.strictObject({
    id: identifier(),
    jurisdiction: shortText(),
    election: localisedShort(),
    start: instant(),
    end: instant(),
    timeZone: text(1, 64),
    legalBasis: localisedText(),
    text: localisedText(),
    entries: listOf(identifier(), 1_000),
  }),
);

export const publisherSchema = lazySchema(() =>
  z.strictObject({ name: shortText(), url: httpUrl(), disputeUrl: httpUrl() }),
);

export const fingerprintParamsSchema = lazySchema(() =>
  z.strictObject({
    algorithm: z.literal('lw-shingle64-v1'),
    k: integer(2, 16),
    w: integer(1, 64),
    /** Fingerprints are stored as the top `bits` bits of the 64-bit shingle hash. */
    bits: integer(24, 53),
    /** Distinct matching fingerprints of one entry needed before a block is flagged. */
    threshold: integer(1, 100),
    /** ...and whose shingles together cover at least this many words of the block. */
    minWords: integer(0, 1_000),
  }),
);

export const listMetaSchema = lazySchema(() =>
  z
    .strictObject({
      format: z.literal('leakwatch-list'),
      formatVersion: z.literal(1),
      listId: identifier(),
      version: integer(1),
      issuedAt: instant(),
      expiresAt: instant(),
      normaliserVersion: integer(1),
      fingerprint: fingerprintParamsSchema(),
      syncIntervalHours: z.number().check(z.gte(0.5), z.lte(24 * 14)),
      publisher: publisherSchema(),
      /** Successor public keys announced under the current key's signature (rotation). */
      nextKeys: listOf(z.string().check(z.maxLength(200)), 8),
      entries: listOf(entrySchema(), 10_000),
      contexts: listOf(contextSchema(), 1_000),
    })
    .check(
      z.superRefine((meta, ctx) => {
        if (Date.parse(meta.expiresAt) <= Date.parse(meta.issuedAt)) {
          ctx.addIssue({ code: 'custom', message: 'expiresAt must be after issuedAt', path: ['expiresAt'] });
        }
        const ids = new Set<string>();
        for (const e of meta.entries) {
          if (ids.has(e.id))
            ctx.addIssue({ code: 'custom', message: `duplicate entry id ${e.id}`, path: ['entries'] });
          ids.add(e.id);
        }
        for (const c of meta.contexts) {
          if (Date.parse(c.end) <= Date.parse(c.start)) {
            ctx.addIssue({
              code: 'custom',
              message: `context ${c.id} ends before it starts`,
              path: ['contexts'],
            });
          }
        }
      }),
    ),
);

export type LocalisedText = z.infer<ReturnType<typeof localisedText>>;
export type ListEntry = z.infer<ReturnType<typeof entrySchema>>;
export type ListContext = z.infer<ReturnType<typeof contextSchema>>;
export type FingerprintParams = z.infer<ReturnType<typeof fingerprintParamsSchema>>;
export type ListMeta = z.infer<ReturnType<typeof listMetaSchema>>;

/** How many fingerprints the list holds, over all its entries. */
export function fingerprintTotal(meta: ListMeta): number {
  return meta.entries.reduce((n, e) => n + e.fingerprintCount, 0);
}

/** A decoded list: metadata plus, aligned with meta.entries, each entry's sorted fingerprints. */
export interface DecodedList {
  meta: ListMeta;
  /** fingerprints[i] belongs to meta.entries[i]: sorted, distinct integers below 2 ** bits. */
  fingerprints: Float64Array[];
}

/** One-line description of the first schema problem, for error messages. */
export function describeSchemaError(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid list metadata';
  const where = issue.path.length ? issue.path.join('.') : 'list';
  return `${where}: ${issue.message}`;
}

/**
 * Signed JSON may hold at most this many values (an entry of the test list holds about 30) and
 * nest this deep (a list nests 5 levels). JSON.parse and the schema allocate per value, so a
 * metadata of millions of tiny values must be refused by this byte scan, before either runs.
 */
export const MAX_JSON_VALUES = 1_000_000;
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * Counts the values and nesting of UTF-8 JSON without parsing it. Only bounds are checked here:
 * anything malformed passes and is refused by JSON.parse afterwards.
 */
export function checkJsonBounds(bytes: Uint8Array, what: string): void {
  let values = 1;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > MAX_JSON_DEPTH)
        throw new LeakwatchError('garbled', `${what} is nested more than ${MAX_JSON_DEPTH} levels deep`);
      values++;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth--;
    else if (byte === COMMA || byte === COLON) values++;
    if (values > MAX_JSON_VALUES)
      throw new LeakwatchError('too-large', `${what} holds more than ${MAX_JSON_VALUES} values`);
  }
}
