import { openDB } from 'idb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import {
  type BackgroundDeps,
  createBackground,
  type MessageSenderLike,
  SYNC_ALARM,
} from '../../lib/background';
import { type BlockText, packLookup } from '../../lib/lookup-limits';
import type { HelloReply, LookupReply, OptionsState, PopupState, Reply } from '../../lib/messages';
import { emptySyncState, LeakwatchStore, openLeakwatchDb } from '../../lib/store';
import { WARNING_MESSAGE_KEYS } from '../../lib/warning-strings';
import { freshDbName } from './helpers/db';
import {
  makeList,
  newSigner,
  signedList,
  TEST_NOW,
  TEST_PASSAGE,
  type TestListOptions,
  type TestSigner,
} from './helpers/lists';

const EXT = `chrome-extension://${fakeBrowser.runtime.id}`;
const BUNDLED_URL = `${EXT}/lists/default.lwl`;
const BUNDLED_KEY_URL = `${EXT}/lists/default.pub`;
const PAGE = 'https://news.example/story';
const HOUR = 3_600_000;

const content = (tabId = 7, url = PAGE, frameId = 0): MessageSenderLike => ({
  id: fakeBrowser.runtime.id,
  url,
  frameId,
  tab: { id: tabId, url },
});
const extensionPage: MessageSenderLike = { id: fakeBrowser.runtime.id, url: `${EXT}/options.html` };

const block = (text: string, links: string[] = []) => ({ text, links });
/** A lookup request as the content script sends it. */
const lookup = (blocks: BlockText[]) => ({ type: 'lookup', ...packLookup(blocks) });

const finding = {
  kind: 'hashtag' as const,
  listId: 'test-list',
  entry: 'test-leak',
  strength: { matched: 1, total: 1 },
};

/** The network and the extension package: URL -> body; anything else fails like an offline fetch. */
class Files {
  readonly routes = new Map<string, () => Response>();
  readonly calls: string[] = [];

  serve(url: string, body: Uint8Array | string, init: ResponseInit = {}): void {
    this.routes.set(url, () => new Response(typeof body === 'string' ? body : new Uint8Array(body), init));
  }

  readonly fetch: BackgroundDeps['fetch'] = async (url) => {
    this.calls.push(url);
    const route = this.routes.get(url);
    if (!route) throw new TypeError('fetch failed');
    return route();
  };
}

let signer: TestSigner;
let files: Files;
let dbName: string;
let clock: number;

async function list(options: TestListOptions = {}, by: TestSigner = signer): Promise<Uint8Array> {
  return signedList(by, options);
}

function makeBackground(overrides: Partial<BackgroundDeps> = {}) {
  return createBackground({
    browser: fakeBrowser,
    fetch: files.fetch,
    now: () => clock,
    random: () => 0.5,
    openDb: () => openLeakwatchDb(dbName),
    build: { listUrl: null, publicKeys: [] },
    ...overrides,
  });
}

type Bg = ReturnType<typeof makeBackground>;

async function ask<T>(bg: Bg, message: unknown, sender: MessageSenderLike = extensionPage): Promise<T> {
  const reply = await bg.handleMessage(message, sender);
  if (!reply.ok) throw new Error(`unexpected refusal: ${reply.error}`);
  return reply.value as T;
}

beforeEach(async () => {
  fakeBrowser.reset();
  signer = await newSigner();
  files = new Files();
  dbName = freshDbName();
  clock = TEST_NOW;
  files.serve(BUNDLED_URL, await list());
  files.serve(BUNDLED_KEY_URL, `${signer.publicKeyText}\n`);
});

describe('lists and lookups', () => {
  it('installs the packaged list on install and matches blocks against it', async () => {
    const bg = makeBackground();
    await bg.onInstalled();
    const hello = await ask<HelloReply>(bg, { type: 'hello' }, content());
    expect(hello).toEqual({ scan: true, researchMode: false });
    const words = TEST_PASSAGE.split(' ');
    const { results, details } = await ask<LookupReply>(
      bg,
      lookup([
        block('Read it all: #TestLeaks'),
        block(`as quoted: ${words.slice(0, 6).join(' ')}`),
        block(`as quoted: ${words.slice(0, 5).join(' ')}`),
        block('nothing to see', ['https://example.org/search?q=%23testleaks']),
      ]),
      content(),
    );
    expect(results[0]).toEqual([
      expect.objectContaining({ kind: 'hashtag', listId: 'test-list', entry: 'test-leak' }),
    ]);
    // Six words are two shingles of five, both in the list: the threshold is two.
    expect(results[1]).toEqual([
      expect.objectContaining({ kind: 'fingerprint', strength: { matched: 2, total: 4 } }),
    ]);
    expect(results[2]).toEqual([]);
    expect(results[3]).toEqual([expect.objectContaining({ kind: 'hashtag' })]);
    // What the warnings show of the entry comes with the findings, once.
    expect(details).toEqual([
      expect.objectContaining({ listId: 'test-list', entry: 'test-leak', listVersion: 1 }),
    ]);
    const clean = await ask<LookupReply>(bg, lookup([block('#unrelated')]), content());
    expect(clean).toEqual({ results: [[]], details: [] });
  });

  it("sends what warnings say with the findings, from the worker's i18n, or nothing when it fails", async () => {
    const getMessage = vi
      .spyOn(fakeBrowser.i18n, 'getMessage')
      .mockImplementation((key: string, substitutions?: string | (string | number)[]) =>
        key === 'whyButton' ? 'Why?' : `${key} ${[substitutions ?? []].flat().join(',')}`,
      );
    try {
      const bg = makeBackground();
      await bg.onInstalled();
      const flagged = await ask<LookupReply>(bg, lookup([block('#testleaks')]), content());
      expect(flagged.strings?.whyButton).toBe('Why?');
      expect(flagged.strings?.disputeLinkFor).toBe(
        `disputeLinkFor ${Array.from({ length: 9 }, (_, i) => `\uE000${i + 1}`).join(',')}`,
      );
      expect(Object.keys(flagged.strings ?? {})).toHaveLength(WARNING_MESSAGE_KEYS.length);
      expect(await ask<LookupReply>(bg, lookup([block('#unrelated')]), content())).toEqual({
        results: [[]],
        details: [],
      });
      getMessage.mockImplementation(() => {
        throw new Error('no i18n here');
      });
      const failing = makeBackground();
      await failing.onInstalled();
      const reply = await ask<LookupReply>(failing, lookup([block('#testleaks')]), content());
      expect(reply.results[0]).toHaveLength(1);
      expect(reply.strings).toBeUndefined();
    } finally {
      getMessage.mockRestore();
    }
  });

  it('works offline on first use: a lookup before any event waits for the packaged list', async () => {
    const bg = makeBackground();
    expect((await ask<HelloReply>(bg, { type: 'hello' }, content())).scan).toBe(true);
    expect(files.calls.filter((u) => u.startsWith('https:'))).toEqual([]);
  });

  it('uses a build-time list server instead of the packaged list', async () => {
    const url = 'https://lists.example/leaks.lwl';
    files.serve(url, await list({ version: 4 }));
    const bg = makeBackground({ build: { listUrl: url, publicKeys: [signer.publicKeyText] } });
    await bg.onInstalled();
    const { subscriptions } = await ask<OptionsState>(bg, { type: 'get-options' });
    expect(subscriptions).toEqual([expect.objectContaining({ url, origin: 'build', lastError: null })]);
    expect(subscriptions[0]?.active?.version).toBe(4);
    expect(files.calls).not.toContain(BUNDLED_URL);
  });

  it('shows an unreachable build-time server as an error and does not scan', async () => {
    const bg = makeBackground({
      build: { listUrl: 'https://down.example/l.lwl', publicKeys: [signer.publicKeyText] },
    });
    await bg.onInstalled();
    const { subscriptions } = await ask<OptionsState>(bg, { type: 'get-options' });
    expect(subscriptions[0]).toMatchObject({
      active: null,
      lastError: expect.stringMatching(/could not reach/),
    });
    expect((await ask<HelloReply>(bg, { type: 'hello' }, content())).scan).toBe(false);
  });

  it('reloads the active lists from IndexedDB when the worker restarts', async () => {
    await makeBackground().onInstalled();
    files.routes.clear();
    files.calls.length = 0;
    const restarted = makeBackground();
    const { results } = await ask<LookupReply>(restarted, lookup([block('#testleaks')]), content());
    expect(results[0]).toHaveLength(1);
    expect(files.calls).not.toContain(BUNDLED_URL);
  });

  it("answers a restarted worker's lookups from parts of the stored list, then from all of it", async () => {
    await makeBackground().onInstalled();
    const quote = block(`as quoted: ${TEST_PASSAGE}`);
    const expected = (await ask<LookupReply>(makeBackground(), lookup([quote]), content())).results;
    expect(expected[0]).toEqual([expect.objectContaining({ kind: 'fingerprint' })]);
    const early = () => openLeakwatchDb(dbName).then((db) => new LeakwatchStore(db).readAllActiveHeads());
    // A small lookup reads the values it needs; the whole list is read behind it, for the next ones.
    const restarted = makeBackground({ earlyRead: early() });
    const small = lookup([block('nothing here'), quote]);
    expect((await ask<LookupReply>(restarted, small, content())).results).toEqual([[], expected[0]]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await ask<LookupReply>(restarted, small, content())).results).toEqual([[], expected[0]]);
    // A large one waits for the whole list.
    const large = lookup([block('filler '.repeat(4_000)), quote]);
    expect(
      (await ask<LookupReply>(makeBackground({ earlyRead: early() }), large, content())).results,
    ).toEqual([[], expected[0]]);
  });

  it('answers a restarted lookup from the stored lists, before the rest of its loading is done', async () => {
    await makeBackground().onInstalled();
    // Policy storage that never answers: the loading behind the lookup waits for it a second.
    const slowBrowser = {
      ...fakeBrowser,
      storage: {
        ...fakeBrowser.storage,
        managed: { ...fakeBrowser.storage.managed, get: () => new Promise<never>(() => {}) },
      },
    } as typeof fakeBrowser;
    let opened = 0;
    const restarted = makeBackground({
      browser: slowBrowser,
      openDb: () => {
        opened++;
        return openLeakwatchDb(dbName);
      },
      earlyRead: openLeakwatchDb(dbName).then((db) => new LeakwatchStore(db).readAllActive()),
    });
    const started = performance.now();
    const { results } = await ask<LookupReply>(restarted, lookup([block('#testleaks')]), content());
    expect(results[0]).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(500);
    expect(opened).toBe(1);
  });

  it('drops a stored list whose subscription went away once the loading is done', async () => {
    await makeBackground().onInstalled();
    const url = 'https://lists.example/other.lwl';
    files.serve(url, await list({ listId: 'other-list' }));
    const rebuilt = makeBackground({ build: { listUrl: url, publicKeys: [signer.publicKeyText] } });
    await ask<LookupReply>(rebuilt, lookup([block('#testleaks')]), content());
    const { subscriptions } = await ask<OptionsState>(rebuilt, { type: 'get-options' });
    expect(subscriptions.map((s) => s.origin)).toEqual(['build']);
    const { results } = await ask<LookupReply>(rebuilt, lookup([block('#testleaks')]), content());
    expect(results[0]).toEqual([expect.objectContaining({ listId: 'other-list' })]);
    const db = await openLeakwatchDb(dbName);
    expect(await db.getAllKeys('active')).toEqual([subscriptions[0]!.id]);
    db.close();
  });

  it('reads a list stored by version 1 of the database and rewrites it in the current layout', async () => {
    const decoded = makeList({ hashtags: ['testleaks'], fingerprints: [11, 22, 33] });
    const header = {
      subId: 'bundled',
      gen: 4,
      listId: 'test-list',
      version: 1,
      keyId: '0011223344556677',
      digest: 'digest-1',
      meta: decoded.meta,
      storedAt: TEST_NOW - HOUR,
    };
    const state = { ...emptySyncState('bundled'), lastSuccess: TEST_NOW - HOUR, nextSync: TEST_NOW + HOUR };
    const v1 = await openDB(dbName, 1, {
      upgrade(db) {
        db.createObjectStore('generations', { keyPath: ['subId', 'gen'] });
        db.createObjectStore('chunks', { keyPath: ['subId', 'gen', 'entry', 'part'] });
        db.createObjectStore('active', { keyPath: 'subId' });
        db.createObjectStore('sync', { keyPath: 'subId' });
        db.createObjectStore('subscriptions', { keyPath: 'id' });
        db.createObjectStore('settings');
        db.createObjectStore('log', { autoIncrement: true });
      },
    });
    await v1.put('generations', header);
    await v1.put('chunks', { subId: 'bundled', gen: 4, entry: 0, part: 0, values: decoded.fingerprints[0] });
    await v1.put('active', {
      subId: 'bundled',
      gen: 4,
      version: 1,
      digest: 'digest-1',
      syncIntervalHours: 6,
    });
    await v1.put('sync', state);
    v1.close();

    const bg = makeBackground();
    const { results } = await ask<LookupReply>(bg, lookup([block('#testleaks')]), content());
    expect(results[0]).toHaveLength(1);
    const { subscriptions } = await ask<OptionsState>(bg, { type: 'get-options' });
    expect(subscriptions[0]).toMatchObject({ lastSuccess: state.lastSuccess, nextSync: state.nextSync });
    expect(files.calls).not.toContain(BUNDLED_URL);

    const db = await openLeakwatchDb(dbName);
    expect(await db.getAllKeys('generations')).toEqual([['bundled', 5]]);
    expect(await db.count('chunks')).toBe(0);
    const stored = await new LeakwatchStore(db).readActive('bundled');
    expect(stored).toMatchObject({
      legacy: false,
      header: { digest: 'digest-1', storedAt: header.storedAt },
    });
    expect(Array.from(stored!.list.fingerprints[0]!)).toEqual([11, 22, 33]);
    db.close();
  });

  it('rewrites a list stored without the index, and reads the index back next time', async () => {
    await makeBackground().onInstalled();
    const before = await openLeakwatchDb(dbName);
    const [key] = await before.getAllKeys('fingerprints');
    const { index: _index, hashtagKeys: _keys, ...record } = (await before.get('fingerprints', key!))!;
    const size = record.fingerprints.size;
    const valuesSize = makeList().fingerprints[0]!.length * 8;
    await before.put('fingerprints', { ...record, fingerprints: record.fingerprints.slice(0, valuesSize) });
    before.close();
    expect(size).toBeGreaterThan(valuesSize);

    const bg = makeBackground();
    const { results } = await ask<LookupReply>(bg, lookup([block(`#testleaks ${TEST_PASSAGE}`)]), content());
    expect(results[0]?.map((f) => f.kind).sort()).toEqual(['fingerprint', 'hashtag']);
    await ask<OptionsState>(bg, { type: 'get-options' });

    const db = await openLeakwatchDb(dbName);
    const stored = await new LeakwatchStore(db).readActive(key![0]);
    expect(stored).toMatchObject({ legacy: false, header: { gen: key![1] + 1 } });
    expect(stored?.index).not.toBeNull();
    db.close();
  });

  it('keeps the list in use when an update fails, and shows why', async () => {
    const bg = makeBackground();
    await bg.onInstalled();
    const tampered = await list({ version: 2 });
    tampered[30] = tampered[30]! ^ 0xff;
    files.serve(BUNDLED_URL, tampered);
    const { subscriptions } = await ask<OptionsState>(bg, { type: 'update-now' });
    expect(subscriptions[0]).toMatchObject({
      origin: 'bundled',
      lastError: expect.stringMatching(/^refused the downloaded list/),
      nextSync: clock + 22.5 * 60_000,
    });
    expect(subscriptions[0]?.active?.version).toBe(1);
    const { results } = await ask<LookupReply>(bg, lookup([block('#testleaks')]), content());
    expect(results[0]).toHaveLength(1);
  });

  it('gives entry texts for warnings, without the hashtags and link patterns', async () => {
    const bg = makeBackground();
    const { details } = await ask<{ details: Record<string, unknown>[] }>(
      bg,
      {
        type: 'entry-details',
        entries: [
          { listId: 'test-list', entry: 'test-leak' },
          { listId: 'x', entry: 'y' },
        ],
      },
      content(),
    );
    expect(details).toHaveLength(1);
    expect(details[0]).toMatchObject({
      listId: 'test-list',
      entry: 'test-leak',
      listVersion: 1,
      authority: 'Test authority',
    });
    expect(details[0]).not.toHaveProperty('hashtags');
    expect(details[0]).not.toHaveProperty('urlPatterns');
  });
});

describe('message checks', () => {
  it('refuses privileged requests from content scripts', async () => {
    const bg = makeBackground();
    const message = {
      type: 'add-subscription',
      url: 'https://evil.example/l.lwl',
      publicKey: signer.publicKeyText,
    };
    const reply = await bg.handleMessage(message, content());
    expect(reply).toEqual({ ok: false, error: '"add-subscription" is not allowed from a web page' });
    for (const type of ['get-options', 'clear-log', 'update-now']) {
      expect((await bg.handleMessage({ type }, content())).ok).toBe(false);
    }
    expect((await ask<OptionsState>(bg, { type: 'get-options' })).subscriptions).toHaveLength(1);
  });

  it('accepts options requests from extension pages, also when opened in a tab', async () => {
    const bg = makeBackground();
    const inTab = { ...extensionPage, tab: { id: 3, url: `${EXT}/options.html` } };
    expect((await bg.handleMessage({ type: 'get-options' }, inTab)).ok).toBe(true);
  });

  it('answers invalid messages with ok:false', async () => {
    const bg = makeBackground();
    const invalid: unknown[] = [
      null,
      'hello',
      {},
      { type: 'nope' },
      { type: 'lookup' },
      lookup([block('x'.repeat(200_001))]),
      lookup([block('x'.repeat(150_000)), block('y'.repeat(150_000))]),
      lookup([block('a', ['not-a-link'.repeat(300)])]),
      { ...lookup([block('a')]), hashtags: ['x'] },
      // The form of lookups before texts and links travelled apart.
      { type: 'lookup', blocks: [block('a')] },
      { type: 'lookup', texts: ['a'], links: [[1, ['https://example.org/']]] },
      {
        type: 'lookup',
        texts: ['a', 'b'],
        links: [
          [1, ['https://example.org/']],
          [1, ['https://example.org/']],
        ],
      },
      { type: 'lookup', texts: ['a'], links: [[0, []]] },
      { type: 'hello', extra: 1 },
      { type: 'report', flaggedBlocks: -1, findings: [] },
      { type: 'report', flaggedBlocks: 1, findings: [finding], pageUrl: 'https://elsewhere.example/' },
      { type: 'popup-state', tabId: 'seven' },
    ];
    for (const message of invalid) {
      const reply: Reply<unknown> = await bg.handleMessage(message, content());
      expect(reply).toEqual({ ok: false, error: 'invalid request' });
    }
  });

  it('refuses messages from other extensions', async () => {
    const bg = makeBackground();
    const reply = await bg.handleMessage({ type: 'get-options' }, { id: 'another-extension' });
    expect(reply.ok).toBe(false);
  });
});

describe('tabs, badge and research log', () => {
  async function popup(bg: Bg, tabId = 7) {
    return ask<PopupState>(bg, { type: 'popup-state', tabId });
  }

  it('sets the per-tab badge from reports of all frames and clears it on navigation', async () => {
    const bg = makeBackground();
    await bg.onInstalled();
    await ask(bg, { type: 'report', flaggedBlocks: 2, findings: [finding] }, content(7));
    await ask(bg, { type: 'report', flaggedBlocks: 1, findings: [finding] }, content(7, PAGE, 3));
    expect(await fakeBrowser.action.getBadgeText({ tabId: 7 })).toBe('3');
    expect(await fakeBrowser.action.getBadgeText({ tabId: 8 })).toBe('');
    const state = await popup(bg);
    expect(state).toMatchObject({
      host: 'news.example',
      paused: false,
      flaggedBlocks: 3,
      findings: [finding],
    });
    expect(state.entries.map((e) => e.entry.id)).toEqual(['test-leak']);

    await bg.onTabUpdated(7, { status: 'loading', url: `${PAGE}#comments` });
    expect(await fakeBrowser.action.getBadgeText({ tabId: 7 })).toBe('3');
    await bg.onTabUpdated(7, { status: 'loading' });
    expect(await fakeBrowser.action.getBadgeText({ tabId: 7 })).toBe('');
    expect((await popup(bg)).flaggedBlocks).toBe(0);
  });

  it('starts over when the tab reports from a new page', async () => {
    const bg = makeBackground();
    await ask(bg, { type: 'report', flaggedBlocks: 2, findings: [finding] }, content(7, PAGE, 3));
    await ask(
      bg,
      { type: 'report', flaggedBlocks: 0, findings: [] },
      content(7, 'https://news.example/next'),
    );
    expect(await fakeBrowser.action.getBadgeText({ tabId: 7 })).toBe('');
  });

  it('keeps what tabs reported across a worker restart', async () => {
    await ask(makeBackground(), { type: 'report', flaggedBlocks: 4, findings: [finding] }, content(7));
    expect((await popup(makeBackground())).flaggedBlocks).toBe(4);
  });

  it('logs findings in research mode, once each, with the page URL from the browser', async () => {
    const bg = makeBackground();
    await ask(bg, { type: 'report', flaggedBlocks: 1, findings: [finding] }, content(7));
    expect((await ask<OptionsState>(bg, { type: 'get-options' })).log).toEqual([]);

    await ask(bg, { type: 'set-research-mode', on: true });
    await bg.onTabUpdated(7, { status: 'loading' });
    clock += 1000;
    await ask(bg, { type: 'report', flaggedBlocks: 1, findings: [finding] }, content(7));
    await ask(bg, { type: 'report', flaggedBlocks: 1, findings: [finding] }, content(7));
    const { log, researchMode } = await ask<OptionsState>(bg, { type: 'get-options' });
    expect(researchMode).toBe(true);
    expect(log).toEqual([
      {
        time: clock,
        pageUrl: PAGE,
        listId: 'test-list',
        entry: 'test-leak',
        kind: 'hashtag',
        matched: 1,
        total: 1,
      },
    ]);
    expect((await ask<OptionsState>(bg, { type: 'clear-log' })).log).toEqual([]);
  });

  it('refuses a report that does not come from a tab', async () => {
    const bg = makeBackground();
    const reply = await bg.handleMessage({ type: 'report', flaggedBlocks: 1, findings: [] }, extensionPage);
    expect(reply).toEqual({ ok: false, error: 'a report must come from a tab' });
  });

  it('does not scan paused sites', async () => {
    const bg = makeBackground();
    const { pausedSites } = await ask<OptionsState>(bg, {
      type: 'set-site-paused',
      host: 'News.Example',
      paused: true,
    });
    expect(pausedSites).toEqual(['news.example']);
    expect((await ask<HelloReply>(bg, { type: 'hello' }, content())).scan).toBe(false);
    const { results } = await ask<LookupReply>(bg, lookup([block('#testleaks')]), content());
    expect(results).toEqual([[]]);
    expect((await popup(bg)).paused).toBe(false); // no report yet: the popup's tab URL is unknown
    await ask(bg, { type: 'set-site-paused', host: 'news.example', paused: false });
    expect((await ask<HelloReply>(bg, { type: 'hello' }, content())).scan).toBe(true);
  });

  it('does not scan a paused site after a restart, whether its settings were read early or not', async () => {
    const bg = makeBackground();
    await bg.onInstalled();
    await ask(bg, { type: 'set-site-paused', host: 'news.example', paused: true });
    const early = () => openLeakwatchDb(dbName).then((db) => new LeakwatchStore(db).getSettings());
    const request = lookup([block('#testleaks')]);
    const failed = () => Promise.reject(new Error('gone'));
    for (const earlySettings of [early, failed, () => undefined]) {
      const restarted = makeBackground({ earlySettings: earlySettings() });
      expect((await ask<LookupReply>(restarted, request, content())).results).toEqual([[]]);
      expect((await ask<HelloReply>(restarted, { type: 'hello' }, content())).scan).toBe(false);
    }
    const restarted = makeBackground({ earlySettings: early() });
    await ask(restarted, lookup([block('#testleaks')]), content());
    await ask(restarted, { type: 'set-site-paused', host: 'news.example', paused: false });
    expect((await ask<LookupReply>(restarted, request, content())).results[0]).toHaveLength(1);
  });
});

describe('subscriptions', () => {
  it('validates, syncs and removes user subscriptions; built-in ones cannot be removed', async () => {
    const bg = makeBackground();
    const add = (url: string, publicKey = signer.publicKeyText) =>
      bg.handleMessage({ type: 'add-subscription', url, publicKey }, extensionPage);

    expect(await add('http://lists.example/l.lwl')).toEqual({
      ok: false,
      error: 'list URL must use https (plain http only for 127.0.0.1 or localhost)',
    });
    expect(await add('https://lists.example/l.lwl', 'ed25519:nope')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^public key/),
    });

    const other = await newSigner();
    const url = 'http://127.0.0.1:8080/l.lwl';
    files.serve(url, await list({ listId: 'user-list', hashtags: ['userleaks'] }, other));
    const added = await add(url, other.publicKeyText);
    expect(added.ok).toBe(true);
    const options = await ask<OptionsState>(bg, { type: 'get-options' });
    const user = options.subscriptions.find((s) => s.origin === 'user');
    expect(user).toMatchObject({
      url,
      lastError: null,
      active: expect.objectContaining({ listId: 'user-list' }),
    });
    expect(await add(url, other.publicKeyText)).toEqual({
      ok: false,
      error: 'this list is already subscribed',
    });

    const { results } = await ask<LookupReply>(bg, lookup([block('#userleaks')]), content());
    expect(results[0]).toEqual([expect.objectContaining({ listId: 'user-list' })]);

    const removed = await ask<OptionsState>(bg, { type: 'remove-subscription', id: user!.id });
    expect(removed.subscriptions.map((s) => s.origin)).toEqual(['bundled']);
    expect(
      await bg.handleMessage({ type: 'remove-subscription', id: 'bundled' }, extensionPage),
    ).toMatchObject({
      ok: false,
    });
    const after = await ask<LookupReply>(makeBackground(), lookup([block('#userleaks')]), content());
    expect(after.results).toEqual([[]]);
  });

  it('adds the subscriptions set by enterprise policy, skipping bad items', async () => {
    const url = 'https://corp.example/leaks.lwl';
    files.serve(url, await list({ listId: 'corp-list' }));
    await fakeBrowser.storage.managed.set({
      subscriptions: [
        { url, publicKeys: [signer.publicKeyText] },
        { url: 'ftp://corp.example/x', publicKeys: [signer.publicKeyText] },
      ],
    });
    const bg = makeBackground();
    await bg.onInstalled();
    const { subscriptions } = await ask<OptionsState>(bg, { type: 'get-options' });
    expect(subscriptions.map((s) => [s.origin, s.active?.listId])).toEqual([
      ['bundled', 'test-list'],
      ['managed', 'corp-list'],
    ]);
    const managed = subscriptions[1]!;
    expect((await bg.handleMessage({ type: 'remove-subscription', id: managed.id }, extensionPage)).ok).toBe(
      false,
    );

    await fakeBrowser.storage.managed.set({ subscriptions: [] });
    await bg.onManagedChanged();
    expect((await ask<OptionsState>(bg, { type: 'get-options' })).subscriptions).toHaveLength(1);
  });

  it('does not wait for a managed storage that answers late, and applies its answer when it comes', async () => {
    const url = 'https://corp.example/late.lwl';
    files.serve(url, await list({ listId: 'late-list' }));
    // The first read (policy service starting) answers late; later reads answer at once.
    let answer: (value: Record<string, unknown>) => void = () => {};
    const firstRead = new Promise<Record<string, unknown>>((resolve) => {
      answer = resolve;
    });
    const slowBrowser = {
      ...fakeBrowser,
      storage: {
        ...fakeBrowser.storage,
        managed: { ...fakeBrowser.storage.managed, get: () => firstRead },
      },
    } as typeof fakeBrowser;
    const bg = makeBackground({ browser: slowBrowser });
    await bg.onInstalled();
    const before = await ask<OptionsState>(bg, { type: 'get-options' });
    expect(before.subscriptions.map((s) => s.active?.listId)).toEqual(['test-list']);
    answer({ subscriptions: [{ url, publicKeys: [signer.publicKeyText] }] });
    await expect
      .poll(
        async () =>
          (await ask<OptionsState>(bg, { type: 'get-options' })).subscriptions.map((s) => s.active?.listId),
        {
          timeout: 5_000,
        },
      )
      .toEqual(['test-list', 'late-list']);
  });
});

describe('schedule', () => {
  it('sets an alarm for the next sync and updates when it fires', async () => {
    const bg = makeBackground();
    await bg.onInstalled();
    expect((await fakeBrowser.alarms.get(SYNC_ALARM))?.scheduledTime).toBe(clock + 6 * HOUR);

    files.serve(BUNDLED_URL, await list({ version: 2 }));
    clock += HOUR;
    await bg.onAlarm({ name: SYNC_ALARM });
    expect((await ask<OptionsState>(bg, { type: 'get-options' })).subscriptions[0]?.active?.version).toBe(1);

    clock += 6 * HOUR;
    await bg.onAlarm({ name: SYNC_ALARM });
    expect((await ask<OptionsState>(bg, { type: 'get-options' })).subscriptions[0]?.active?.version).toBe(2);
    expect((await fakeBrowser.alarms.get(SYNC_ALARM))?.scheduledTime).toBe(clock + 6 * HOUR);
  });

  it('never sets the alarm sooner than 30 s', async () => {
    const bg = makeBackground();
    await bg.onInstalled();
    files.serve(BUNDLED_URL, '', { status: 503, headers: { 'retry-after': '1' } });
    await ask(bg, { type: 'update-now' });
    expect((await fakeBrowser.alarms.get(SYNC_ALARM))?.scheduledTime).toBe(clock + 30_000);
  });

  it('does not postpone an overdue alarm when the worker restarts', async () => {
    await makeBackground().onInstalled();
    clock += 7 * HOUR;
    await ask(makeBackground(), { type: 'get-options' });
    expect((await fakeBrowser.alarms.get(SYNC_ALARM))?.scheduledTime).toBe(clock + 30_000);
    clock += 10_000;
    await ask(makeBackground(), { type: 'get-options' });
    expect((await fakeBrowser.alarms.get(SYNC_ALARM))?.scheduledTime).toBe(clock + 20_000);
  });

  it('catches up at browser start only when a sync is overdue', async () => {
    await makeBackground().onInstalled();
    files.calls.length = 0;
    await makeBackground().onStartup();
    expect(files.calls).not.toContain(BUNDLED_URL);

    clock += 7 * HOUR;
    await makeBackground().onStartup();
    expect(files.calls).toContain(BUNDLED_URL);
  });
});
