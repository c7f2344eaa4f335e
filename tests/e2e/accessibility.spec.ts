import AxeBuilder from '@axe-core/playwright';
import {
  expect,
  expectFlagged,
  expectPopupText,
  openOptions,
  openPopup,
  SITES,
  test,
  X_LEAK_POSTS,
} from './support/test';

/** axe-core (WCAG 2.x A/AA rules) on the warning, the popup and the options page. */

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

function summary(violations: { id: string; help: string; nodes: { target: unknown }[] }[]) {
  return violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`,
  );
}

test('warnings, with "Why?" open and closed, have no axe violations', async ({ page }) => {
  await page.goto(SITES.x);
  await expectFlagged(page, X_LEAK_POSTS);
  const scan = () => new AxeBuilder({ page }).include('leakwatch-warning').withTags(WCAG).analyze();
  expect(summary((await scan()).violations)).toEqual([]);
  await page.locator('leakwatch-warning').first().getByRole('button', { name: 'Why?' }).click();
  await expect(page.locator('leakwatch-warning').first().locator('.lw-why')).toBeVisible();
  expect(summary((await scan()).violations)).toEqual([]);
});

test('the popup of a flagged page has no axe violations', async ({ page, context, extensionId }) => {
  await page.goto(SITES.x);
  await expectFlagged(page, X_LEAK_POSTS);
  const popup = await openPopup(context, extensionId, page);
  await expectPopupText(popup, 'Warnings shown on this page: 6');
  const result = await new AxeBuilder({ page: popup }).withTags(WCAG).analyze();
  expect(summary(result.violations)).toEqual([]);
});

test('the options page has no axe violations', async ({ context, extensionId }) => {
  const options = await openOptions(context, extensionId);
  const result = await new AxeBuilder({ page: options }).withTags(WCAG).analyze();
  expect(summary(result.violations)).toEqual([]);
});
