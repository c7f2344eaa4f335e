import { expect } from '@playwright/test';
import { FLAG } from '../support/shared';
import type { Tab, TextFilter } from './driver';

/** Assertions the scenarios share, written against the driver's Tab; they retry like Playwright's. */

/** Names (data-e2e, or the tag) of every flagged element of the page, in document order. */
export function flaggedNames(tab: Tab): Promise<string[]> {
  return tab.evaluate(
    (flag) =>
      [...document.querySelectorAll(`[${flag}]`)].map((e) => e.getAttribute('data-e2e') ?? e.localName),
    FLAG,
  );
}

/**
 * Waits until exactly `expected` are flagged, checks that a <leakwatch-warning> precedes each and
 * that no other warning exists, then that nothing more gets flagged a moment later.
 */
export async function expectFlagged(tab: Tab, expected: readonly string[], timeout = 20_000) {
  await expect.poll(() => flaggedNames(tab), { timeout }).toEqual(expected);
  const layout = await tab.evaluate(
    (flag) =>
      [...document.querySelectorAll(`[${flag}]`)].map((e) => ({
        name: e.getAttribute('data-e2e') ?? e.localName,
        warningBefore: e.previousElementSibling?.localName === 'leakwatch-warning',
      })),
    FLAG,
  );
  for (const l of layout) expect(l.warningBefore, `warning before ${l.name}`).toBe(true);
  await expect.poll(() => tab.count('leakwatch-warning')).toBe(expected.length);
  // Scanning runs in idle slices: give a late (wrong) flag the chance to appear.
  await new Promise((resolve) => setTimeout(resolve, 750));
  expect(await flaggedNames(tab)).toEqual(expected);
}

/** The warning put before the element named `name` (data-e2e), as a selector. */
export const warningOf = (name: string) => `leakwatch-warning:has(+ [data-e2e="${name}"])`;

/** The whole text of the first match, '' when nothing matches. */
export async function textOf(tab: Tab, selector: string): Promise<string> {
  return (await tab.texts(selector))[0] ?? '';
}

function matches(text: string, filter: TextFilter): boolean {
  return typeof filter === 'string' ? text.includes(filter) : filter.test(text);
}

/** Waits until the first match's text contains `filter` (a string or a pattern). */
export async function expectText(tab: Tab, selector: string, filter: TextFilter) {
  await expect
    .poll(
      async () => {
        const text = await textOf(tab, selector);
        return matches(text, filter) ? filter : text;
      },
      { message: `text of ${selector}` },
    )
    .toEqual(filter);
}

/** Waits until some element matching `selector` (headings, buttons...) has exactly this text. */
export async function expectNamed(tab: Tab, selector: string, name: string) {
  await expect.poll(() => tab.texts(selector), { message: `${selector} named "${name}"` }).toContain(name);
}

/** Waits until the first match is visible (and, with `text`, one whose text contains it). */
export async function expectVisible(tab: Tab, selector: string, text?: TextFilter) {
  await expect
    .poll(() => tab.visible(selector, text), { message: `${selector} ${text ?? ''} visible` })
    .toBe(true);
}

export async function expectHidden(tab: Tab, selector: string, text?: TextFilter) {
  await expect
    .poll(() => tab.visible(selector, text), { message: `${selector} ${text ?? ''} hidden` })
    .toBe(false);
}

export async function expectAttribute(tab: Tab, selector: string, name: string, value: string | null) {
  await expect.poll(() => tab.attribute(selector, name), { message: `${selector} [${name}]` }).toBe(value);
}

/** The selector of the form field labelled `label` (a <label for> with exactly that text). */
export async function fieldLabelled(tab: Tab, label: string): Promise<string> {
  const id = await tab.evaluate(
    (text) =>
      [...document.querySelectorAll('label')].find((l) => l.textContent?.trim() === text)?.htmlFor ?? null,
    label,
  );
  expect(id, `a field labelled "${label}"`).toBeTruthy();
  return `[id="${id}"]`;
}

/**
 * The popup reads the tab's report once, when it opens, and the content script reports half a
 * second after its last change: reopen it (as a reader would) until `text` shows.
 */
export async function expectPopupText(popup: Tab, text: string, selector = 'p') {
  await expect(async () => {
    if (!(await popup.visible(selector, text))) {
      await popup.reload();
      await expectVisible(popup, 'main');
      expect(await popup.visible(selector, text)).toBe(true);
    }
  }).toPass({ timeout: 20_000 });
}

/** The popup's section whose heading is `heading`, as a selector. */
export const popupSection = (id: 'page' | 'context' | 'lists') => `section[aria-labelledby="${id}-heading"]`;
