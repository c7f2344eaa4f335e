import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type BrowserContext,
  test as base,
  chromium,
  expect,
  type Page,
  type Worker,
} from '@playwright/test';
import { type E2eFixtures, FIXTURES_ENV, type ListName, ORIGIN } from './config';

/**
 * Fixtures of the end-to-end specs: every test gets a fresh Chromium profile with one build of the
 * extension loaded (a first install, so the first sync runs), the server reset to the list the test
 * asks for, and the feed sites answered locally.
 */

function loadFixtures(): E2eFixtures {
  const file = process.env[FIXTURES_ENV];
  if (!file || !fs.existsSync(file)) {
    throw new Error(`${FIXTURES_ENV} is not set: run the end-to-end tests with 'npm run test:e2e'`);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as E2eFixtures;
}

export const fixtures = loadFixtures();

/** Feed sites whose adapters only apply on their own host names; answered by route, never fetched. */
export const SITES = {
  x: 'https://x.com/home',
  xScroll: 'https://x.com/search?q=vote&f=live',
  mastodon: 'https://mastodon.social/home',
  bluesky: 'https://bsky.app/',
  reddit: 'https://www.reddit.com/r/france/',
  demo: 'https://news.example/2017/05/06/final-weekend.html',
} as const;

const SITE_PAGES: Record<string, string> = {
  [SITES.x]: 'x.html',
  [SITES.xScroll]: 'infinite.html',
  [SITES.mastodon]: 'mastodon.html',
  [SITES.bluesky]: 'bluesky.html',
  [SITES.reddit]: 'reddit.html',
  [SITES.demo]: 'demo.html',
};

/** The posts of the X page (pages/x.html) that carry leak material, in page order. */
export const X_LEAK_POSTS = ['x-hashtag', 'x-quote', 'x-link', 'x-zero-width', 'x-tco', 'x-homoglyph'];

/** A page of tests/e2e/pages served by the local server (host 127.0.0.1). */
export const localPage = (name: string) => `${ORIGIN}/pages/${name}.html`;

/** The server's /list.lwl switch and request counters. */
export const server = {
  async control(params: string): Promise<{ serve: ListName; requests: { list: number; other: number } }> {
    const res = await fetch(`${ORIGIN}/__control?${params}`, { method: 'POST' });
    if (!res.ok) throw new Error(`server control ${params}: HTTP ${res.status}`);
    return res.json();
  },
  serve(name: ListName) {
    return this.control(`serve=${name}`);
  },
  state() {
    return this.control('');
  },
};

export type BuildName = keyof E2eFixtures['builds'];

interface Options {
  /** Which extension build to load. */
  build: BuildName;
  /** What the server's /list.lwl serves when the browser starts (its first sync). */
  serve: ListName;
}

interface Fixtures {
  context: BrowserContext;
  page: Page;
  serviceWorker: Worker;
  extensionId: string;
}

const chromiumPath = process.env.LEAKWATCH_E2E_CHROMIUM || '/usr/bin/chromium';

export const test = base.extend<Fixtures & Options>({
  build: ['configured', { option: true }],
  serve: ['v1', { option: true }],

  context: async ({ build, serve }, use) => {
    await server.control(`reset=1&serve=${serve}`);
    const ext = fixtures.builds[build];
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-e2e-profile-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      viewport: { width: 1000, height: 900 },
      locale: 'en-US',
      timezoneId: 'Europe/Paris',
      args: [
        '--no-sandbox',
        `--disable-extensions-except=${ext}`,
        `--load-extension=${ext}`,
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--lang=en-US',
        // Hermetic: no name resolves, so nothing but the local server (an IP address) is reachable.
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    });
    await context.route(/^https:\/\//, async (route) => {
      const name = SITE_PAGES[route.request().url()];
      if (!name) {
        await route.fulfill({ status: 404, contentType: 'text/plain', body: 'not part of the test' });
        return;
      }
      const res = await fetch(`${ORIGIN}/pages/${name}`);
      await route.fulfill({
        status: res.status,
        contentType: 'text/html; charset=utf-8',
        body: await res.text(),
      });
    });
    await use(context);
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  },

  serviceWorker: async ({ context }, use) => {
    const worker =
      context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://')) ??
      (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
    await use(worker);
  },

  extensionId: async ({ serviceWorker }, use) => {
    await use(new URL(serviceWorker.url()).host);
  },

  page: async ({ context, serviceWorker }, use) => {
    // The worker is up (and its install sync under way) before the first page loads.
    void serviceWorker;
    const page = context.pages()[0] ?? (await context.newPage());
    await use(page);
  },
});

export { expect };

export const FLAG = 'data-leakwatch-flagged';

/** Names (data-e2e, or the tag) of every flagged element of the page, in document order. */
export function flaggedNames(page: Page): Promise<string[]> {
  return page.$$eval(`[${FLAG}]`, (els) => els.map((e) => e.getAttribute('data-e2e') ?? e.localName));
}

/**
 * Waits until exactly `expected` are flagged, checks that a <leakwatch-warning> precedes each and
 * that no other warning exists, then that nothing more gets flagged a moment later.
 */
export async function expectFlagged(page: Page, expected: readonly string[], timeout = 20_000) {
  await expect.poll(() => flaggedNames(page), { timeout }).toEqual(expected);
  const layout = await page.$$eval(`[${FLAG}]`, (els) =>
    els.map((e) => ({
      name: e.getAttribute('data-e2e') ?? e.localName,
      warningBefore: e.previousElementSibling?.localName === 'leakwatch-warning',
    })),
  );
  for (const l of layout) expect(l.warningBefore, `warning before ${l.name}`).toBe(true);
  await expect(page.locator('leakwatch-warning')).toHaveCount(expected.length);
  // Scanning runs in idle slices: give a late (wrong) flag the chance to appear.
  await page.waitForTimeout(750);
  expect(await flaggedNames(page)).toEqual(expected);
}

/** Saves a screenshot for a human to look at (test-results/screenshots, gitignored). */
export async function screenshot(page: Page, name: string, fullPage = false) {
  fs.mkdirSync(fixtures.screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(fixtures.screenshotDir, `${name}.png`), fullPage });
}

/**
 * Opens the popup for `target`'s tab. The popup asks for the active tab of its own window, so it is
 * opened in a second tab of the same window while `target` stays the active one.
 */
export async function openPopup(
  context: BrowserContext,
  extensionId: string,
  target: Page,
  prepare?: (popup: Page) => Promise<void>,
): Promise<Page> {
  const popup = await context.newPage();
  await popup.setViewportSize({ width: 360, height: 600 });
  await prepare?.(popup);
  await target.bringToFront();
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  await expect(popup.getByRole('heading', { name: 'This page' })).toBeVisible();
  return popup;
}

/**
 * The popup reads the tab's report once, when it opens, and the content script reports half a
 * second after its last change: reopen it (as a reader would) until `text` shows.
 */
export async function expectPopupText(popup: Page, text: string) {
  await expect(async () => {
    if (!(await popup.getByText(text).isVisible())) {
      await popup.reload();
      await expect(popup.getByText(text)).toBeVisible({ timeout: 2_000 });
    }
  }).toPass({ timeout: 20_000 });
}

export async function openOptions(context: BrowserContext, extensionId: string): Promise<Page> {
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await expect(options.getByRole('heading', { name: 'Subscribed lists' })).toBeVisible();
  return options;
}
