import { expect } from '@playwright/test';
import { TIMING } from '../../../lib/content-scanner';
import { FLAG, localPage, SITES, X_LEAK_POSTS } from '../support/shared';
import {
  expectAttribute,
  expectFlagged,
  expectPopupText,
  expectText,
  expectVisible,
  flaggedNames,
  warningOf,
} from './checks';
import type { Scenario, Tab } from './driver';

/**
 * Detection in pages and feeds with the configured build and test list v1 (hashtag MacronLeaks,
 * link pattern leaks.example.net/dump, fingerprints of two fictional memos): exactly the leak
 * posts are flagged, each with a warning before it, and nothing else.
 */

const filterOf = (tab: Tab, selector: string) =>
  tab.evaluate((s) => getComputedStyle(document.querySelector(s) as Element).filter, selector);

export const detection: Scenario[] = [
  {
    title: 'generic article: the quote, the hashtag and its evasions, and the mirror link are flagged',
    async run({ page }) {
      await page.goto(localPage('article'));
      await expectFlagged(page, ['quote', 'hashtag', 'zero-width', 'full-width', 'link']);

      const headlineOf = (name: string) => `${warningOf(name)} >>> .lw-headline`;
      await expectText(page, headlineOf('quote'), /This text contains passages associated with the leak/);
      await expectText(page, headlineOf('hashtag'), /This text contains a hashtag associated with the leak/);
      await expectText(page, headlineOf('link'), /This text contains a link associated with the leak/);

      // A flagged paragraph is blurred and out of reach until the reader asks; the others are not.
      await expectAttribute(page, '[data-e2e="quote"]', 'inert', '');
      expect(await filterOf(page, '[data-e2e="quote"]')).toContain('blur');
      expect(await page.attribute('[data-e2e="clean-1"]', 'inert')).toBeNull();
      expect(await filterOf(page, '[data-e2e="clean-1"]')).toBe('none');
      await page.screenshot('article-flagged', { fullPage: true });
    },
  },
  {
    title: 'X feed: exactly the leak posts are flagged',
    async run({ page }) {
      await page.goto(SITES.x);
      await expectFlagged(page, X_LEAK_POSTS);
      // The site adapter makes the whole post the block: the warning speaks of a post.
      await expectText(page, 'leakwatch-warning', 'This post contains');
      await page.screenshot('feed-x-flagged', { fullPage: true });
    },
  },
  {
    title: 'Mastodon feed: exactly the leak posts are flagged',
    async run({ page }) {
      await page.goto(SITES.mastodon);
      await expectFlagged(page, ['m-hashtag', 'm-full-width', 'm-quote', 'm-link']);
      await page.screenshot('feed-mastodon-flagged', { fullPage: true });
    },
  },
  {
    title: 'Bluesky feed: exactly the leak posts are flagged',
    async run({ page }) {
      await page.goto(SITES.bluesky);
      await expectFlagged(page, ['b-quote', 'b-hashtag', 'b-link']);
      await page.screenshot('feed-bluesky-flagged', { fullPage: true });
    },
  },
  {
    title: 'Reddit feed: exactly the leak posts are flagged',
    async run({ page }) {
      await page.goto(SITES.reddit);
      await expectFlagged(page, ['r-quote', 'r-hashtag', 'r-link']);
      await page.screenshot('feed-reddit-flagged', { fullPage: true });
    },
  },
  {
    title: 'infinite scroll: posts appended later are flagged too',
    async run({ page }) {
      await page.goto(SITES.xScroll);
      await expect.poll(() => flaggedNames(page)).toContain('first-hashtag');
      // The page appends two batches of twelve posts (at 1.5 s and 3 s), one leak post in each.
      await expectAttribute(page, 'body', 'data-batches', '2');
      await expect.poll(() => page.count('article[data-testid="tweet"]')).toBe(27);
      await expectFlagged(page, ['first-hashtag', 'late-quote', 'late-hashtag']);
    },
  },
  {
    title: 'a clean page is left exactly as it was',
    async run(session) {
      const { page } = session;
      // The list is loaded and working: a page with a leak hashtag gets flagged first.
      await page.goto(localPage('hashtags'));
      await expect.poll(() => flaggedNames(page)).toContain('tag-v1');

      await page.addInitScript(() => {
        document.addEventListener('DOMContentLoaded', () => {
          (window as unknown as { __before: string }).__before = document.documentElement.outerHTML;
        });
      });
      await page.goto(localPage('clean'));
      // The scanner marks the page's performance timeline when nothing is left to scan or to ask.
      await expect
        .poll(() => page.evaluate((idle) => performance.getEntriesByName(idle).length, TIMING.idle))
        .toBeGreaterThan(0);
      const popup = await session.openPopup(page);
      await expectVisible(popup, 'p', 'Nothing from your lists was found on this page.');

      // A leak post added at the end proves that the scanner runs on this page: once it is flagged,
      // the blocks queued before it have been scanned too.
      await page.evaluate(() => {
        const probe = document.createElement('div');
        probe.id = 'e2e-probe';
        probe.innerHTML = '<p data-e2e="probe">Read it all: #MacronLeaks</p>';
        document.body.append(probe);
      }, undefined);
      await expect.poll(() => flaggedNames(page)).toEqual(['probe']);
      // The background's answer for any other block, had it found anything, lands by then.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const { before, after } = await page.evaluate(() => {
        const now = document.documentElement.cloneNode(true) as HTMLElement;
        now.querySelector('#e2e-probe')?.remove();
        return { before: (window as unknown as { __before: string }).__before, after: now.outerHTML };
      }, undefined);
      expect(before.length).toBeGreaterThan(500);
      expect(after).toBe(before);
      expect(await page.count(`:not(#e2e-probe *):is([${FLAG}], leakwatch-warning, [inert])`)).toBe(0);
      // The popup counts the probe and nothing else.
      await expectPopupText(popup, 'Warnings shown on this page: 1');
    },
  },
];
