import { OTHER_LIST_URL } from './support/config';
import { expect, expectFlagged, fixtures, localPage, openOptions, screenshot, test } from './support/test';

/**
 * Subscriptions in the options page. The configured build already has host access to the test
 * server (its build-time list lives there), so the options page's permission request for that
 * origin is granted without a prompt. (In the default build Chromium would show its permission
 * prompt, which headless Chromium cannot answer.)
 */

test('adds a subscription, whose list then flags pages, and removes it again', async ({
  page,
  context,
  extensionId,
}) => {
  await page.goto(localPage('hashtags'));
  await expectFlagged(page, ['tag-v1']);

  const options = await openOptions(context, extensionId);
  await expect(options.locator('li.card')).toHaveCount(1);
  await options.getByLabel('List address (URL)').fill(OTHER_LIST_URL);
  await options.getByLabel('Publisher’s public key (ed25519:…)').fill(fixtures.keyB.pub);
  await options.getByRole('button', { name: 'Add list' }).click();
  await expect(options.getByRole('status')).toHaveText('List added.');

  const card = options.locator('li.card', { hasText: OTHER_LIST_URL });
  await expect(card.getByRole('heading', { name: fixtures.otherPublisher })).toBeVisible();
  await expect(card).toContainText('Added by you');
  await expect(card).toContainText('Up to date');
  await expect(card).toContainText(String(fixtures.other.version));
  await expect(card.locator('.error')).toHaveCount(0);
  // The form is ready for the next list.
  await expect(options.getByLabel('List address (URL)')).toHaveValue('');
  await screenshot(options, 'options', true);

  await page.reload();
  await expectFlagged(page, ['tag-v1', 'tag-other']);

  await card.getByRole('button', { name: `Remove ${fixtures.otherPublisher}` }).click();
  await expect(options.getByRole('status')).toHaveText(`Removed ${OTHER_LIST_URL}.`);
  await expect(options.locator('li.card')).toHaveCount(1);
  await expect(options.locator('li.card')).not.toContainText(OTHER_LIST_URL);

  await page.reload();
  await expectFlagged(page, ['tag-v1']);
});

test('refuses a plain-http address and a malformed key before asking anything', async ({
  context,
  extensionId,
}) => {
  const options = await openOptions(context, extensionId);
  await options.getByLabel('List address (URL)').fill('http://lists.example/list.lwl');
  await options.getByLabel('Publisher’s public key (ed25519:…)').fill('ed25519:not-a-key');
  await options.getByRole('button', { name: 'Add list' }).click();
  await expect(options.getByText('The address must start with https://.')).toBeVisible();
  await expect(options.getByText(/The key must be ed25519: followed by 43 characters/)).toBeVisible();
  await expect(options.getByLabel('List address (URL)')).toHaveAttribute('aria-invalid', 'true');
  await expect(options.locator('li.card')).toHaveCount(1);
});

test('a list that does not verify with the given key is kept with its error in plain words', async ({
  context,
  extensionId,
}) => {
  const options = await openOptions(context, extensionId);
  await options.getByLabel('List address (URL)').fill(OTHER_LIST_URL);
  // Key A: the list at that address is signed with key B.
  await options.getByLabel('Publisher’s public key (ed25519:…)').fill(fixtures.keyA.pub);
  await options.getByRole('button', { name: 'Add list' }).click();
  await expect(options.getByRole('status')).toHaveText('List added.');
  const card = options.locator('li.card', { hasText: OTHER_LIST_URL });
  await expect(card).toContainText('Not loaded yet');
  await expect(card.locator('.error')).toHaveText(
    /^Last update failed: refused the downloaded list: list is signed by unknown key [0-9a-f]{16}$/,
  );
});
