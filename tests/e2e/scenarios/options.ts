import { expect } from '@playwright/test';
import { OTHER_LIST_URL } from '../support/config';
import { fixtures, localPage } from '../support/shared';
import { expectFlagged, expectNamed, expectText, expectVisible, fieldLabelled, textOf } from './checks';
import type { Scenario, Tab } from './driver';

/**
 * Subscriptions in the options page. The configured build already has host access to the test
 * server (its build-time list lives there), so the options page's permission request for that
 * origin is granted without a prompt, which a headless browser could not answer.
 */

const URL_LABEL = 'List address (URL)';
const KEY_LABEL = 'Publisher’s public key (ed25519:…)';

/** The subscription card whose text contains `text`, as a selector. */
async function cardWith(options: Tab, text: string): Promise<string> {
  const cards = await options.texts('li.card');
  const index = cards.findIndex((c) => c.includes(text));
  expect(index, `a subscription card with ${text}`).toBeGreaterThanOrEqual(0);
  return `li.card:nth-child(${index + 1})`;
}

async function addList(options: Tab, url: string, key: string) {
  await options.fill(await fieldLabelled(options, URL_LABEL), url);
  await options.fill(await fieldLabelled(options, KEY_LABEL), key);
  await options.click('button[type="submit"]', 'Add list');
}

export const options: Scenario[] = [
  {
    title: 'adds a subscription, whose list then flags pages, and removes it again',
    async run(session) {
      const { page } = session;
      await page.goto(localPage('hashtags'));
      await expectFlagged(page, ['tag-v1']);

      const options = await session.openOptions();
      expect(await options.count('li.card')).toBe(1);
      await addList(options, OTHER_LIST_URL, fixtures.keyB.pub);
      await expect.poll(() => textOf(options, '[role="status"]')).toBe('List added.');

      const card = await cardWith(options, OTHER_LIST_URL);
      await expectNamed(options, `${card} h3`, fixtures.otherPublisher);
      await expectText(options, card, 'Added by you');
      await expectText(options, card, 'Up to date');
      await expectText(options, card, String(fixtures.other.version));
      expect(await options.count(`${card} .error`)).toBe(0);
      // The form is ready for the next list.
      expect(
        await options.evaluate(
          (s) => (document.querySelector(s) as HTMLInputElement).value,
          await fieldLabelled(options, URL_LABEL),
        ),
      ).toBe('');
      await options.screenshot('options', { fullPage: true });

      await page.reload();
      await expectFlagged(page, ['tag-v1', 'tag-other']);

      await options.click(`${card} button`, `Remove ${fixtures.otherPublisher}`);
      await expect.poll(() => textOf(options, '[role="status"]')).toBe(`Removed ${OTHER_LIST_URL}.`);
      expect(await options.count('li.card')).toBe(1);
      expect(await textOf(options, 'li.card')).not.toContain(OTHER_LIST_URL);

      await page.reload();
      await expectFlagged(page, ['tag-v1']);
    },
  },
  {
    title: 'refuses a plain-http address and a malformed key before asking anything',
    async run(session) {
      const options = await session.openOptions();
      await addList(options, 'http://lists.example/list.lwl', 'ed25519:not-a-key');
      await expectVisible(options, 'p.error', 'The address must start with https://.');
      await expectVisible(options, 'p.error', /The key must be ed25519: followed by 43 characters/);
      expect(await options.attribute(await fieldLabelled(options, URL_LABEL), 'aria-invalid')).toBe('true');
      expect(await options.count('li.card')).toBe(1);
    },
  },
  {
    title: 'a list that does not verify with the given key is kept with its error in plain words',
    async run(session) {
      const options = await session.openOptions();
      // Key A: the list at that address is signed with key B.
      await addList(options, OTHER_LIST_URL, fixtures.keyA.pub);
      await expect.poll(() => textOf(options, '[role="status"]')).toBe('List added.');
      const card = await cardWith(options, OTHER_LIST_URL);
      await expectText(options, card, 'Not loaded yet');
      await expect
        .poll(() => textOf(options, `${card} .error`))
        .toMatch(
          /^Last update failed: refused the downloaded list: list is signed by unknown key [0-9a-f]{16}$/,
        );
    },
  },
];
