import { expect, expectFlagged, expectPopupText, openPopup, SITES, server, test } from './support/test';

/**
 * The default build (no list URL given at build time) works from the first run with no network:
 * it uses the signed demonstration list packaged in the extension, which fingerprints the fictional
 * memos of defaults/demo-documents. Every host name fails to resolve in these browsers, and the
 * demo page itself is answered by the test, so nothing can come from the network.
 */
test.use({ build: 'default' });

test('first run, offline: the packaged list flags a quoted demo memo and #MacronLeaks', async ({
  page,
  context,
  extensionId,
}) => {
  await page.goto(SITES.demo);
  await expectFlagged(page, ['demo-quote', 'demo-hashtag']);
  const quoteWarning = page.locator('leakwatch-warning:has(+ [data-e2e="demo-quote"])');
  await expect(quoteWarning).toContainText(
    'This text contains passages associated with the leak “#MacronLeaks (May 2017)”.',
  );
  await expect(quoteWarning).toContainText('CNCCEP');

  const popup = await openPopup(context, extensionId, page);
  await expectPopupText(popup, 'Warnings shown on this page: 2');
  await expect(popup.getByRole('heading', { name: 'Leakwatch project (demonstration list)' })).toBeVisible();
  await expect(popup.getByText('Last update failed')).toHaveCount(0);
  // The 2017 blackout of the demo list is long over.
  await expect(popup.locator('.badge')).toHaveText(['Over']);

  // Nothing was asked of the test list server.
  expect((await server.state()).requests.list).toBe(0);
});
