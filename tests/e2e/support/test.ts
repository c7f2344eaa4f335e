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
import * as checks from '../scenarios/checks';
import type { Scenario, Session } from '../scenarios/driver';
import type { ListName } from './config';
import { openOptions, openPopup, PlaywrightSession, PlaywrightTab } from './playwright-driver';
import { type BuildName, fixtures, server, siteResponse } from './shared';

/**
 * Fixtures of the Chromium end-to-end specs: every test gets a fresh Chromium profile with one build
 * of the extension loaded (a first install, so the first sync runs), the server reset to the list
 * the test asks for, and the feed sites answered locally. `session` wraps them in the driver the
 * shared scenarios (tests/e2e/scenarios) are written against; specs may use either.
 */

export { FLAG, fixtures, localPage, SITES, server, X_LEAK_POSTS } from './shared';
export type { BuildName };
export { expect, openOptions, openPopup };

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
  session: Session;
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
    await context.route(/^https:\/\//, async (route) =>
      route.fulfill(await siteResponse(route.request().url())),
    );
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

  session: async ({ context, extensionId, page }, use) => {
    await use(new PlaywrightSession(context, extensionId, page));
  },
});

/** Registers the shared scenarios that apply to Chromium, each with the build and list it asks for. */
export function runScenarios(scenarios: readonly Scenario[]) {
  for (const scenario of scenarios) {
    if (scenario.browsers && !scenario.browsers.includes('chromium')) continue;
    if (scenario.hostAccess === false || scenario.allowPrompts) {
      throw new Error(
        `${scenario.title}: Chromium grants host access at install and cannot answer prompts; mark it Firefox-only`,
      );
    }
    test.describe(() => {
      test.use({ build: scenario.build ?? 'configured', serve: scenario.serve ?? 'v1' });
      test(scenario.title, ({ session }) => scenario.run(session));
    });
  }
}

/** Names (data-e2e, or the tag) of every flagged element of the page, in document order. */
export function flaggedNames(page: Page): Promise<string[]> {
  return checks.flaggedNames(new PlaywrightTab(page));
}

/**
 * Waits until exactly `expected` are flagged, checks that a <leakwatch-warning> precedes each and
 * that no other warning exists, then that nothing more gets flagged a moment later.
 */
export function expectFlagged(page: Page, expected: readonly string[], timeout = 20_000) {
  return checks.expectFlagged(new PlaywrightTab(page), expected, timeout);
}

/** Saves a screenshot for a human to look at (test-results/screenshots, gitignored). */
export function screenshot(page: Page, name: string, fullPage = false) {
  return new PlaywrightTab(page).screenshot(name, { fullPage });
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
