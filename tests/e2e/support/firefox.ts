import fs from 'node:fs';
import path from 'node:path';
import { test as base } from '@playwright/test';
import puppeteer, { type Browser, type ElementHandle, type HTTPRequest, type Page } from 'puppeteer-core';
import type { Box, PopupOptions, Scenario, Session, Tab, TextFilter } from '../scenarios/driver';
import type { ListName } from './config';
import { deepTexts } from './dom-text';
import { type BuildName, fixtures, server, siteResponse } from './shared';

/**
 * The scenarios' driver for Firefox ESR: puppeteer-core over WebDriver BiDi, no geckodriver. Each
 * test starts a fresh profile and installs the build as a temporary add-on (no signing needed).
 *
 * What Firefox needs that Chromium does not:
 * - the add-on's moz-extension UUID is random per profile: a pref fixes it, so tests can open
 *   popup.html and options.html by address;
 * - opening moz-extension pages over BiDi needs -remote-allow-system-access, and navigations to
 *   them never report completion: start them without waiting and wait for the document instead;
 * - the feed sites (x.com...) are answered by request interception in each web tab, and
 *   network.dns.forceResolve sends every other host name to 127.0.0.1, where nothing listens on
 *   80/443: nothing leaves the machine (Chromium uses --host-resolver-rules for the same).
 */

const FIREFOX = process.env.LEAKWATCH_E2E_FIREFOX || '/usr/bin/firefox-esr';
const GECKO_ID = 'leakwatch@leakwatch.example';
const EXTENSION_UUID = '8d3e7a52-4c1f-4b6e-9a0d-2f5c61b7e9a4';
const EXTENSION_ORIGIN = `moz-extension://${EXTENSION_UUID}/`;
const WAIT_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined; page reloads make it throw meanwhile. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeout = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${why}`);
    }
    await sleep(100);
  }
}

function textMatches(text: string, filter: TextFilter | undefined): boolean {
  if (filter === undefined) return true;
  return typeof filter === 'string' ? text.includes(filter) : filter.test(text);
}

/**
 * Rendered and visible. Not puppeteer's isVisible(): in Firefox the content of a closed <details>
 * keeps a layout box (it is hidden by content-visibility), which checkVisibility() sees.
 */
function isShown(handle: ElementHandle<Element>): Promise<boolean> {
  return handle.evaluate((element) => {
    const rect = element.getBoundingClientRect();
    return rect.width > 0 && rect.height > 0 && element.checkVisibility({ visibilityProperty: true });
  });
}

export class FirefoxTab implements Tab {
  constructor(readonly page: Page) {}

  /** puppeteer's page.url() stays about:blank on moz-extension pages: ask the document. */
  href(): Promise<string> {
    return this.page.evaluate(() => location.href);
  }

  /** Waits until this tab shows a fully loaded document at `url` (or any new one, for a reload). */
  private waitForDocument(accept: (href: string, marked: boolean) => boolean, what: string) {
    return until(what, async () => {
      const { href, ready, marked } = await this.page.evaluate(() => ({
        href: location.href,
        ready: document.readyState,
        marked: (window as unknown as { __lwOld?: true }).__lwOld === true,
      }));
      return ready === 'complete' && accept(href, marked) ? true : undefined;
    });
  }

  async goto(url: string) {
    if (!url.startsWith('moz-extension:')) {
      await this.page.goto(url);
      return;
    }
    void this.page.goto(url).catch(() => undefined);
    await this.waitForDocument((href) => href === url, url);
  }

  async reload() {
    if (!(await this.href()).startsWith('moz-extension:')) {
      await this.page.reload();
      return;
    }
    await this.page.evaluate(() => {
      (window as unknown as { __lwOld?: true }).__lwOld = true;
    });
    void this.page.reload().catch(() => undefined);
    await this.waitForDocument((_href, marked) => !marked, 'the reloaded page');
  }

  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
    // The driver's signature is the contract; puppeteer's own generics are stricter than needed here.
    return this.page.evaluate(fn as unknown as (arg: unknown) => R, arg) as Promise<R>;
  }

  async addInitScript(fn: () => void) {
    await this.page.evaluateOnNewDocument(fn);
  }

  texts(selector: string) {
    return this.page.$$eval(selector, deepTexts);
  }

  async count(selector: string) {
    const handles = await this.page.$$(selector);
    await Promise.all(handles.map((h) => h.dispose()));
    return handles.length;
  }

  attribute(selector: string, name: string) {
    return this.page.$$eval(selector, (elements, n) => elements[0]?.getAttribute(n) ?? null, name);
  }

  /** The first match whose text passes `filter`, or null. */
  private async find(selector: string, filter?: TextFilter): Promise<ElementHandle<Element> | null> {
    const handles = await this.page.$$(selector);
    let found: ElementHandle<Element> | null = null;
    const texts = await this.texts(selector);
    for (const [i, handle] of handles.entries()) {
      if (!found && textMatches(texts[i] ?? '', filter)) found = handle;
      else await handle.dispose();
    }
    return found;
  }

  async visible(selector: string, text?: TextFilter) {
    const handle = await this.find(selector, text);
    if (!handle) return false;
    try {
      return await isShown(handle);
    } finally {
      await handle.dispose();
    }
  }

  async click(selector: string, text?: TextFilter) {
    const handle = await until(`${selector} ${text ?? ''} to click`, async () => {
      const found = await this.find(selector, text);
      if (found && (await isShown(found))) return found;
      await found?.dispose();
      return undefined;
    });
    try {
      await handle.click();
    } finally {
      await handle.dispose();
    }
  }

  async fill(selector: string, value: string) {
    const handle = await until(`${selector} to fill`, async () => (await this.find(selector)) ?? undefined);
    try {
      await handle.evaluate((input) => (input as HTMLInputElement).select());
      if (value === '') await handle.press('Backspace');
      else await handle.type(value);
    } finally {
      await handle.dispose();
    }
  }

  async scrollIntoView(selector: string) {
    const handle = await this.find(selector);
    if (!handle) throw new Error(`nothing matches ${selector}`);
    await handle.scrollIntoView();
    await handle.dispose();
  }

  async box(selector: string): Promise<Box | null> {
    const handle = await this.find(selector);
    if (!handle) return null;
    try {
      return await handle.boundingBox();
    } finally {
      await handle.dispose();
    }
  }

  async screenshot(name: string, options: { fullPage?: boolean; clip?: Box } = {}) {
    fs.mkdirSync(fixtures.screenshotDir, { recursive: true });
    let { clip } = options;
    if (clip) {
      // Boxes are in viewport coordinates; puppeteer over BiDi clips in document coordinates.
      const scroll = await this.page.evaluate(() => ({ x: window.scrollX, y: window.scrollY }));
      clip = { ...clip, x: clip.x + scroll.x, y: clip.y + scroll.y };
    }
    await this.page.screenshot({ path: `${path.join(fixtures.screenshotDir, name)}.png`, ...options, clip });
  }

  close() {
    return this.page.close();
  }
}

/** Feed sites come from the test server; any other https:// address gets a 404 from the test. */
async function answerSites(page: Page) {
  await page.setRequestInterception(true);
  page.on('request', (request: HTTPRequest) => {
    if (request.isInterceptResolutionHandled()) return;
    if (!request.url().startsWith('https://')) {
      void request.continue();
      return;
    }
    void siteResponse(request.url()).then(
      (response) => request.respond(response),
      () => request.abort(),
    );
  });
}

export class FirefoxSession implements Session {
  readonly browser = 'firefox';

  constructor(
    private readonly firefox: Browser,
    readonly page: FirefoxTab,
  ) {}

  close() {
    return this.firefox.close();
  }

  async openPopup(target: Tab, options: PopupOptions = {}): Promise<Tab> {
    const popup = new FirefoxTab(await this.firefox.newPage());
    await popup.page.setViewport({ width: 360, height: 600 });
    if (options.at !== undefined) {
      // The popup renders the blackout status for Date.now(): fix the clock it reads.
      await popup.page.evaluateOnNewDocument((at: number) => {
        Date.now = () => at;
      }, options.at);
    }
    // The popup reports on the active tab of its window.
    await (target as FirefoxTab).page.bringToFront();
    await popup.goto(`${EXTENSION_ORIGIN}popup.html`);
    await until('the popup', async () =>
      (await popup.texts('h2')).includes('This page') ? true : undefined,
    );
    return popup;
  }

  async openOptions(): Promise<Tab> {
    const options = new FirefoxTab(await this.firefox.newPage());
    await options.goto(`${EXTENSION_ORIGIN}options.html`);
    await until('the options page', async () =>
      (await options.texts('h2')).includes('Subscribed lists') ? true : undefined,
    );
    return options;
  }

  private async extensionPages(): Promise<{ url: string; tab: FirefoxTab }[]> {
    const found = [];
    for (const page of await this.firefox.pages()) {
      const tab = new FirefoxTab(page);
      const url = await tab.href().catch(() => '');
      if (url.startsWith(EXTENSION_ORIGIN)) found.push({ url, tab });
    }
    return found;
  }

  async extensionTabs(): Promise<string[]> {
    return (await this.extensionPages()).map((p) => p.url);
  }

  async extensionTab(file: string): Promise<Tab> {
    const found = (await this.extensionPages()).find((p) => p.url.startsWith(`${EXTENSION_ORIGIN}${file}`));
    if (!found) throw new Error(`no tab shows ${file}`);
    return found.tab;
  }
}

interface Options {
  build: BuildName;
  serve: ListName;
  /** extensions.originControls.grantByDefault: whether Firefox grants host access at install. */
  hostAccess: boolean;
  /** extensions.webextOptionalPermissionPrompts off: Firefox's own way of answering "Allow" in automation. */
  allowPrompts: boolean;
}

export async function launchFirefox(
  ext: string,
  { hostAccess, allowPrompts }: { hostAccess: boolean; allowPrompts: boolean },
): Promise<FirefoxSession> {
  const firefox = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    protocol: 'webDriverBiDi',
    headless: true,
    args: ['-remote-allow-system-access'],
    env: { ...process.env, TZ: 'Europe/Paris' },
    extraPrefsFirefox: {
      'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: EXTENSION_UUID }),
      'extensions.originControls.grantByDefault': hostAccess,
      'extensions.webextOptionalPermissionPrompts': !allowPrompts,
      'network.dns.forceResolve': '127.0.0.1',
      'intl.locale.requested': 'en-US',
      'intl.accept_languages': 'en-US',
    },
  });
  try {
    await firefox.installExtension(ext);
    const first = (await firefox.pages())[0] ?? (await firefox.newPage());
    await first.setViewport({ width: 1000, height: 900 });
    await answerSites(first);
    return new FirefoxSession(firefox, new FirefoxTab(first));
  } catch (error) {
    await firefox.close();
    throw error;
  }
}

export const test = base.extend<{ session: Session } & Options>({
  build: ['configured', { option: true }],
  serve: ['v1', { option: true }],
  hostAccess: [true, { option: true }],
  allowPrompts: [false, { option: true }],

  session: async ({ build, serve, hostAccess, allowPrompts }, use) => {
    await server.control(`reset=1&serve=${serve}`);
    const session = await launchFirefox(fixtures.builds[build], { hostAccess, allowPrompts });
    try {
      await use(session);
    } finally {
      await session.close();
    }
  },
});

/** Registers the shared scenarios that apply to Firefox, each with the build, list and access it asks for. */
export function runScenarios(scenarios: readonly Scenario[]) {
  for (const scenario of scenarios) {
    if (scenario.browsers && !scenario.browsers.includes('firefox')) continue;
    test.describe(() => {
      test.use({
        build: scenario.build ?? 'configured',
        serve: scenario.serve ?? 'v1',
        hostAccess: scenario.hostAccess ?? true,
        allowPrompts: scenario.allowPrompts ?? false,
      });
      test(scenario.title, ({ session }) => scenario.run(session));
    });
  }
}
