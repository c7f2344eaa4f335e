import { z } from 'zod';
import { lazySchema } from '../utils/list-schema'; // also applies z.config({ jitless: true })
import {
  type LookupWire,
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

/** Content script start-up: whether to scan at all. */
export interface HelloRequest {
  type: 'hello';
}

/** Each block's text and links, in the wire form of lookup-limits.ts. */
export interface LookupRequest extends LookupWire {
  type: 'lookup';
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** Own keys all among `allowed`: an object schema that refuses unknown keys. */
const onlyKeys = (x: Record<string, unknown>, allowed: readonly string[]) =>
  Object.keys(x).every((key) => allowed.includes(key));

/**
 * The two requests that wake a stopped worker from a page are checked by hand: setting up zod's
 * object, array and string schemas for the first of them was on a restarted worker's critical path
 * (Chromium 156, with the scanner warm-up of lib/background.ts: 34 ms from listening to the first
 * values read, against 38-41 ms with zod). A lookup is a strict object of at most
 * MAX_BLOCKS_PER_LOOKUP texts of at most MAX_TEXT_CHARS characters, MAX_LOOKUP_CHARS in all, and of
 * the links of at most as many of those texts, by increasing index, each 1 to MAX_LINKS_PER_BLOCK
 * links of 1 to MAX_LINK_CHARS characters (tests/unit/messages.test.ts checks this against the
 * same rules written as a zod schema, on random requests).
 */
function parseLookup(raw: Record<string, unknown>): LookupRequest | null {
  const { texts, links } = raw;
  if (!onlyKeys(raw, ['type', 'texts', 'links']) || !Array.isArray(texts) || !Array.isArray(links))
    return null;
  if (texts.length > MAX_BLOCKS_PER_LOOKUP || links.length > MAX_BLOCKS_PER_LOOKUP) return null;
  let chars = 0;
  for (const text of texts) {
    if (typeof text !== 'string' || text.length > MAX_TEXT_CHARS) return null;
    chars += text.length;
  }
  if (chars > MAX_LOOKUP_CHARS) return null;
  const parsedLinks: [number, string[]][] = [];
  let previous = -1;
  for (const entry of links) {
    if (!Array.isArray(entry) || entry.length !== 2) return null;
    const [index, own] = entry as unknown[];
    if (!Number.isInteger(index) || (index as number) <= previous || (index as number) >= texts.length)
      return null;
    if (!Array.isArray(own) || own.length < 1 || own.length > MAX_LINKS_PER_BLOCK) return null;
    for (const link of own)
      if (typeof link !== 'string' || link.length < 1 || link.length > MAX_LINK_CHARS) return null;
    previous = index as number;
    parsedLinks.push([previous, [...own]]);
  }
  return { type: 'lookup', texts: [...texts], links: parsedLinks };
}

export const findingSchema = lazySchema(() =>
  z.strictObject({
    kind: z.enum(['hashtag', 'fingerprint', 'url']),
    listId: z.string().max(64),
    entry: z.string().max(64),
    strength: z.strictObject({ matched: z.number().int().min(0), total: z.number().int().min(0) }),
    evidence: z.string().max(300).optional(),
  }),
);

/**
 * One schema per request type, each built the first time a request of its type comes: a worker
 * woken by a lookup sets up that schema alone (setting up zod schemas is most of what the worker's
 * modules cost to evaluate, see lazySchema).
 */
const requestSchemas = {
  /** The texts a warning shows for entries the page was flagged for (findings carry only ids). */
  'entry-details': lazySchema(() =>
    z.strictObject({
      type: z.literal('entry-details'),
      entries: z
        .array(z.strictObject({ listId: z.string().max(64), entry: z.string().max(64) }))
        .min(1)
        .max(MAX_ENTRY_DETAILS),
    }),
  ),
  /** What the content script shows on its page now, for the badge, popup and research log. */
  report: lazySchema(() =>
    z.strictObject({
      type: z.literal('report'),
      flaggedBlocks: z.number().int().min(0).max(1_000_000),
      findings: z.array(findingSchema()).max(5_000),
    }),
  ),
  'popup-state': lazySchema(() =>
    z.strictObject({ type: z.literal('popup-state'), tabId: z.number().int().min(0) }),
  ),
  'update-now': lazySchema(() => z.strictObject({ type: z.literal('update-now') })),
  'set-site-paused': lazySchema(() =>
    z.strictObject({
      type: z.literal('set-site-paused'),
      host: z.string().min(1).max(253),
      paused: z.boolean(),
    }),
  ),
  'get-options': lazySchema(() => z.strictObject({ type: z.literal('get-options') })),
  'add-subscription': lazySchema(() =>
    z.strictObject({
      type: z.literal('add-subscription'),
      url: z.string().min(1).max(2_048),
      publicKey: z.string().min(1).max(200),
    }),
  ),
  'remove-subscription': lazySchema(() =>
    z.strictObject({ type: z.literal('remove-subscription'), id: z.string().min(1).max(200) }),
  ),
  'set-research-mode': lazySchema(() =>
    z.strictObject({ type: z.literal('set-research-mode'), on: z.boolean() }),
  ),
  'clear-log': lazySchema(() => z.strictObject({ type: z.literal('clear-log') })),
};

type RequestSchemas = typeof requestSchemas;
export type Request =
  | HelloRequest
  | LookupRequest
  | { [K in keyof RequestSchemas]: z.infer<ReturnType<RequestSchemas[K]>> }[keyof RequestSchemas];
export type RequestType = Request['type'];
export type FindingMessage = z.infer<ReturnType<typeof findingSchema>>;

/** Parses any request: the schema of its `type`, or a failure for a type that is not one. */
export const requestSchema = {
  safeParse(raw: unknown): { success: true; data: Request } | { success: false } {
    if (!isRecord(raw)) return { success: false };
    const { type } = raw;
    let data: Request | null = null;
    if (type === 'hello') data = onlyKeys(raw, ['type']) ? { type } : null;
    else if (type === 'lookup') data = parseLookup(raw);
    else if (typeof type === 'string' && Object.hasOwn(requestSchemas, type)) {
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
