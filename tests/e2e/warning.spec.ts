import { expect, expectFlagged, fixtures, SITES, screenshot, test, X_LEAK_POSTS } from './support/test';

/** The warning put before a flagged post: "Show anyway", "Why?" and the dispute link. */

test.beforeEach(async ({ page }) => {
  await page.goto(SITES.x);
  await expectFlagged(page, X_LEAK_POSTS);
});

test('"Show anyway" reveals the post and "Blur again" hides it again', async ({ page }) => {
  const post = page.locator('[data-e2e="x-hashtag"]');
  const warning = page.locator('leakwatch-warning:has(+ [data-e2e="x-hashtag"])');
  const blurred = () => post.evaluate((e) => getComputedStyle(e).filter.includes('blur'));

  expect(await blurred()).toBe(true);
  await expect(post).toHaveAttribute('inert', '');
  // The post is out of reach while blurred: its link cannot take the focus.
  const link = post.getByRole('link', { name: '#MacronLeaks' });
  const focusable = () =>
    link.evaluate((a: HTMLElement) => {
      a.focus();
      return document.activeElement === a;
    });
  expect(await focusable()).toBe(false);

  await warning.locator('button', { hasText: 'Show anyway' }).click();
  await expect.poll(blurred).toBe(false);
  await expect(post).not.toHaveAttribute('inert');
  expect(await focusable()).toBe(true);
  // The warning stays, offering to blur again; the other posts stay blurred.
  const again = warning.locator('button', { hasText: 'Blur again' });
  await expect(again).toBeVisible();
  await expect(page.locator('[data-e2e="x-quote"]')).toHaveAttribute('inert', '');

  await again.click();
  await expect.poll(blurred).toBe(true);
  await expect(post).toHaveAttribute('inert', '');
  await expect(warning.locator('button', { hasText: 'Show anyway' })).toBeVisible();
});

test('"Why?" explains what matched, from which list, and the legal notice', async ({ page }) => {
  const warning = page.locator('leakwatch-warning:has(+ [data-e2e="x-quote"])');
  await expect(warning).toHaveCount(1);
  const why = warning.getByRole('button', { name: 'Why?' });
  await expect(why).toHaveAttribute('aria-expanded', 'false');
  await expect(warning.locator('.lw-why')).toBeHidden();

  await why.click();
  await expect(why).toHaveAttribute('aria-expanded', 'true');
  const details = warning.locator('.lw-why');
  await expect(details).toBeVisible();
  await expect(details).toContainText('What matched');
  await expect(details).toContainText(
    /Passages: \d+ of the \d+ text fingerprints match the leaked documents\./,
  );
  await expect(details).toContainText(`${fixtures.publisher}, version ${fixtures.lists.v1.version}`);
  await expect(details).toContainText('Legal notice');
  await expect(details).toContainText('Republishing leaked material may be unlawful');
  await expect(warning).toContainText('This material comes from a leak.');

  const dispute = warning.getByRole('link', { name: /Not leaked material\?/ });
  await expect(dispute).toHaveAttribute('href', 'https://publisher.example/dispute');
  await expect(dispute).toHaveAttribute('target', '_blank');

  await page.locator('[data-e2e="x-quote"]').scrollIntoViewIfNeeded();
  const box = await warning.boundingBox();
  const post = await page.locator('[data-e2e="x-quote"]').boundingBox();
  expect(box && post).toBeTruthy();
  await page.screenshot({
    path: `${fixtures.screenshotDir}/warning-why-expanded.png`,
    clip: {
      x: box!.x - 8,
      y: box!.y - 8,
      width: box!.width + 16,
      height: post!.y + post!.height - box!.y + 16,
    },
  });

  await why.click();
  await expect(details).toBeHidden();
  await screenshot(page, 'feed-x-viewport');
});
