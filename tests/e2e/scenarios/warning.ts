import { expect } from '@playwright/test';
import { fixtures, SITES, X_LEAK_POSTS } from '../support/shared';
import {
  expectAttribute,
  expectFlagged,
  expectHidden,
  expectText,
  expectVisible,
  textOf,
  warningOf,
} from './checks';
import type { Scenario, Tab } from './driver';

/** The warning put before a flagged post: "Show anyway", "Why?" and the dispute link. */

async function flaggedX(page: Tab) {
  await page.goto(SITES.x);
  await expectFlagged(page, X_LEAK_POSTS);
}

export const warning: Scenario[] = [
  {
    title: '"Show anyway" reveals the post and "Blur again" hides it again',
    async run({ page }) {
      await flaggedX(page);
      const post = '[data-e2e="x-hashtag"]';
      const buttons = `${warningOf('x-hashtag')} >>> button`;
      const blurred = () =>
        page.evaluate(
          (s) => getComputedStyle(document.querySelector(s) as Element).filter.includes('blur'),
          post,
        );

      expect(await blurred()).toBe(true);
      await expectAttribute(page, post, 'inert', '');
      // The post is out of reach while blurred: its link cannot take the focus.
      const focusable = () =>
        page.evaluate((s) => {
          const link = [...document.querySelectorAll<HTMLElement>(`${s} a`)].find(
            (a) => a.textContent?.trim() === '#MacronLeaks',
          );
          if (!link) throw new Error('no #MacronLeaks link in the post');
          link.focus();
          return document.activeElement === link;
        }, post);
      expect(await focusable()).toBe(false);

      await page.click(buttons, 'Show anyway');
      await expect.poll(blurred).toBe(false);
      await expectAttribute(page, post, 'inert', null);
      expect(await focusable()).toBe(true);
      // The warning stays, offering to blur again; the other posts stay blurred.
      await expectVisible(page, buttons, 'Blur again');
      await expectAttribute(page, '[data-e2e="x-quote"]', 'inert', '');

      await page.click(buttons, 'Blur again');
      await expect.poll(blurred).toBe(true);
      await expectAttribute(page, post, 'inert', '');
      await expectVisible(page, buttons, 'Show anyway');
    },
  },
  {
    title: '"Why?" explains what matched, from which list, and the legal notice',
    async run({ page }) {
      await flaggedX(page);
      const warning = warningOf('x-quote');
      expect(await page.count(warning)).toBe(1);
      const why = `${warning} >>> button[aria-controls]`;
      const details = `${warning} >>> .lw-why`;
      expect(await textOf(page, why)).toBe('Why?');
      await expectAttribute(page, why, 'aria-expanded', 'false');
      await expectHidden(page, details);

      await page.click(why);
      await expectAttribute(page, why, 'aria-expanded', 'true');
      await expectVisible(page, details);
      await expectText(page, details, 'What matched');
      await expectText(
        page,
        details,
        /Passages: \d+ of the \d+ text fingerprints match the leaked documents\./,
      );
      await expectText(page, details, `${fixtures.publisher}, version ${fixtures.lists.v1.version}`);
      await expectText(page, details, 'Legal notice');
      await expectText(page, details, 'Republishing leaked material may be unlawful');
      await expectText(page, warning, 'This material comes from a leak.');

      const dispute = `${warning} >>> a[target]`;
      await expectText(page, dispute, /Not leaked material\?/);
      expect(await page.attribute(dispute, 'href')).toBe('https://publisher.example/dispute');
      expect(await page.attribute(dispute, 'target')).toBe('_blank');

      await page.scrollIntoView('[data-e2e="x-quote"]');
      const box = await page.box(warning);
      const post = await page.box('[data-e2e="x-quote"]');
      if (!box || !post) throw new Error('the warning or its post has no box');
      await page.screenshot('warning-why-expanded', {
        clip: {
          x: box.x - 8,
          y: box.y - 8,
          width: box.width + 16,
          height: post.y + post.height - box.y + 16,
        },
      });

      await page.click(why);
      await expectHidden(page, details);
      await page.screenshot('feed-x-viewport');
    },
  },
];
