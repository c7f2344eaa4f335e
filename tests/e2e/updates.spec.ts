import type { Page } from '@playwright/test';
import type { ListName } from './support/config';
import {
  expect,
  expectFlagged,
  fixtures,
  localPage,
  openOptions,
  openPopup,
  screenshot,
  server,
  test,
} from './support/test';

/**
 * List updates through "Update lists now" in the popup. The browser starts with v1 from the
 * server; the server is then switched to another list. A newer valid list is taken; a tampered,
 * older, expired or foreign-key list is refused, the list in use keeps working and the popup and
 * options page say why in plain words.
 */

const UPDATED = 'Lists checked for updates.';
const REFUSED = 'Lists checked: some could not be updated, see below.';

async function updateNow(popup: Page, notice = UPDATED) {
  await popup.getByRole('button', { name: 'Update lists now' }).click();
  await expect(popup.locator('.notice')).toHaveText(notice);
}

test('a new list version on the server is used after "Update now"', async ({
  page,
  context,
  extensionId,
}) => {
  await page.goto(localPage('hashtags'));
  await expectFlagged(page, ['tag-v1']);
  const popup = await openPopup(context, extensionId, page);
  await expect(popup.locator('dl.grid')).toContainText(String(fixtures.lists.v1.version));

  const before = (await server.state()).requests.list;
  await server.serve('v2');
  await updateNow(popup);
  expect((await server.state()).requests.list).toBeGreaterThan(before);
  await expect(popup.locator('dl.grid')).toContainText(String(fixtures.lists.v2.version));
  await expect(popup.getByText('Last update failed')).toHaveCount(0);

  await page.reload();
  await expectFlagged(page, ['tag-v1', 'tag-v2']);
});

const refusals: { name: ListName; what: string; reason: RegExp }[] = [
  {
    name: 'tampered',
    what: 'a tampered list (one bit flipped)',
    reason:
      /refused the downloaded list: bad signature: the list was altered or not signed by key [0-9a-f]{16}/,
  },
  {
    name: 'v0',
    what: 'an older list version (rollback)',
    reason: new RegExp(
      `refused the downloaded list: list version ${fixtures.lists.v0.version} is older than the minimum ${fixtures.lists.v1.version}`,
    ),
  },
  {
    name: 'expired',
    what: 'an expired list',
    reason: /refused the downloaded list: list expired at \d{4}-\d{2}-\d{2}T/,
  },
  {
    name: 'wrong-key',
    what: 'a list signed by an unknown key',
    reason: /refused the downloaded list: list is signed by unknown key [0-9a-f]{16}/,
  },
];

for (const r of refusals) {
  test(`${r.what} is refused and the list in use keeps working`, async ({ page, context, extensionId }) => {
    await page.goto(localPage('hashtags'));
    await expectFlagged(page, ['tag-v1']);
    const popup = await openPopup(context, extensionId, page);

    await server.serve(r.name);
    await updateNow(popup, REFUSED);
    const card = popup.locator('section', {
      has: popup.getByRole('heading', { name: 'Lists', exact: true }),
    });
    await expect(card.locator('.state-warn')).toHaveText(
      new RegExp(`^Last update failed: ${r.reason.source}`),
    );
    // Still v1, in use and still flagging; the refused list's own hashtag is not.
    await expect(card.locator('dl.grid')).toContainText(String(fixtures.lists.v1.version));
    await page.reload();
    await expectFlagged(page, ['tag-v1']);

    // The options page tells the same story.
    const options = await openOptions(context, extensionId);
    const row = options.locator('li.card').first();
    await expect(row.locator('.error')).toHaveText(new RegExp(`^Last update failed: ${r.reason.source}`));
    await expect(row.locator('.badge')).toHaveText('Update failed');
    await expect(row).toContainText(String(fixtures.lists.v1.version));
    if (r.name === 'tampered') {
      await screenshot(popup, 'popup-refused-update', true);
      await screenshot(options, 'options-refused-update');
    }
  });
}

test('after a refused update, the next good list is taken and the error cleared', async ({
  page,
  context,
  extensionId,
}) => {
  await page.goto(localPage('hashtags'));
  await expectFlagged(page, ['tag-v1']);
  const popup = await openPopup(context, extensionId, page);
  await server.serve('tampered');
  await updateNow(popup, REFUSED);
  await expect(popup.getByText(/Last update failed: refused the downloaded list/)).toBeVisible();

  await server.serve('v2');
  await updateNow(popup);
  await expect(popup.getByText('Last update failed')).toHaveCount(0);
  await expect(popup.locator('dl.grid')).toContainText(String(fixtures.lists.v2.version));
  await page.reload();
  await expectFlagged(page, ['tag-v1', 'tag-v2']);
});
