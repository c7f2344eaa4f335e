import { z } from 'zod';
import '../utils/list-schema'; // applies z.config({ jitless: true }) before any schema is built

/**
 * The one message protocol between content scripts, popup, options and the background.
 * Content scripts run next to hostile pages, so the background parses every request with these
 * schemas and answers `{ ok: false, error }` to anything else. Content scripts send features
 * extracted from a block, never the page text or the page URL.
 */

const MAX_BLOCKS_PER_LOOKUP = 200;
const MAX_ENTRY_DETAILS = 100;
const normalisedTag = z.string().min(1).max(200);
const link = z.string().min(1).max(2_048);
const fingerprintValue = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The same at most 20,000 values packed by lib/packed-fingerprints.ts (7 bytes each, in base64). */
const packedFingerprints = z
  .string()
  .max(Math.ceil((20_000 * 7) / 3) * 4)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/);

export const blockFeaturesSchema = z.strictObject({
  hashtags: z.array(normalisedTag).max(200),
  urls: z.array(link).max(200),
  fingerprints: z.record(
    z.string().max(64),
    z.union([z.array(fingerprintValue).max(20_000), packedFingerprints]),
  ),
});

export const findingSchema = z.strictObject({
  kind: z.enum(['hashtag', 'fingerprint', 'url']),
  listId: z.string().max(64),
  entry: z.string().max(64),
  strength: z.strictObject({ matched: z.number().int().min(0), total: z.number().int().min(0) }),
  evidence: z.string().max(300).optional(),
});

export const requestSchema = z.discriminatedUnion('type', [
  /** Content script start-up: which fingerprint parameters to compute, and whether to scan at all. */
  z.strictObject({ type: z.literal('hello') }),
  z.strictObject({
    type: z.literal('lookup'),
    blocks: z.array(blockFeaturesSchema).max(MAX_BLOCKS_PER_LOOKUP),
  }),
  /** The texts a warning shows for entries the page was flagged for (findings carry only ids). */
  z.strictObject({
    type: z.literal('entry-details'),
    entries: z
      .array(z.strictObject({ listId: z.string().max(64), entry: z.string().max(64) }))
      .min(1)
      .max(MAX_ENTRY_DETAILS),
  }),
  /** What the content script shows on its page now, for the badge, popup and research log. */
  z.strictObject({
    type: z.literal('report'),
    flaggedBlocks: z.number().int().min(0).max(1_000_000),
    findings: z.array(findingSchema).max(5_000),
  }),
  z.strictObject({ type: z.literal('popup-state'), tabId: z.number().int().min(0) }),
  z.strictObject({ type: z.literal('update-now') }),
  z.strictObject({
    type: z.literal('set-site-paused'),
    host: z.string().min(1).max(253),
    paused: z.boolean(),
  }),
  z.strictObject({ type: z.literal('get-options') }),
  z.strictObject({
    type: z.literal('add-subscription'),
    url: z.string().min(1).max(2_048),
    publicKey: z.string().min(1).max(200),
  }),
  z.strictObject({ type: z.literal('remove-subscription'), id: z.string().min(1).max(200) }),
  z.strictObject({ type: z.literal('set-research-mode'), on: z.boolean() }),
  z.strictObject({ type: z.literal('clear-log') }),
]);

export type BlockFeaturesMessage = z.infer<typeof blockFeaturesSchema>;
export type FindingMessage = z.infer<typeof findingSchema>;
export type Request = z.infer<typeof requestSchema>;
export type RequestType = Request['type'];

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
  paramSets: import('../utils/list-schema').FingerprintParams[];
}

export interface LookupReply {
  results: FindingMessage[][];
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
