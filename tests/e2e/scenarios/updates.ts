import { expect } from '@playwright/test';
import type { ListName } from '../support/config';
import { fixtures, localPage, server } from '../support/shared';
import { expectFlagged, expectText, popupSection, textOf } from './checks';
import type { BrowserName, Scenario, Tab } from './driver';

/**
 * List updates through "Update lists now" in the popup. The browser starts with v1 from the
 * server; the server is then switched to another list. A newer valid list is taken; a tampered,
 * older, expired or foreign-key list is refused, the list in use keeps working and the popup and
 * options page say why in plain words.
 */

const UPDATED = 'Lists checked for updates.';
const REFUSED = 'Lists checked: some could not be updated, see below.';
const lists = popupSection('lists');

async function updateNow(popup: Tab, notice = UPDATED) {
  await popup.click('button', 'Update lists now');
  await expect.poll(() => textOf(popup, '.notice')).toBe(notice);
}

const refusals: { name: ListName; what: string; reason: RegExp; browsers?: BrowserName[] }[] = [
  {
    name: 'tampered',
    what: 'a tampered list (one bit flipped)',
    reason:
      /refused the downloaded list: bad signature: the list was altered or not signed by key [0-9a-f]{16}/,
  },
  // The other refusals take the same path through the browser as the tampered list (download,
  // verify in the background, keep the list in use); unit tests cover each reason, so Firefox runs
  // the tampered case only and keeps its suite within its time budget.
  {
    name: 'v0',
    what: 'an older list version (rollback)',
    reason: new RegExp(
      `refused the downloaded list: list version ${fixtures.lists.v0.version} is older than the minimum ${fixtures.lists.v1.version}`,
    ),
    browsers: ['chromium'],
  },
  {
    name: 'expired',
    what: 'an expired list',
    reason: /refused the downloaded list: list expired at \d{4}-\d{2}-\d{2}T/,
    browsers: ['chromium'],
  },
  {
    name: 'wrong-key',
    what: 'a list signed by an unknown key',
    reason: /refused the downloaded list: list is signed by unknown key [0-9a-f]{16}/,
    browsers: ['chromium'],
  },
];

export const updates: Scenario[] = [
  {
    title: 'a new list version on the server is used after "Update now"',
    async run(session) {
      const { page } = session;
      await page.goto(localPage('hashtags'));
      await expectFlagged(page, ['tag-v1']);
      const popup = await session.openPopup(page);
      await expectText(popup, 'dl.grid', String(fixtures.lists.v1.version));

      const before = (await server.state()).requests.list;
      await server.serve('v2');
      await updateNow(popup);
      expect((await server.state()).requests.list).toBeGreaterThan(before);
      await expectText(popup, 'dl.grid', String(fixtures.lists.v2.version));
      expect(await textOf(popup, 'body')).not.toContain('Last update failed');

      await page.reload();
      await expectFlagged(page, ['tag-v1', 'tag-v2']);
    },
  },
  ...refusals.map(
    (r): Scenario => ({
      title: `${r.what} is refused and the list in use keeps working`,
      browsers: r.browsers,
      async run(session) {
        const { page } = session;
        await page.goto(localPage('hashtags'));
        await expectFlagged(page, ['tag-v1']);
        const popup = await session.openPopup(page);

        await server.serve(r.name);
        await updateNow(popup, REFUSED);
        await expect
          .poll(() => textOf(popup, `${lists} .state-warn`))
          .toMatch(new RegExp(`^Last update failed: ${r.reason.source}`));
        // Still v1, in use and still flagging; the refused list's own hashtag is not.
        await expectText(popup, `${lists} dl.grid`, String(fixtures.lists.v1.version));
        await page.reload();
        await expectFlagged(page, ['tag-v1']);

        // The options page tells the same story.
        const options = await session.openOptions();
        const row = 'li.card:first-child';
        await expect
          .poll(() => textOf(options, `${row} .error`))
          .toMatch(new RegExp(`^Last update failed: ${r.reason.source}`));
        expect(await options.texts(`${row} .badge`)).toEqual(['Update failed']);
        await expectText(options, row, String(fixtures.lists.v1.version));
        if (r.name === 'tampered') {
          await popup.screenshot('popup-refused-update', { fullPage: true });
          await options.screenshot('options-refused-update');
        }
      },
    }),
  ),
  {
    title: 'after a refused update, the next good list is taken and the error cleared',
    async run(session) {
      const { page } = session;
      await page.goto(localPage('hashtags'));
      await expectFlagged(page, ['tag-v1']);
      const popup = await session.openPopup(page);
      await server.serve('tampered');
      await updateNow(popup, REFUSED);
      await expectText(popup, lists, /Last update failed: refused the downloaded list/);

      await server.serve('v2');
      await updateNow(popup);
      expect(await textOf(popup, 'body')).not.toContain('Last update failed');
      await expectText(popup, 'dl.grid', String(fixtures.lists.v2.version));
      await page.reload();
      await expectFlagged(page, ['tag-v1', 'tag-v2']);
    },
  },
];
