import { keyId, parsePublicKey } from '../utils/ed25519';
import { describeError, LeakwatchError } from '../utils/errors';
import { fingerprintTotal, type ListMeta } from '../utils/list-schema';
import { type CompiledList, compileList, extractFeatures, paramSetsOf, scanBlock } from '../utils/matcher';
import { type BlockText, unpackLookup } from './lookup-limits';
import {
  CONTENT_SCRIPT_REQUESTS,
  type EntryDetails,
  type FindingMessage,
  type HelloReply,
  type LogRecord,
  type OptionsState,
  type PopupState,
  type Reply,
  type ReplyValues,
  type Request,
  type RequestType,
  requestSchema,
  type SubscriptionView,
  type TabFindingView,
} from './messages';
import { PartialList } from './partial-list';
import {
  type EarlyList,
  type GenerationHeader,
  isHead,
  type LeakwatchDatabase,
  LeakwatchStore,
  readWhole,
  type Settings,
  type StoredList,
  type SyncState,
} from './store';
import {
  BUNDLED_KEY_PATH,
  BUNDLED_LIST_PATH,
  type BuildConfig,
  defaultSubscription,
  managedSubscriptions,
  mergeSubscriptions,
  newUserSubscription,
  type Subscription,
  userSubscription,
} from './subscriptions';
import { DEFAULT_SYNC_INTERVAL_HOURS, type FetchLike, type SyncResult, syncSubscription } from './sync';
import { type WarningTemplates, warningTemplates } from './warning-strings';

/**
 * The service worker's logic, free of the real `browser` object so tests drive it directly.
 * MV3 stops the worker after ~30 s idle: nothing here lives only in memory that cannot be rebuilt
 * from IndexedDB (lists, settings, status) or storage.session (what each tab reported).
 */

export const SYNC_ALARM = 'leakwatch-sync';
/** chrome.alarms does not fire sooner than 30 s. */
const MIN_ALARM_DELAY_MS = 30_000;
/** A list not refreshed for this many sync intervals is shown as stale. */
const STALE_INTERVALS = 3;
const BADGE_COLOR = '#b3261e';

/** The part of the extension API the background uses; `webextension-polyfill` and WXT's fakeBrowser both fit. */
export interface BackgroundBrowser {
  runtime: { id: string; getURL(path: string): string };
  action: {
    setBadgeText(details: { tabId?: number; text: string }): Promise<void>;
    setBadgeBackgroundColor(details: { tabId?: number; color: string }): Promise<void>;
  };
  alarms: {
    create(name: string, info: { when?: number }): unknown;
    get(name: string): Promise<{ scheduledTime: number } | undefined>;
    clear(name: string): Promise<boolean>;
  };
  storage: {
    managed: { get(keys: string): Promise<Record<string, unknown>> };
    session: {
      get(keys: string): Promise<Record<string, unknown>>;
      set(items: Record<string, unknown>): Promise<void>;
      remove(keys: string): Promise<void>;
    };
  };
  tabs: { get(tabId: number): Promise<{ url?: string }> };
  i18n: { getMessage(name: string, substitutions?: string | string[]): string };
}

export interface MessageSenderLike {
  id?: string;
  url?: string;
  frameId?: number;
  tab?: { id?: number; url?: string };
}

export interface BackgroundDeps {
  browser: BackgroundBrowser;
  fetch: FetchLike;
  now: () => number;
  random: () => number;
  openDb: () => Promise<LeakwatchDatabase>;
  /**
   * The stored lists, if their read was started before the worker's other modules were even
   * evaluated (lib/early-read.ts); used once, by the first load of this worker.
   */
  earlyRead?: Promise<EarlyList[]>;
  /** The settings, read along with the lists (lib/early-read.ts). */
  earlySettings?: Promise<Settings>;
  build: BuildConfig;
}

export interface Background {
  handleMessage(raw: unknown, sender: MessageSenderLike): Promise<Reply<unknown>>;
  /** Install and update: sync every subscription now (an update may ship a new bundled list). */
  onInstalled(): Promise<void>;
  /** Browser start: catch up on syncs that fell due while it was closed. */
  onStartup(): Promise<void>;
  onAlarm(alarm: { name: string }): Promise<void>;
  onTabUpdated(tabId: number, change: { status?: string; url?: string }): Promise<void>;
  onTabRemoved(tabId: number): Promise<void>;
  /** Enterprise policy changed: re-read the managed subscriptions. */
  onManagedChanged(): Promise<void>;
  /**
   * Host access was granted (onboarding page, popup, browser menu): lists whose download failed,
   * possibly for lack of it, are fetched now rather than after their backoff.
   */
  onHostAccessGranted(): Promise<void>;
}

interface LoadedList {
  header: GenerationHeader;
  compiled: CompiledList;
}

interface FrameReport {
  flaggedBlocks: number;
  findings: FindingMessage[];
}

interface TabState {
  url: string;
  frames: Record<string, FrameReport>;
}

type Handlers = {
  [K in RequestType]: (
    request: Extract<Request, { type: K }>,
    sender: MessageSenderLike,
  ) => Promise<ReplyValues[K]>;
};

function findingKey(f: { listId: string; entry: string; kind: string }): string {
  return `${f.listId}\u0000${f.entry}\u0000${f.kind}`;
}

/** One view per (list, entry, kind): the strongest report among the tab's frames. */
function mergeFindings(frames: readonly FrameReport[]): TabFindingView[] {
  const merged = new Map<string, TabFindingView>();
  for (const finding of frames.flatMap((f) => f.findings)) {
    const key = findingKey(finding);
    const seen = merged.get(key);
    if (!seen || finding.strength.matched > seen.strength.matched) merged.set(key, { ...finding });
  }
  return [...merged.values()];
}

function badgeText(flagged: number): string {
  if (flagged <= 0) return '';
  return flagged > 999 ? '999+' : String(flagged);
}

function withoutFragment(url: string): string {
  const hash = url.indexOf('#');
  return hash < 0 ? url : url.slice(0, hash);
}

function hostOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.hostname : null;
  } catch {
    return null;
  }
}

function activeView(meta: ListMeta, header: GenerationHeader): NonNullable<SubscriptionView['active']> {
  return {
    listId: meta.listId,
    version: meta.version,
    keyId: header.keyId,
    publisher: meta.publisher,
    issuedAt: meta.issuedAt,
    expiresAt: meta.expiresAt,
    entries: meta.entries.length,
    fingerprints: fingerprintTotal(meta),
  };
}

async function keyIdsOf(texts: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const text of new Set(texts)) {
    try {
      ids.push(await keyId(parsePublicKey(text)));
    } catch {
      // An unusable key has no id; the subscription's sync error already names the problem.
    }
  }
  return ids;
}

const MANAGED_WAIT_MS = 1_000;
/**
 * A lookup of more text than this waits for the whole lists rather than have its features
 * extracted twice (once to know which values to read, once to match): a cold start's lookup is
 * usually one post, and its second extraction costs well under a millisecond.
 */
const PARTIAL_LOOKUP_MAX_CHARS = 20_000;

/** Tab reports live in storage.session: they must survive the worker stopping, not the browser. */
class TabStates {
  /** Reports from several frames of one tab arrive together; updates of one tab run one at a time. */
  private readonly queues = new Map<number, Promise<unknown>>();

  constructor(private readonly session: BackgroundBrowser['storage']['session']) {}

  async get(tabId: number): Promise<TabState | null> {
    const key = `tab:${tabId}`;
    return ((await this.session.get(key))[key] as TabState | undefined) ?? null;
  }

  update<T>(
    tabId: number,
    change: (state: TabState | null) => Promise<{ state: TabState; result: T }>,
  ): Promise<T> {
    return this.enqueue(tabId, async () => {
      const { state, result } = await change(await this.get(tabId));
      await this.session.set({ [`tab:${tabId}`]: state });
      return result;
    });
  }

  remove(tabId: number): Promise<void> {
    return this.enqueue(tabId, () => this.session.remove(`tab:${tabId}`));
  }

  private enqueue<T>(tabId: number, task: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(tabId) ?? Promise.resolve()).then(task);
    const settled = run.catch(() => undefined);
    this.queues.set(tabId, settled);
    void settled.then(() => {
      if (this.queues.get(tabId) === settled) this.queues.delete(tabId);
    });
    return run;
  }
}

class BackgroundService implements Background {
  private readonly browser: BackgroundBrowser;
  private readonly tabs: TabStates;
  private readonly lists = new Map<string, LoadedList>();
  private readonly inFlight = new Map<string, Promise<SyncResult>>();
  private subscriptions: Subscription[] = [];
  private earlyRead: Promise<EarlyList[]> | undefined;
  /** Lists of this.lists whose values are not all read yet (open()), and their whole read once asked for. */
  private readonly partial = new Map<string, { list: PartialList; whole: Promise<void> | null }>();
  private scannerWarm = false;
  /** Read in an older layout by open(); load() rewrites them. */
  private legacy: StoredList[] = [];

  /**
   * The settings as last read or written (null: not known). Only this worker's handlers change them,
   * each replacing this with what it wrote, so a lookup need not ask IndexedDB every time.
   */
  private knownSettings: Promise<Settings | null>;

  constructor(private readonly deps: BackgroundDeps) {
    this.browser = deps.browser;
    this.tabs = new TabStates(deps.browser.storage.session);
    this.earlyRead = deps.earlyRead;
    this.knownSettings = deps.earlySettings?.catch(() => null) ?? Promise.resolve(null);
  }

  private async settings(): Promise<Settings> {
    const before = this.knownSettings;
    const known = await before;
    if (known) return known;
    const read = this.database().then((store) => store.getSettings());
    // Unless a write came meanwhile: this read may have been asked for before it.
    if (this.knownSettings === before) this.knownSettings = read.catch(() => null);
    return read;
  }

  private async updateSettings(store: LeakwatchStore, change: Partial<Settings>): Promise<void> {
    this.knownSettings = Promise.resolve(await store.updateSettings(change));
  }

  // ---- loading -------------------------------------------------------------------------------

  /**
   * A restarted worker answers lookups as soon as the stored lists are read and compiled: its
   * first lookup is usually what woke it. Which lists are configured (build, policy, user), the
   * clean-up of what a crash left and the alarm come after, in store(). Until then the lists in
   * use are the active ones the last worker left, each verified when it was stored: a list whose
   * subscription has gone since is dropped when store() finishes, moments later.
   */
  private readonly database = untilFailure(() => this.open());

  private async open(): Promise<LeakwatchStore> {
    const store = new LeakwatchStore(await this.deps.openDb());
    const early = this.earlyRead;
    this.earlyRead = undefined;
    const stored = (await early?.catch(() => null)) ?? (await store.readAllActiveHeads());
    performance.mark('leakwatch:worker-lists-read');
    const whole: StoredList[] = [];
    for (const read of stored) {
      const { subId } = read.header;
      if (isHead(read)) {
        const list = new PartialList(read);
        this.lists.set(subId, { header: read.header, compiled: list.compiled });
        this.partial.set(subId, { list, whole: null });
      } else {
        this.lists.set(subId, { header: read.header, compiled: compileList(read.list, read.index) });
        whole.push(read);
      }
    }
    performance.mark('leakwatch:worker-lists-compiled');
    this.legacy = whole.filter((s) => s.legacy);
    return store;
  }

  /** The partial lists still in use; any other was replaced (a sync) or dropped meanwhile. */
  private partialInUse(): [string, PartialList][] {
    const inUse: [string, PartialList][] = [];
    for (const [subId, { list }] of this.partial) {
      if (list.owns(this.lists.get(subId)?.compiled)) inUse.push([subId, list]);
      else this.partial.delete(subId);
    }
    return inUse;
  }

  /** Reads a partial list whole and puts it in its place, unless something replaced it meanwhile. */
  private readWhole(subId: string): Promise<void> {
    const entry = this.partial.get(subId);
    if (!entry) return Promise.resolve();
    entry.whole ??= readWhole(entry.list.head).then(
      (stored) => {
        const loaded = this.lists.get(subId);
        if (loaded && entry.list.owns(loaded.compiled))
          this.lists.set(subId, { header: loaded.header, compiled: compileList(stored.list, stored.index) });
        if (this.partial.get(subId) === entry) this.partial.delete(subId);
      },
      (err: unknown) => {
        // The partial list keeps answering from slices; the next lookup that needs it whole retries.
        entry.whole = null;
        throw err;
      },
    );
    return entry.whole;
  }

  /**
   * listsReady, and the values the lookup of `blocks` reads: those of the buckets its fingerprints
   * fall in while a list is partial (a small lookup), or the whole lists (a large one). The
   * whole read of the lists starts once a small lookup has its values, so it does not delay them.
   */
  private async listsReadyFor(blocks: readonly BlockText[]): Promise<void> {
    const ready = this.listsReady();
    const small = blocks.reduce((n, b) => n + b.text.length, 0) <= PARTIAL_LOOKUP_MAX_CHARS;
    if (!this.scannerWarm && small) {
      // This thread is idle while the browser reads the lists: the text scanner builds its tables
      // and gets compiled meanwhile, rather than once the lists are in (lists-compiled to
      // values-read went from 18-19 ms to 7-10 ms in Chromium 156).
      this.scannerWarm = true;
      for (const block of blocks) extractFeatures(block.text, block.links, []);
    }
    await ready;
    const partial = this.partialInUse();
    if (partial.length === 0) return;
    if (!small) {
      await Promise.all(partial.map(([subId]) => this.readWhole(subId)));
      return;
    }
    const params = paramSetsOf([...this.lists.values()].map((l) => l.compiled));
    const features = blocks.map((block) => extractFeatures(block.text, block.links, params));
    await Promise.all(
      partial.map(async ([subId, list]) => {
        await list.fill(features.flatMap((f) => f.fingerprints[list.compiled.paramsKey] ?? []));
        const loaded = this.lists.get(subId);
        if (loaded && list.owns(loaded.compiled))
          this.lists.set(subId, { ...loaded, compiled: list.compiled });
      }),
    );
    performance.mark('leakwatch:worker-values-read');
    setTimeout(() => {
      for (const [subId] of this.partialInUse())
        this.readWhole(subId).catch((err: unknown) => console.warn(`Leakwatch: ${describeError(err)}`));
    }, 0);
  }

  /** The first event after a worker (re)start loads everything from IndexedDB; later ones reuse it. */
  private readonly store = untilFailure(() => this.load());

  private async load(): Promise<LeakwatchStore> {
    const store = await this.database();
    const subscriptions = await this.configuredSubscriptions(store);
    // Only here, before any sync of this worker runs, can half-written generations be told apart
    // from one that a running sync is about to switch to.
    await store.prune(subscriptions.map((s) => s.id));
    await this.useSubscriptions(store, subscriptions);
    await this.rewriteLegacyLists(store);
    await this.scheduleAlarm(store);
    return store;
  }

  /**
   * Lists stored in an older layout (version 1's chunks, no index or an older one) are rewritten
   * once, before any sync of this worker can replace them; a failure leaves them readable as they
   * are, to be rewritten at the next start.
   */
  private async rewriteLegacyLists(store: LeakwatchStore): Promise<void> {
    const legacy = this.legacy;
    this.legacy = [];
    for (const stored of legacy) {
      const loaded = this.lists.get(stored.header.subId);
      if (loaded?.header.gen !== stored.header.gen) continue;
      try {
        this.lists.set(stored.header.subId, { ...loaded, header: await store.rewriteLegacy(stored) });
      } catch (err) {
        console.warn(`Leakwatch: ${describeError(err)}`);
      }
    }
  }

  private async useSubscriptions(store: LeakwatchStore, subscriptions: Subscription[]): Promise<void> {
    const ids = new Set(subscriptions.map((s) => s.id));
    for (const old of this.subscriptions) {
      if (ids.has(old.id)) continue;
      this.lists.delete(old.id);
      await store.deleteSubscriptionData(old.id);
    }
    // Read by database() before the configuration was known; prune() has deleted their data.
    for (const id of this.lists.keys()) if (!ids.has(id)) this.lists.delete(id);
    for (const sub of subscriptions) {
      if (this.lists.has(sub.id)) continue;
      const stored = await store.readActive(sub.id);
      if (stored)
        this.lists.set(sub.id, { header: stored.header, compiled: compileList(stored.list, stored.index) });
    }
    this.subscriptions = subscriptions;
  }

  private async configuredSubscriptions(store: LeakwatchStore): Promise<Subscription[]> {
    const fallback = await defaultSubscription(this.deps.build, {
      url: this.browser.runtime.getURL(BUNDLED_LIST_PATH),
      publicKey: () => this.bundledKey(),
    });
    const managed = await managedSubscriptions(await this.readManaged());
    for (const problem of managed.problems) console.warn(`Leakwatch: ${problem}`);
    const user = (await store.getUserSubscriptions()).map(userSubscription);
    return mergeSubscriptions([fallback], managed.subscriptions, user);
  }

  private async bundledKey(): Promise<string | null> {
    try {
      const response = await this.deps.fetch(this.browser.runtime.getURL(BUNDLED_KEY_PATH), {});
      return response.ok ? (await response.text()).trim() : null;
    } catch {
      return null;
    }
  }

  /**
   * Managed storage can take half a minute to answer in Chromium while its policy service starts,
   * so a read waits for it only briefly; a late answer is applied like a policy change. Firefox
   * throws when no policy exists for the extension: that means "no managed lists".
   */
  private async readManaged(): Promise<unknown> {
    let value: unknown;
    const read = this.browser.storage.managed.get('subscriptions').then(
      (items) => {
        value = items.subscriptions;
        return true;
      },
      () => true,
    );
    const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), MANAGED_WAIT_MS));
    if (await Promise.race([read, timeout])) return value;
    read
      .then(() => this.onManagedChanged())
      .catch((err: unknown) => console.error(`Leakwatch: ${describeError(err)}`));
    return undefined;
  }

  /**
   * Lookups wait for the stored lists only; the rest of the loading runs behind them. Before the
   * first list exists they wait for the first sync (offline: the packaged list).
   */
  private async listsReady(): Promise<void> {
    await this.database();
    const loaded = this.store();
    if (this.lists.size > 0) {
      loaded.catch((err: unknown) => console.error(`Leakwatch: ${describeError(err)}`));
      return;
    }
    await loaded;
    if (this.lists.size === 0) await this.syncDue();
  }

  // ---- sync ----------------------------------------------------------------------------------

  private syncOne(store: LeakwatchStore, sub: Subscription): Promise<SyncResult> {
    const running = this.inFlight.get(sub.id);
    if (running) return running;
    const deps = { store, fetch: this.deps.fetch, now: this.deps.now, random: this.deps.random };
    const run = syncSubscription(deps, sub)
      .then(async (result) => {
        if (result.outcome !== 'updated') return result;
        if (this.subscriptions.some((s) => s.id === sub.id)) {
          const compiled = compileList(result.verified.list, result.index);
          this.lists.set(sub.id, { header: result.header, compiled });
        } else {
          await store.deleteSubscriptionData(sub.id); // removed while it was downloading
        }
        return result;
      })
      .finally(() => this.inFlight.delete(sub.id));
    this.inFlight.set(sub.id, run);
    return run;
  }

  private async syncMatching(due: (state: SyncState, now: number) => boolean): Promise<void> {
    const store = await this.store();
    const now = this.deps.now();
    const selected: Subscription[] = [];
    for (const sub of this.subscriptions) if (due(await store.getSyncState(sub.id), now)) selected.push(sub);
    await Promise.all(selected.map((sub) => this.syncOne(store, sub)));
    await this.scheduleAlarm(store);
  }

  private syncDue(): Promise<void> {
    return this.syncMatching((state, now) => state.nextSync === null || state.nextSync <= now);
  }

  private syncAll(): Promise<void> {
    return this.syncMatching(() => true);
  }

  /** One alarm for the earliest due subscription; alarms outlive the worker, timers do not. */
  private async scheduleAlarm(store: LeakwatchStore): Promise<void> {
    const now = this.deps.now();
    const times: number[] = [];
    for (const sub of this.subscriptions) times.push((await store.getSyncState(sub.id)).nextSync ?? now);
    if (times.length === 0) {
      await this.browser.alarms.clear(SYNC_ALARM);
      return;
    }
    const soonest = now + MIN_ALARM_DELAY_MS;
    const when = Math.max(Math.min(...times), soonest);
    // Every worker start gets here: re-creating an overdue alarm 30 s ahead each time would postpone
    // it for as long as the worker keeps restarting.
    const pending = await this.browser.alarms.get(SYNC_ALARM);
    if (when === soonest && pending && pending.scheduledTime > now && pending.scheduledTime <= when) return;
    await this.browser.alarms.create(SYNC_ALARM, { when });
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  async onInstalled(): Promise<void> {
    await this.syncAll();
  }

  async onStartup(): Promise<void> {
    await this.syncDue();
  }

  async onAlarm(alarm: { name: string }): Promise<void> {
    if (alarm.name === SYNC_ALARM) await this.syncDue();
  }

  /** A new document starts with a clean slate; a jump to an anchor keeps the page and its warnings. */
  async onTabUpdated(tabId: number, change: { status?: string; url?: string }): Promise<void> {
    if (change.status !== 'loading') return;
    const state = await this.tabs.get(tabId);
    if (state && change.url && withoutFragment(change.url) === withoutFragment(state.url)) return;
    await this.tabs.remove(tabId);
    await this.browser.action.setBadgeText({ tabId, text: '' });
  }

  async onTabRemoved(tabId: number): Promise<void> {
    await this.tabs.remove(tabId);
  }

  async onManagedChanged(): Promise<void> {
    const store = await this.store();
    await this.useSubscriptions(store, await this.configuredSubscriptions(store));
    await this.syncDue();
  }

  async onHostAccessGranted(): Promise<void> {
    await this.syncMatching((state) => state.failures > 0 || state.lastSuccess === null);
  }

  // ---- messages ------------------------------------------------------------------------------

  private isContentScript(sender: MessageSenderLike): boolean {
    return sender.tab !== undefined && !(sender.url ?? '').startsWith(this.browser.runtime.getURL('/'));
  }

  async handleMessage(raw: unknown, sender: MessageSenderLike): Promise<Reply<unknown>> {
    if (sender.id !== undefined && sender.id !== this.browser.runtime.id) {
      return { ok: false, error: 'messages from other extensions are not accepted' };
    }
    const parsed = requestSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, error: 'invalid request' };
    const request = parsed.data;
    if (this.isContentScript(sender) && !CONTENT_SCRIPT_REQUESTS.has(request.type)) {
      return { ok: false, error: `"${request.type}" is not allowed from a web page` };
    }
    const handler = this.handlers[request.type] as (r: Request, s: MessageSenderLike) => Promise<unknown>;
    try {
      return { ok: true, value: await handler(request, sender) };
    } catch (err) {
      return { ok: false, error: describeError(err) };
    }
  }

  private readonly handlers: Handlers = {
    hello: (_request, sender) => this.hello(sender),
    lookup: async (request, sender) => {
      const blocks = unpackLookup(request);
      await this.listsReadyFor(blocks);
      if (await this.isPaused(sender.tab?.url)) return { results: blocks.map(() => []), details: [] };
      const compiled = [...this.lists.values()].map((l) => l.compiled);
      const results = blocks.map((block) => scanBlock(compiled, block.text, block.links));
      const found = new Map(results.flat().map((f) => [`${f.listId}\u0000${f.entry}`, f]));
      const details = [...found.values()].flatMap((f) => this.entryDetails(f.listId, f.entry));
      return details.length > 0 ? { results, details, strings: this.warningStrings() } : { results, details };
    },
    'entry-details': async (request) => {
      await this.listsReady();
      return { details: request.entries.flatMap((wanted) => this.entryDetails(wanted.listId, wanted.entry)) };
    },
    report: (request, sender) => this.report(request, sender),
    'popup-state': (request) => this.popupState(request.tabId),
    'update-now': async () => {
      await this.syncAll();
      return this.optionsState();
    },
    'set-site-paused': async (request) => {
      const store = await this.store();
      const host = request.host.trim().toLowerCase();
      const sites = new Set((await store.getSettings()).pausedSites);
      if (request.paused) sites.add(host);
      else sites.delete(host);
      await this.updateSettings(store, { pausedSites: [...sites].sort() });
      return this.optionsState();
    },
    'get-options': () => this.optionsState(),
    'add-subscription': (request) => this.addSubscription(request),
    'remove-subscription': (request) => this.removeSubscription(request.id),
    'set-research-mode': async (request) => {
      await this.updateSettings(await this.store(), { researchMode: request.on });
      return this.optionsState();
    },
    'clear-log': async () => {
      await (await this.store()).clearLog();
      return this.optionsState();
    },
  };

  private warningTemplates: WarningTemplates | undefined;

  /** What warnings say, for content scripts (lib/warning-strings.ts); none when i18n fails. */
  private warningStrings(): WarningTemplates | undefined {
    try {
      this.warningTemplates ??= warningTemplates((key, substitutions) =>
        this.browser.i18n.getMessage(key, substitutions),
      );
    } catch {
      // The content script asks its own i18n instead.
    }
    return this.warningTemplates;
  }

  private async isPaused(url: string | undefined): Promise<boolean> {
    const host = hostOf(url);
    return host !== null && (await this.settings()).pausedSites.includes(host);
  }

  /** Texts of one entry for a warning; several subscriptions may carry the list: the newest wins. */
  private entryDetails(listId: string, entryId: string): EntryDetails[] {
    const newest = [...this.lists.values()]
      .filter(({ header }) => header.listId === listId)
      .sort((a, b) => b.header.version - a.header.version)[0];
    const found = newest?.header.meta.entries.find((e) => e.id === entryId);
    if (!newest || !found) return [];
    const { id, hashtags: _hashtags, urlPatterns: _urlPatterns, ...texts } = found;
    const { meta } = newest.header;
    return [{ ...texts, listId, entry: id, listVersion: meta.version, publisher: meta.publisher }];
  }

  private async hello(sender: MessageSenderLike): Promise<HelloReply> {
    await this.listsReady();
    const settings = await this.settings();
    return {
      scan: this.lists.size > 0 && !(await this.isPaused(sender.tab?.url)),
      researchMode: settings.researchMode,
    };
  }

  /**
   * The content script reports what it shows now; the page URL comes from the browser (sender.tab),
   * never from the message, so a page cannot write another site into the research log.
   */
  private async report(
    request: Extract<Request, { type: 'report' }>,
    sender: MessageSenderLike,
  ): Promise<null> {
    const tabId = sender.tab?.id;
    const url = sender.tab?.url;
    if (tabId === undefined || url === undefined)
      throw new LeakwatchError('bad-input', 'a report must come from a tab');
    const frame = String(sender.frameId ?? 0);
    const { flagged, added } = await this.tabs.update(tabId, async (previous) => {
      const state: TabState = previous?.url === url ? previous : { url, frames: {} };
      const before = new Set((state.frames[frame]?.findings ?? []).map(findingKey));
      state.frames[frame] = { flaggedBlocks: request.flaggedBlocks, findings: request.findings };
      const flagged = Object.values(state.frames).reduce((n, f) => n + f.flaggedBlocks, 0);
      return {
        state,
        result: { flagged, added: request.findings.filter((f) => !before.has(findingKey(f))) },
      };
    });
    if (flagged > 0) await this.browser.action.setBadgeBackgroundColor({ tabId, color: BADGE_COLOR });
    await this.browser.action.setBadgeText({ tabId, text: badgeText(flagged) });
    await this.logFindings(url, added);
    return null;
  }

  private async logFindings(pageUrl: string, findings: readonly FindingMessage[]): Promise<void> {
    const store = await this.store();
    if (findings.length === 0 || !(await store.getSettings()).researchMode) return;
    const time = this.deps.now();
    const records: LogRecord[] = findings.map((f) => ({
      time,
      pageUrl,
      listId: f.listId,
      entry: f.entry,
      kind: f.kind,
      matched: f.strength.matched,
      total: f.strength.total,
    }));
    await store.appendLog(records);
  }

  private async tabUrl(tabId: number, state: TabState | null): Promise<string | undefined> {
    if (state) return state.url;
    try {
      return (await this.browser.tabs.get(tabId)).url;
    } catch {
      return undefined; // the tab is gone, or the URL is not ours to see
    }
  }

  private async popupState(tabId: number): Promise<PopupState> {
    const store = await this.store();
    const state = await this.tabs.get(tabId);
    const host = hostOf(await this.tabUrl(tabId, state));
    const settings = await store.getSettings();
    const frames = Object.values(state?.frames ?? {});
    const loaded = [...this.lists.values()];
    return {
      host,
      paused: host !== null && settings.pausedSites.includes(host),
      researchMode: settings.researchMode,
      flaggedBlocks: frames.reduce((n, f) => n + f.flaggedBlocks, 0),
      findings: mergeFindings(frames),
      subscriptions: await this.subscriptionViews(store),
      entries: loaded.flatMap(({ header }) =>
        header.meta.entries.map((entry) => ({
          listId: header.listId,
          entry,
          publisher: activeView(header.meta, header),
        })),
      ),
      contexts: loaded.flatMap(({ header }) => header.meta.contexts),
    };
  }

  private async subscriptionViews(store: LeakwatchStore): Promise<SubscriptionView[]> {
    const now = this.deps.now();
    const views: SubscriptionView[] = [];
    for (const sub of this.subscriptions) {
      const state = await store.getSyncState(sub.id);
      const header = this.lists.get(sub.id)?.header ?? null;
      const intervalMs = (header?.meta.syncIntervalHours ?? DEFAULT_SYNC_INTERVAL_HOURS) * 3_600_000;
      views.push({
        id: sub.id,
        url: sub.url,
        origin: sub.origin,
        keyIds: await keyIdsOf([...sub.publicKeys, ...state.rotatedKeys]),
        active: header ? activeView(header.meta, header) : null,
        lastSuccess: state.lastSuccess,
        lastAttempt: state.lastAttempt,
        lastError: state.lastError,
        nextSync: state.nextSync,
        stale: header !== null && now - (state.lastSuccess ?? header.storedAt) > STALE_INTERVALS * intervalMs,
        expired: header !== null && Date.parse(header.meta.expiresAt) <= now,
      });
    }
    return views;
  }

  private async optionsState(): Promise<OptionsState> {
    const store = await this.store();
    const settings = await store.getSettings();
    return {
      subscriptions: await this.subscriptionViews(store),
      researchMode: settings.researchMode,
      pausedSites: settings.pausedSites,
      log: await store.readLog(),
    };
  }

  /** Saved first, then synced: a failed first download stays visible as the subscription's error. */
  private async addSubscription(
    request: Extract<Request, { type: 'add-subscription' }>,
  ): Promise<OptionsState> {
    const store = await this.store();
    const record = await newUserSubscription(request, this.subscriptions, this.deps.now());
    await store.putUserSubscription(record);
    const sub = userSubscription(record);
    this.subscriptions = [...this.subscriptions, sub];
    await this.syncOne(store, sub);
    await this.scheduleAlarm(store);
    return this.optionsState();
  }

  private async removeSubscription(id: string): Promise<OptionsState> {
    const store = await this.store();
    const sub = this.subscriptions.find((s) => s.id === id);
    if (!sub) throw new LeakwatchError('bad-input', 'no such subscription');
    if (sub.origin !== 'user') {
      throw new LeakwatchError(
        'bad-input',
        'this list is part of the extension or set by policy and cannot be removed',
      );
    }
    this.subscriptions = this.subscriptions.filter((s) => s.id !== id);
    this.lists.delete(id);
    await store.deleteSubscriptionData(id);
    await this.scheduleAlarm(store);
    return this.optionsState();
  }
}

/** `start`'s promise, shared by every call until it fails; the call after a failure starts again. */
function untilFailure<T>(start: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => {
    running ??= start().catch((err: unknown) => {
      running = null;
      throw err;
    });
    return running;
  };
}

export function createBackground(deps: BackgroundDeps): Background {
  return new BackgroundService(deps);
}
