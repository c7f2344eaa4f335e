import * as z from 'zod/mini';
import { integer, lazySchema, listOf, text } from '../utils/list-schema'; // also applies z.config
import {
  MAX_BLOCKS_PER_LOOKUP,
  MAX_LINK_CHARS,
  MAX_LINKS_PER_BLOCK,
  MAX_LOOKUP_CHARS,
  MAX_TEXT_CHARS,
} from './lookup-limits';

/**
 * The one message protocol between content scripts, popup, options and the background.
 * Content scripts run next to hostile pages, so the background parses every request (requestSchema)
 * and answers `{ ok: false, error }` to anything else.
 *
 * A lookup carries each block's text and links, never the page URL: features are extracted in the
 * background, off the page's main thread. Sending fingerprints instead cost the page more than the
 * text itself: a message is serialised on the sender's thread (1 MB took 12-45 ms in Chromium 156),
 * a 1 MB article's fingerprints packed in base64 took 1.13 MB, and computing them took the page
 * another 50-80 ms. The text stays in the worker's memory for the lookup and is never stored or logged.
 */

const MAX_ENTRY_DETAILS = 100;

export const findingSchema = lazySchema(() =>
  z.strictObject({
    kind: z.enum(['hashtag', 'fingerprint', 'url']),
    listId: text(0, 64),
    entry: text(0, 64),
    strength: z.strictObject({ matched: integer(0), total: integer(0) }),
    evidence: z.optional(text(0, 300)),
  }),
);

/**
 * One schema per request type, each built the first time a request of its type comes: a worker
 * woken by a lookup sets up that schema alone (setting up zod schemas is most of what the worker's
 * modules cost to evaluate, see lazySchema).
 */
const requestSchemas = {
  /** Content script start-up: whether to scan at all. */
  hello: lazySchema(() => z.strictObject({ type: z.literal('hello') })),
  /** Each block's text and links, in the wire form of lookup-limits.ts. */
  lookup: lazySchema(() => {
    const link = text(1, MAX_LINK_CHARS);
    return z
      .strictObject({
        type: z.literal('lookup'),
        texts: listOf(text(0, MAX_TEXT_CHARS), MAX_BLOCKS_PER_LOOKUP).check(
          z.refine((texts) => texts.reduce((sum, t) => sum + t.length, 0) <= MAX_LOOKUP_CHARS, {
            message: `more than ${MAX_LOOKUP_CHARS} characters of text in one lookup`,
          }),
        ),
        links: listOf(
          z.tuple([integer(0), z.array(link).check(z.minLength(1), z.maxLength(MAX_LINKS_PER_BLOCK))]),
          MAX_BLOCKS_PER_LOOKUP,
        ),
      })
      .check(
        z.refine(
          ({ texts, links }) =>
            links.every(([index], i) => index < texts.length && (i === 0 || index > links[i - 1]![0])),
          { message: 'links of a block that is not in the lookup, or of one block twice' },
        ),
      );
  }),
  /** The texts a warning shows for entries the page was flagged for (findings carry only ids). */
  'entry-details': lazySchema(() =>
    z.strictObject({
      type: z.literal('entry-details'),
      entries: z
        .array(z.strictObject({ listId: text(0, 64), entry: text(0, 64) }))
        .check(z.minLength(1), z.maxLength(MAX_ENTRY_DETAILS)),
    }),
  ),
  /** What the content script shows on its page now, for the badge, popup and research log. */
  report: lazySchema(() =>
    z.strictObject({
      type: z.literal('report'),
      flaggedBlocks: integer(0, 1_000_000),
      findings: listOf(findingSchema(), 5_000),
    }),
  ),
  'popup-state': lazySchema(() => z.strictObject({ type: z.literal('popup-state'), tabId: integer(0) })),
  'update-now': lazySchema(() => z.strictObject({ type: z.literal('update-now') })),
  'set-site-paused': lazySchema(() =>
    z.strictObject({
      type: z.literal('set-site-paused'),
      host: text(1, 253),
      paused: z.boolean(),
    }),
  ),
  'get-options': lazySchema(() => z.strictObject({ type: z.literal('get-options') })),
  'add-subscription': lazySchema(() =>
    z.strictObject({
      type: z.literal('add-subscription'),
      url: text(1, 2_048),
      publicKey: text(1, 200),
    }),
  ),
  'remove-subscription': lazySchema(() =>
    z.strictObject({ type: z.literal('remove-subscription'), id: text(1, 200) }),
  ),
  'set-research-mode': lazySchema(() =>
    z.strictObject({ type: z.literal('set-research-mode'), on: z.boolean() }),
  ),
  'clear-log': lazySchema(() => z.strictObject({ type: z.literal('clear-log') })),
};

type RequestSchemas = typeof requestSchemas;
export type Request = {
  [K in keyof RequestSchemas]: z.infer<ReturnType<RequestSchemas[K]>>;
}[keyof RequestSchemas];
export type RequestType = Request['type'];
export type FindingMessage = z.infer<ReturnType<typeof findingSchema>>;

/** Parses any request: the schema of its `type`, or a failure for a type that is not one. */
export const requestSchema = {
  safeParse(raw: unknown): { success: true; data: Request } | { success: false } {
    if (typeof raw !== 'object' || raw === null) return { success: false };
    const { type } = raw as { type?: unknown };
    let data: Request | null = null;
    if (typeof type === 'string' && Object.hasOwn(requestSchemas, type)) {
      const parsed = requestSchemas[type as keyof RequestSchemas]().safeParse(raw);
      if (parsed.success) data = parsed.data;
    }
    return data ? { success: true, data } : { success: false };
  },
};

/** Requests a content script may send; anything else from a content script is refused. */
export const CONTENT_SCRIPT_REQUESTS: ReadonlySet<RequestType> = new Set([
  'hello',
  'lookup',
  'entry-details',
  'report',
]);

export interface HelloReply {
  /** false when the user paused this site, or no list is loaded. */
  scan: boolean;
  researchMode: boolean;
}

export interface LookupReply {
  results: FindingMessage[][];
  /**
   * What warnings show of each entry found: sent with the findings, so that a warning is drawn once,
   * complete, without asking for them (entry-details) and drawing again.
   */
  details: EntryDetails[];
  /** With details: what warnings say, in the browser's language (lib/warning-strings.ts says why). */
  strings?: import('./warning-strings').WarningTemplates;
}

/**
 * What a warning needs to explain one entry. The entry's hashtags and link patterns stay in the
 * background: the list never reaches the page.
 */
export interface EntryDetails
  extends Omit<import('../utils/list-schema').ListEntry, 'id' | 'hashtags' | 'urlPatterns'> {
  listId: string;
  entry: string;
  listVersion: number;
  publisher: { name: string; url: string; disputeUrl: string };
}

/** Details of the requested entries that are in an active list; unknown ones are left out. */
export interface EntryDetailsReply {
  details: EntryDetails[];
}

/** What popup and options show of one subscription. */
export interface SubscriptionView {
  id: string;
  url: string;
  /** 'bundled' is the list packaged in the extension; 'managed' comes from enterprise policy. */
  origin: 'bundled' | 'build' | 'user' | 'managed';
  keyIds: string[];
  active: null | {
    listId: string;
    version: number;
    keyId: string;
    publisher: { name: string; url: string; disputeUrl: string };
    issuedAt: string;
    expiresAt: string;
    entries: number;
    fingerprints: number;
  };
  lastSuccess: number | null;
  lastAttempt: number | null;
  /** Plain-words reason of the last failed attempt, cleared by a success. */
  lastError: string | null;
  nextSync: number | null;
  stale: boolean;
  expired: boolean;
}

export interface TabFindingView {
  listId: string;
  entry: string;
  kind: FindingMessage['kind'];
  strength: FindingMessage['strength'];
  evidence?: string;
}

export interface PopupState {
  host: string | null;
  paused: boolean;
  researchMode: boolean;
  flaggedBlocks: number;
  findings: TabFindingView[];
  subscriptions: SubscriptionView[];
  /** Entries and contexts of the active lists, for legal texts and blackout status. */
  entries: {
    listId: string;
    entry: import('../utils/list-schema').ListEntry;
    publisher: SubscriptionView['active'];
  }[];
  contexts: import('../utils/list-schema').ListContext[];
}

export interface LogRecord {
  time: number;
  pageUrl: string;
  listId: string;
  entry: string;
  kind: FindingMessage['kind'];
  matched: number;
  total: number;
}

export interface OptionsState {
  subscriptions: SubscriptionView[];
  researchMode: boolean;
  pausedSites: string[];
  log: LogRecord[];
}

export type Reply<T> = { ok: true; value: T } | { ok: false; error: string };

/** The reply value of each request type: one place where the protocol's answers are typed. */
export interface ReplyValues {
  hello: HelloReply;
  lookup: LookupReply;
  report: null;
  'entry-details': EntryDetailsReply;
  'popup-state': PopupState;
  'update-now': OptionsState;
  'set-site-paused': OptionsState;
  'get-options': OptionsState;
  'add-subscription': OptionsState;
  'remove-subscription': OptionsState;
  'set-research-mode': OptionsState;
  'clear-log': OptionsState;
}
