import { expect } from '@playwright/test';
import type { Browser } from 'webextension-polyfill';
import { SITES, X_LEAK_POSTS } from '../support/shared';
import { expectFlagged, expectPopupText, expectText, expectVisible, flaggedNames, textOf } from './checks';
import type { Scenario, Session, Tab } from './driver';

/**
 * Host access (MV3): without it the content script never runs. Firefox lets the user withhold it at
 * install (extensions.originControls.grantByDefault false, as for a user who declines) or withdraw it
 * later. The onboarding page must then open by itself and ask in one click; the popup must say that
 * scanning is off instead of "nothing found", and ask too. Where a scenario clicks "Allow",
 * Firefox answers its permission prompt yes (extensions.webextOptionalPermissionPrompts false).
 */

const OFF = 'Scanning is off: Leakwatch is not allowed to read this site, so it cannot warn you here.';
const GRANT = 'Allow Leakwatch on all sites';

/** The page is loaded and left time to be scanned, had the content script run on it. */
async function expectNotScanned(page: Tab) {
  await expect.poll(() => page.evaluate(() => document.readyState, undefined)).toBe('complete');
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect(await flaggedNames(page)).toEqual([]);
}

async function expectScanningOff(session: Session, page: Tab) {
  const popup = await session.openPopup(page);
  await expectVisible(popup, 'p.state-warn', OFF);
  expect(await textOf(popup, 'body')).not.toContain('Nothing from your lists was found');
  await expectVisible(popup, 'button', GRANT);
  return popup;
}

export const hostAccess: Scenario[] = [
  {
    title: 'host access granted at install: no onboarding page, and the popup does not ask for access',
    async run(session) {
      const { page } = session;
      await page.goto(SITES.x);
      await expectFlagged(page, X_LEAK_POSTS);
      // The install sync has run (the page is flagged), and with it the install-time access check.
      expect(await session.extensionTabs()).toEqual([]);
      const popup = await session.openPopup(page);
      await expectPopupText(popup, 'Warnings shown on this page: 6');
      expect(await textOf(popup, 'body')).not.toContain('Scanning is off');
      expect(await popup.visible('button', GRANT)).toBe(false);
    },
  },
  {
    title: 'host access withheld at install: the onboarding page asks once, then pages are scanned',
    hostAccess: false,
    allowPrompts: true,
    browsers: ['firefox'],
    async run(session) {
      const { page } = session;
      await expect
        .poll(() => session.extensionTabs(), { message: 'the onboarding page opens by itself' })
        .toEqual([expect.stringMatching(/\/onboarding\.html$/)]);
      const onboarding = await session.extensionTab('onboarding.html');
      await expectText(onboarding, 'h1', 'Leakwatch needs your permission to check pages');
      await expectVisible(onboarding, 'button', GRANT);
      await onboarding.screenshot('onboarding', { fullPage: true });

      await page.goto(SITES.x);
      await expectNotScanned(page);
      const popup = await expectScanningOff(session, page);
      await popup.screenshot('popup-access-off', { fullPage: true });
      await popup.close();

      await onboarding.click('button', GRANT);
      await expectText(onboarding, '[role="status"]', 'Done: Leakwatch now checks the pages you open.');
      expect(await onboarding.count('button')).toBe(0);
      await onboarding.screenshot('onboarding-granted', { fullPage: true });

      await page.reload();
      await expectFlagged(page, X_LEAK_POSTS);
      const after = await session.openPopup(page);
      await expectPopupText(after, 'Warnings shown on this page: 6');
      expect(await textOf(after, 'body')).not.toContain('Scanning is off');
    },
  },
  {
    title: 'host access withdrawn later: the popup says scanning is off and one click turns it back on',
    allowPrompts: true,
    browsers: ['firefox'],
    async run(session) {
      const { page } = session;
      await page.goto(SITES.x);
      await expectFlagged(page, X_LEAK_POSTS);

      // What "Permissions" in about:addons does when the user switches site access off.
      const options = await session.openOptions();
      await options.evaluate(async () => {
        // Runs in the options page, where the extension's API is a global.
        const { browser } = globalThis as unknown as { browser: Browser };
        const manifest = browser.runtime.getManifest();
        const origins = (manifest.content_scripts ?? []).flatMap((c) => c.matches ?? []);
        if (!(await browser.permissions.remove({ origins }))) throw new Error('permission not removed');
      }, undefined);
      await options.close();
      await page.reload();
      await expectNotScanned(page);

      const popup = await expectScanningOff(session, page);
      // The popup asks, and reloads the tab once access is granted, so that it gets scanned.
      await popup.click('button', GRANT);
      await expectFlagged(page, X_LEAK_POSTS);
      await expectPopupText(popup, 'Warnings shown on this page: 6');
      expect(await textOf(popup, 'body')).not.toContain('Scanning is off');
    },
  },
];
