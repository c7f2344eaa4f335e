import type { Page } from '@playwright/test';
import {
  expect,
  expectFlagged,
  expectPopupText,
  fixtures,
  openPopup,
  SITES,
  screenshot,
  test,
  X_LEAK_POSTS,
} from './support/test';

/**
 * The popup for a flagged tab: what was found, the legal texts, the blackout status (the test list
 * has one context in force now and one that is over, both built relative to the time of the run).
 */

test('shows the findings of the tab, the legal text and the blackout status', async ({
  page,
  context,
  extensionId,
}) => {
  await page.goto(SITES.x);
  await expectFlagged(page, X_LEAK_POSTS);
  const popup = await openPopup(context, extensionId, page);

  await expect(popup.locator('header')).toContainText('x.com');
  await expectPopupText(popup, 'Warnings shown on this page: 6');

  const finding = popup.locator('article.card-warn', { hasText: 'Leaked documents' });
  await expect(finding.getByRole('heading', { name: 'Leaked documents' })).toBeVisible();
  await expect(finding).toContainText('Hashtag #MacronLeaks, associated with this leak.');
  await expect(finding).toContainText(
    /Passages: \d+ of the \d+ text fingerprints match the leaked documents\./,
  );
  await expect(finding).toContainText('Link to leaks.example.net, a site listed for this leak.');
  await expect(finding).toContainText('Warning from Leakwatch');
  await expect(finding).toContainText(`List: ${fixtures.publisher}`);

  // The legal notice sits behind a disclosure.
  const legal = finding.locator('details', { hasText: 'Legal notice' });
  await expect(legal.getByText('Republishing leaked material may be unlawful')).toBeHidden();
  await legal.locator('summary').click();
  await expect(legal.getByText('Republishing leaked material may be unlawful')).toBeVisible();

  // Blackout: the context in force comes first, with its end; the finished one says so.
  const contexts = popup.locator('section', {
    has: popup.getByRole('heading', { name: 'Election blackout' }),
  });
  const cards = contexts.locator('article');
  await expect(cards).toHaveCount(2);
  await expect(cards.nth(0)).toContainText(fixtures.contexts.active);
  await expect(cards.nth(0).locator('.badge')).toHaveText('In force');
  await expect(cards.nth(0)).toContainText(/Until .+, ends in/);
  await expect(cards.nth(1)).toContainText(fixtures.contexts.over);
  await expect(cards.nth(1).locator('.badge')).toHaveText('Over');
  await expect(cards.nth(1)).toContainText(/Ended on /);

  // The list that is in use.
  const lists = popup.locator('section', { has: popup.getByRole('heading', { name: 'Lists', exact: true }) });
  await expect(lists).toContainText(fixtures.publisher);
  await expect(lists).toContainText(String(fixtures.lists.v1.version));
  await expect(lists).not.toContainText('Last update failed');

  await screenshot(popup, 'popup', true);
});

test('the blackout status follows the clock of the popup', async ({ page, context, extensionId }) => {
  await page.goto(SITES.x);
  await expectFlagged(page, X_LEAK_POSTS);
  const cards = (popup: Page) =>
    popup
      .locator('section', { has: popup.getByRole('heading', { name: 'Election blackout' }) })
      .locator('article');

  // Three hours ago, the second-round blackout (it began two hours ago) had not started yet.
  const before = await openPopup(context, extensionId, page, (p) =>
    p.clock.setFixedTime(Date.now() - 3 * 3_600_000),
  );
  await expect(cards(before).nth(0)).toContainText(fixtures.contexts.active);
  await expect(cards(before).nth(0).locator('.badge')).toHaveText('Upcoming');
  await expect(cards(before).nth(0)).toContainText(/Starts in .+, on .+\(Paris\)/);
  await expect(cards(before).nth(1).locator('.badge')).toHaveText('Over');
  await before.close();

  // Two days on, both are over.
  const after = await openPopup(context, extensionId, page, (p) =>
    p.clock.setFixedTime(Date.now() + 2 * 86_400_000),
  );
  await expect(cards(after).locator('.badge')).toHaveText(['Over', 'Over']);
});
