import * as z from 'zod/mini';
import { sha256, toHex, utf8Encode } from '../utils/bytes';
import { parsePublicKey } from '../utils/ed25519';
import { describeError, LeakwatchError } from '../utils/errors';
import { lazySchema } from '../utils/list-schema'; // also applies z.config
import type { SubscriptionView } from './messages';
import type { UserSubscription } from './store';

/**
 * Where lists come from: one default (the build-time URL, or else the list packaged in the
 * extension), lists set by enterprise policy, and lists the user added in the options page.
 */

export type SubscriptionOrigin = SubscriptionView['origin'];

export interface Subscription {
  id: string;
  url: string;
  origin: SubscriptionOrigin;
  publicKeys: string[];
}

export interface BuildConfig {
  listUrl: string | null;
  publicKeys: string[];
}

export const BUNDLED_LIST_PATH = '/lists/default.lwl';
export const BUNDLED_KEY_PATH = '/lists/default.pub';
export const BUNDLED_ID = 'bundled';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Reads WXT_LEAKWATCH_LIST_URL / WXT_LEAKWATCH_PUBKEYS (comma-separated) from the build env. */
export function buildConfigFromEnv(env: { listUrl?: string; publicKeys?: string }): BuildConfig {
  const listUrl = env.listUrl?.trim() || null;
  const publicKeys = (env.publicKeys ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  return { listUrl, publicKeys };
}

/** Lists travel over https; plain http only to this machine, for testing a list server locally. */
export function checkListUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new LeakwatchError('bad-input', `list URL is not a valid URL: ${text.trim().slice(0, 100)}`);
  }
  if (url.username || url.password)
    throw new LeakwatchError('bad-input', 'list URL must not contain a user name or password');
  if (url.protocol === 'https:') return url.href;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return url.href;
  throw new LeakwatchError(
    'bad-input',
    'list URL must use https (plain http only for 127.0.0.1 or localhost)',
  );
}

/** Throws parsePublicKey's one-line error (code 'bad-key') for a key that is not usable. */
export function checkPublicKey(text: string): string {
  const key = text.trim();
  parsePublicKey(key);
  return key;
}

/** Stable per URL, so a subscription keeps its stored lists and status across restarts. */
export async function subscriptionId(origin: SubscriptionOrigin, url: string): Promise<string> {
  return `${origin}-${toHex(await sha256(utf8Encode(url))).slice(0, 16)}`;
}

/**
 * The default subscription. A build that names its own list server does not use the packaged list
 * at all: that list is a demo. Key problems are not checked here: they surface as the
 * subscription's sync error, where the options page shows them.
 */
export async function defaultSubscription(
  build: BuildConfig,
  bundled: { url: string; publicKey: () => Promise<string | null> },
): Promise<Subscription> {
  if (build.listUrl) {
    return {
      id: await subscriptionId('build', build.listUrl),
      url: build.listUrl,
      origin: 'build',
      publicKeys: build.publicKeys,
    };
  }
  const key = await bundled.publicKey();
  return { id: BUNDLED_ID, url: bundled.url, origin: 'bundled', publicKeys: key ? [key] : [] };
}

const managedSchema = lazySchema(() =>
  z.array(z.object({ url: z.string(), publicKeys: z.array(z.string()) })),
);

/** Policy is written by administrators: one bad item is reported and skipped, not fatal to the rest. */
export async function managedSubscriptions(
  raw: unknown,
): Promise<{ subscriptions: Subscription[]; problems: string[] }> {
  if (raw === undefined || raw === null) return { subscriptions: [], problems: [] };
  const parsed = managedSchema().safeParse(raw);
  if (!parsed.success) {
    return { subscriptions: [], problems: ['managed "subscriptions" must be a list of {url, publicKeys}'] };
  }
  const subscriptions: Subscription[] = [];
  const problems: string[] = [];
  for (const item of parsed.data) {
    try {
      const url = checkListUrl(item.url);
      const publicKeys = item.publicKeys.map(checkPublicKey);
      subscriptions.push({ id: await subscriptionId('managed', url), url, origin: 'managed', publicKeys });
    } catch (err) {
      problems.push(`managed subscription ${item.url.slice(0, 100)}: ${describeError(err)}`);
    }
  }
  return { subscriptions, problems };
}

export function userSubscription(record: UserSubscription): Subscription {
  return { id: record.id, url: record.url, origin: 'user', publicKeys: record.publicKeys };
}

/** A new user subscription, validated; refuses a URL that is already subscribed. */
export async function newUserSubscription(
  input: { url: string; publicKey: string },
  existing: readonly Subscription[],
  now: number,
): Promise<UserSubscription> {
  const url = checkListUrl(input.url);
  const publicKey = checkPublicKey(input.publicKey);
  if (existing.some((s) => s.url === url))
    throw new LeakwatchError('bad-input', 'this list is already subscribed');
  return { id: await subscriptionId('user', url), url, publicKeys: [publicKey], addedAt: now };
}

/** Default first, then policy, then the user's; the first occurrence of a URL wins. */
export function mergeSubscriptions(...groups: Subscription[][]): Subscription[] {
  const seen = new Set<string>();
  return groups.flat().filter((s) => {
    if (seen.has(s.url)) return false;
    seen.add(s.url);
    return true;
  });
}
