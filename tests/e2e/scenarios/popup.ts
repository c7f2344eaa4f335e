import { expect } from '@playwright/test';
import { fixtures, SITES, X_LEAK_POSTS } from '../support/shared';
import {
  expectFlagged,
  expectHidden,
  expectNamed,
  expectPopupText,
  expectText,
  expectVisible,
  popupSection,
  textOf,
} from './checks';
import type { Scenario } from './driver';

/**
 * The popup for a flagged tab: what was found, the legal texts, the blackout status (the test list
 * has one context in force now and one that is over, both built relative to the time of the run).
 */

const contexts = `${popupSection('context')} article`;

export const popup: Scenario[] = [
  {
    title: 'shows the findings of the tab, the legal text and the blackout status',
    async run(session) {
      const { page } = session;
      await page.goto(SITES.x);
      await expectFlagged(page, X_LEAK_POSTS);
      const popup = await session.openPopup(page);

      await expectText(popup, 'header', 'x.com');
      await expectPopupText(popup, 'Warnings shown on this page: 6');

      const finding = `${popupSection('page')} article.card-warn`;
      expect(await popup.count(finding)).toBe(1);
      await expectNamed(popup, `${finding} h3`, 'Leaked documents');
      await expectText(popup, finding, 'Hashtag #MacronLeaks, associated with this leak.');
      await expectText(
        popup,
        finding,
        /Passages: \d+ of the \d+ text fingerprints match the leaked documents\./,
      );
      await expectText(popup, finding, 'Link to leaks.example.net, a site listed for this leak.');
      await expectText(popup, finding, 'Warning from Leakwatch');
      await expectText(popup, finding, `List: ${fixtures.publisher}`);

      // The legal notice sits behind a disclosure.
      const legal = `${finding} details`;
      await expectText(popup, `${legal} summary`, 'Legal notice');
      await expectHidden(popup, `${legal} p`, 'Republishing leaked material may be unlawful');
      await popup.click(`${legal} summary`);
      await expectVisible(popup, `${legal} p`, 'Republishing leaked material may be unlawful');

      // Blackout: the context in force comes first, with its end; the finished one says so.
      await expectNamed(popup, `${popupSection('context')} h2`, 'Election blackout');
      expect(await popup.count(contexts)).toBe(2);
      await expect.poll(() => popup.texts(`${contexts} .badge`)).toEqual(['In force', 'Over']);
      const [active, over] = await popup.texts(contexts);
      expect(active).toContain(fixtures.contexts.active);
      expect(active).toMatch(/Until .+, ends in/);
      expect(over).toContain(fixtures.contexts.over);
      expect(over).toMatch(/Ended on /);

      // The list that is in use.
      const lists = popupSection('lists');
      await expectNamed(popup, `${lists} h2`, 'Lists');
      await expectText(popup, lists, fixtures.publisher);
      await expectText(popup, lists, String(fixtures.lists.v1.version));
      expect(await textOf(popup, lists)).not.toContain('Last update failed');

      await popup.screenshot('popup', { fullPage: true });
    },
  },
  {
    title: 'the blackout status follows the clock of the popup',
    // Setting the popup's clock needs a script that runs before the popup's own. WebDriver BiDi
    // preload scripts do not run in moz-extension documents (Firefox 153), so Firefox checks the
    // status at the real time only (the scenario above); unit tests cover the other times.
    browsers: ['chromium'],
    async run(session) {
      const { page } = session;
      await page.goto(SITES.x);
      await expectFlagged(page, X_LEAK_POSTS);

      // Three hours ago, the second-round blackout (it began two hours ago) had not started yet.
      const before = await session.openPopup(page, { at: Date.now() - 3 * 3_600_000 });
      await expect.poll(() => before.texts(`${contexts} .badge`)).toEqual(['Upcoming', 'Over']);
      const [upcoming] = await before.texts(contexts);
      expect(upcoming).toContain(fixtures.contexts.active);
      expect(upcoming).toMatch(/Starts in .+, on .+\(Paris\)/);
      await before.close();

      // Two days on, both are over.
      const after = await session.openPopup(page, { at: Date.now() + 2 * 86_400_000 });
      await expect.poll(() => after.texts(`${contexts} .badge`)).toEqual(['Over', 'Over']);
    },
  },
];
