import fs from 'node:fs';
import path from 'node:path';
import { type BrowserContext, expect, type Locator, type Page } from '@playwright/test';
import type { Box, PopupOptions, Session, Tab, TextFilter } from '../scenarios/driver';
import { deepTexts } from './dom-text';
import { fixtures } from './shared';

/** The scenarios' driver for Chromium: Playwright, whose CSS engine already pierces open shadow roots. */

const pierce = (selector: string) => selector.split(/\s*>>>\s*/).join(' ');

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class PlaywrightTab implements Tab {
  constructor(readonly page: Page) {}

  private locate(selector: string, filter?: TextFilter): Locator {
    const all = this.page.locator(pierce(selector));
    if (filter === undefined) return all;
    return all.filter({ hasText: typeof filter === 'string' ? new RegExp(escapeRegExp(filter)) : filter });
  }

  async goto(url: string) {
    await this.page.goto(url);
  }

  async reload() {
    await this.page.reload();
  }

  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
    // The driver's signature is the contract; Playwright's own generics are stricter than needed here.
    return this.page.evaluate(fn as unknown as (arg: unknown) => R, arg);
  }

  async addInitScript(fn: () => void) {
    await this.page.addInitScript(fn);
  }

  texts(selector: string) {
    return this.locate(selector).evaluateAll(deepTexts);
  }

  count(selector: string) {
    return this.locate(selector).count();
  }

  async attribute(selector: string, name: string) {
    const first = this.locate(selector).first();
    return (await first.count()) === 0 ? null : first.getAttribute(name);
  }

  visible(selector: string, text?: TextFilter) {
    return this.locate(selector, text).first().isVisible();
  }

  click(selector: string, text?: TextFilter) {
    return this.locate(selector, text).first().click();
  }

  fill(selector: string, value: string) {
    return this.locate(selector).first().fill(value);
  }

  scrollIntoView(selector: string) {
    return this.locate(selector).first().scrollIntoViewIfNeeded();
  }

  async box(selector: string): Promise<Box | null> {
    const first = this.locate(selector).first();
    return (await first.count()) === 0 ? null : first.boundingBox();
  }

  async screenshot(name: string, options: { fullPage?: boolean; clip?: Box } = {}) {
    fs.mkdirSync(fixtures.screenshotDir, { recursive: true });
    await this.page.screenshot({ path: path.join(fixtures.screenshotDir, `${name}.png`), ...options });
  }

  close() {
    return this.page.close();
  }
}

export class PlaywrightSession implements Session {
  readonly browser = 'chromium';
  readonly page: PlaywrightTab;

  constructor(
    private readonly context: BrowserContext,
    private readonly extensionId: string,
    page: Page,
  ) {
    this.page = new PlaywrightTab(page);
  }

  private extensionUrl(file: string) {
    return `chrome-extension://${this.extensionId}/${file}`;
  }

  async openPopup(target: Tab, options: PopupOptions = {}): Promise<Tab> {
    const { at } = options;
    const popup = await openPopup(
      this.context,
      this.extensionId,
      (target as PlaywrightTab).page,
      at === undefined ? undefined : (p) => p.clock.setFixedTime(at),
    );
    return new PlaywrightTab(popup);
  }

  async openOptions(): Promise<Tab> {
    return new PlaywrightTab(await openOptions(this.context, this.extensionId));
  }

  async extensionTabs(): Promise<string[]> {
    return this.context
      .pages()
      .map((p) => p.url())
      .filter((url) => url.startsWith(this.extensionUrl('')));
  }

  async extensionTab(file: string): Promise<Tab> {
    const page = this.context.pages().find((p) => p.url().startsWith(this.extensionUrl(file)));
    if (!page) throw new Error(`no tab shows ${file}`);
    return new PlaywrightTab(page);
  }
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

export async function openOptions(context: BrowserContext, extensionId: string): Promise<Page> {
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await expect(options.getByRole('heading', { name: 'Subscribed lists' })).toBeVisible();
  return options;
}
