import type { Page } from '@playwright/test';
import { TIMING } from '../../lib/content-scanner';
import { HOSTILE_MARKUP } from './support/make-fixtures';
import { expect, FLAG, localPage, openOptions, openPopup, screenshot, test } from './support/test';

/**
 * Hostile pages (issue 5, part 4): list strings with markup stay text; the page can neither get rid
 * of a warning nor click through it; page scripts reach none of the extension's state; and pages
 * built to exhaust a scanner (100,000 nodes, 2,000 nested blocks and 5,000 nested inline elements, a 10 MB text node, shadow roots and
 * frames, a mutation storm) keep their timers running while the extension works in bounded slices.
 */

/**
 * Longest extension slice (its own timing entries) these tests accept. The scanner aims at 4 ms a
 * slice; the unbounded steps this guards against took 130-480 ms on these pages (one
 * querySelectorAll over 100,000 elements, innerText of a 10 MB text node, the features of 200,000
 * characters at once). A machine loaded by other work was seen stretching a 4 ms slice to 80 ms.
 */
const SLICE_BOUND_MS = 100;

/**
 * Records the extension's slices from the start of every document (the page's own world). The
 * one-off loading of its translations before a page's first warning (TIMING.prepare, a synchronous
 * call into the browser) is not a slice of bounded work and is left out.
 */
async function recordSlices(page: Page): Promise<void> {
  await page.addInitScript(`(() => {
    const slices = [];
    Object.defineProperty(window, '__leakwatchSlices', { value: slices });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        if (${JSON.stringify([TIMING.scan, TIMING.apply, TIMING.observe])}.includes(e.name))
          slices.push([e.name, e.duration]);
    }).observe({ entryTypes: ['measure'] });
  })();`);
}

async function slices(page: Page): Promise<{ count: number; max: number; longest: string }> {
  return page.evaluate(() => {
    const all = (window as unknown as { __leakwatchSlices: [string, number][] }).__leakwatchSlices;
    const longest = all.reduce((a, b) => (b[1] > a[1] ? b : a), ['none', 0]);
    return { count: all.length, max: longest[1], longest: longest[0] };
  });
}

/** The page's own 20 ms timer (pages/hostile-*.html): how often it fired, and its longest gap. */
function ticks(page: Page): Promise<{ count: number; maxGap: number }> {
  return page.evaluate(() => {
    const t = (window as unknown as { __ticks: { count: number; maxGap: number } }).__ticks;
    return { count: t.count, maxGap: t.maxGap };
  });
}

function resetTicks(page: Page): Promise<void> {
  return page.evaluate(() => {
    const t = (window as unknown as { __ticks: { count: number; maxGap: number; last: number } }).__ticks;
    t.count = 0;
    t.maxGap = 0;
    t.last = performance.now();
  });
}

const flagged = (page: Page, name: string) => page.locator(`[data-e2e="${name}"][${FLAG}]`);

async function expectBoundedSlices(page: Page): Promise<void> {
  const s = await slices(page);
  expect(s.count, 'the extension recorded its slices').toBeGreaterThan(0);
  expect(s.max, `longest extension slice of ${s.count} (${s.longest})`).toBeLessThan(SLICE_BOUND_MS);
}

test.describe('list strings with markup', () => {
  test.use({ serve: 'hostile' });

  test('are shown as text in the warning, the popup and the options page', async ({
    page,
    context,
    extensionId,
  }) => {
    await page.goto(localPage('hostile-page'));
    await expect(flagged(page, 'leak')).toHaveCount(1, { timeout: 20_000 });
    const warning = page.locator(`leakwatch-warning:has(+ [data-e2e="leak"])`);
    await warning.getByRole('button', { name: 'Why?' }).click();
    await expect(warning).toContainText(`Title ${HOSTILE_MARKUP}`);
    await expect(warning).toContainText(`Authority ${HOSTILE_MARKUP}`);
    await expect(warning).toContainText('Legal notice <a href="javascript:');
    await expect(warning).toContainText(`Publisher ${HOSTILE_MARKUP}`);
    // Nothing of the markup became an element: no image, no bold, no javascript: link.
    const inside = await warning.evaluate((host) => {
      const root = host.shadowRoot!;
      return {
        images: root.querySelectorAll('img').length,
        bold: root.querySelectorAll('b').length,
        scriptLinks: [...root.querySelectorAll('a')].filter((a) => a.href.startsWith('javascript:')).length,
      };
    });
    expect(inside).toEqual({ images: 0, bold: 0, scriptLinks: 0 });
    await screenshot(page, 'hostile-list-warning');

    const popup = await openPopup(context, extensionId, page);
    await expect(popup.getByText(`Title ${HOSTILE_MARKUP}`).first()).toBeVisible();
    await expect(popup.getByText(`Election ${HOSTILE_MARKUP}`).first()).toBeVisible();
    expect(await popup.locator('img[src="x"], b, script:not([src])').count()).toBe(0);
    await screenshot(popup, 'hostile-list-popup', true);

    const options = await openOptions(context, extensionId);
    await expect(options.getByText(`Publisher ${HOSTILE_MARKUP}`).first()).toBeVisible();
    expect(await options.locator('img[src="x"]').count()).toBe(0);

    for (const p of [page, popup, options]) {
      expect(
        await p.evaluate(() => (window as unknown as { __leakwatchPwned?: number }).__leakwatchPwned),
      ).toBe(undefined);
    }
  });
});

test.describe('a page that fights the warning', () => {
  const warningOf = (page: Page, name: string) =>
    page.locator(`leakwatch-warning:has(+ [data-e2e="${name}"])`);
  const blurred = (page: Page, name: string) =>
    page.locator(`[data-e2e="${name}"]`).evaluate((e) => ({
      blur: getComputedStyle(e).filter.includes('blur'),
      inert: e.hasAttribute('inert'),
    }));

  test.beforeEach(async ({ page }) => {
    await page.goto(localPage('hostile-page'));
    await expect(flagged(page, 'leak')).toHaveCount(1, { timeout: 20_000 });
    await expect(flagged(page, 'quote')).toHaveCount(1);
  });

  test('cannot hide, restyle, move or remove it for good', async ({ page }) => {
    const warning = warningOf(page, 'leak');
    const visible = () =>
      page.evaluate(() => {
        const host = document.querySelector('[data-e2e="leak"]')?.previousElementSibling;
        if (host?.localName !== 'leakwatch-warning') return false;
        const style = getComputedStyle(host);
        const box = host.getBoundingClientRect();
        return (
          style.display !== 'none' &&
          style.visibility === 'visible' &&
          style.opacity === '1' &&
          box.height > 20
        );
      });
    expect(await visible()).toBe(true);

    // A page stylesheet, even !important, loses to the warning's pinned inline style.
    await page.addStyleTag({
      content:
        'leakwatch-warning { display: none !important; visibility: hidden !important; opacity: 0 !important; }',
    });
    expect(await visible()).toBe(true);

    // Each attack is undone; after two rounds (ten attacks, more than a framework re-rendering
    // would make) the warning still comes back.
    const attacks = [
      'inline style',
      'important inline style',
      'removal',
      'moved away',
      'emptied shadow root',
    ];
    for (let round = 0; round < 2; round++) {
      for (const attack of attacks) {
        await page.evaluate((name) => {
          const host = document.querySelector('[data-e2e="leak"]')!.previousElementSibling as HTMLElement;
          if (name === 'inline style') host.setAttribute('style', 'display: none');
          if (name === 'important inline style') host.style.setProperty('visibility', 'hidden', 'important');
          if (name === 'removal') host.remove();
          if (name === 'moved away') document.body.append(host);
          if (name === 'emptied shadow root') host.shadowRoot?.replaceChildren();
        }, attack);
        await expect
          .poll(visible, { message: `after ${attack} (round ${round + 1})`, timeout: 10_000 })
          .toBe(true);
        await expect(warning.getByRole('button', { name: 'Why?' })).toBeVisible();
      }
    }
    // The post stayed blurred throughout.
    expect(await blurred(page, 'leak')).toEqual({ blur: true, inert: true });
  });

  test('cannot click "Show anyway" or lift the blur itself', async ({ page }) => {
    await page.evaluate(() => {
      const host = document.querySelector('[data-e2e="leak"]')!.previousElementSibling as HTMLElement;
      const show = [...host.shadowRoot!.querySelectorAll('button')].find(
        (b) => b.textContent === 'Show anyway',
      );
      show!.click();
      show!.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true }));
    });
    await page.waitForTimeout(300);
    expect(await blurred(page, 'leak')).toEqual({ blur: true, inert: true });

    await page.evaluate(() => {
      const post = document.querySelector('[data-e2e="quote"]') as HTMLElement;
      post.style.filter = 'none';
      post.removeAttribute('inert');
    });
    await expect.poll(() => blurred(page, 'quote')).toEqual({ blur: true, inert: true });

    // The reader's own click still works.
    await warningOf(page, 'leak').getByRole('button', { name: 'Show anyway' }).click();
    await expect.poll(() => blurred(page, 'leak')).toEqual({ blur: false, inert: false });
  });

  test('page scripts cannot send lookups or read the extension state', async ({ page, extensionId }) => {
    const probe = await page.evaluate(async (id) => {
      const w = window as unknown as { chrome?: { runtime?: { sendMessage?: unknown } } };
      const out: Record<string, unknown> = {};
      // Web pages get no messaging API for this extension (it declares no externally_connectable).
      out.runtime = typeof w.chrome?.runtime?.sendMessage;
      try {
        (w.chrome as { runtime: { sendMessage(id: string, m: unknown): void } }).runtime.sendMessage(id, {
          type: 'lookup',
          blocks: [{ hashtags: ['macronleaks'], urls: [], fingerprints: {} }],
        });
        out.sent = true;
      } catch (e) {
        out.sent = String(e).slice(0, 80);
      }
      // Messages and events in the page's own world reach no one.
      const replies: unknown[] = [];
      window.addEventListener('message', (e) => replies.push(e.data));
      window.postMessage(
        { type: 'lookup', blocks: [{ hashtags: ['macronleaks'], urls: [], fingerprints: {} }] },
        '*',
      );
      window.postMessage({ type: 'popup-state', tabId: 0 }, '*');
      for (const name of ['leakwatch', 'leakwatch:lookup', 'message'])
        document.dispatchEvent(new CustomEvent(name, { detail: { type: 'get-options' } }));
      await new Promise((r) => setTimeout(r, 500));
      out.replies = replies.length;
      // Nothing of the extension hangs off the page's window or document.
      out.globals = Object.keys(window).filter((k) => /leak|lw/i.test(k) && k !== '__leakwatchSlices');
      out.documentKeys = Object.keys(document).filter((k) => /leak|lw/i.test(k));
      // Its timing entries carry names and durations only.
      out.entryDetails = performance
        .getEntries()
        .filter((e) => e.name.startsWith('leakwatch:'))
        .filter((e) => (e as PerformanceMark).detail != null).length;
      return out;
    }, extensionId);
    expect(probe.runtime).toBe('undefined');
    expect(probe.sent).not.toBe(true);
    expect(probe.replies).toBe(2); // the two postMessages themselves, answered by nobody
    expect(probe.globals).toEqual([]);
    expect(probe.documentKeys).toEqual([]);
    expect(probe.entryDetails).toBe(0);
    // The open shadow root shows what the reader sees, nothing of the list: no hashtag set, no
    // fingerprints, no research log, no other tab's findings.
    const rendered = await warningOf(page, 'leak').evaluate((host) => host.shadowRoot!.textContent ?? '');
    expect(rendered).not.toMatch(/\d{9,}/);
    expect(rendered.toLowerCase()).not.toContain('blackoutdump');
  });
});

test.describe('pages built to exhaust a scanner', () => {
  test.beforeEach(async ({ page }) => {
    await recordSlices(page);
  });

  test('100,000 nodes: the leak at the end is found in bounded slices', async ({ page }) => {
    await page.goto(localPage('hostile-nodes'));
    await resetTicks(page);
    await expect(flagged(page, 'leak')).toHaveCount(1, { timeout: 30_000 });
    await expectBoundedSlices(page);
    const t = await ticks(page);
    expect(t.count, 'the page timer kept firing').toBeGreaterThan(10);
  });

  test('2,000 nested blocks and 5,000 nested inline elements', async ({ page }) => {
    await page.goto(localPage('hostile-deep'));
    await expect(flagged(page, 'deep-leak')).toHaveCount(1, { timeout: 30_000 });
    await expect(flagged(page, 'inline-leak')).toHaveCount(1, { timeout: 30_000 });
    // (No page-timer check here: the page's own layout of these trees holds its timer, with or
    // without the extension, longer than the extension needs to find both leaks.)
    await expectBoundedSlices(page);
  });

  test('a 10 MB text node', async ({ page }) => {
    await page.goto(localPage('hostile-giant'));
    await expect(flagged(page, 'after')).toHaveCount(1, { timeout: 30_000 });
    await expect(flagged(page, 'giant')).toHaveCount(1, { timeout: 30_000 });
    // (As above: laying out 10 MB of text holds the page's timer for about a second by itself.)
    await expectBoundedSlices(page);
  });

  test('open and closed shadow roots and 21 frames', async ({ page }) => {
    await page.goto(localPage('hostile-frames'));
    await expect(flagged(page, 'light')).toHaveCount(1, { timeout: 30_000 });
    // Open shadow roots are read like the document (Playwright's CSS engine pierces them); a closed
    // one is out of reach of the extension as of any other script.
    await expect(flagged(page, 'shadow-leak')).toHaveCount(1, { timeout: 30_000 });
    expect(
      await page.evaluate(() =>
        (window as unknown as { __closedRoot: ShadowRoot }).__closedRoot.querySelector(
          `[${'data-leakwatch-flagged'}]`,
        ),
      ),
    ).toBeNull();
    // Every frame is a document of its own with its own scanner.
    for (const frame of page.frames().slice(1)) {
      await expect(frame.locator(`[data-e2e="framed"][${FLAG}]`)).toHaveCount(1, { timeout: 30_000 });
    }
    expect(page.frames()).toHaveLength(22);
    await expectBoundedSlices(page);
    expect((await ticks(page)).count).toBeGreaterThan(5);
  });

  test('a mutation storm of 20,000 changes a second for 4 seconds', async ({ page }) => {
    await page.goto(localPage('hostile-storm'));
    await resetTicks(page);
    await expect(flagged(page, 'before')).toHaveCount(1, { timeout: 20_000 });
    await page.waitForFunction(
      () => (window as unknown as { __storm: { done: boolean } }).__storm.done,
      null,
      {
        timeout: 20_000,
      },
    );
    const t = await ticks(page);
    // 4 s of a 20 ms timer: it keeps firing while the extension keeps up with the storm.
    expect(t.count).toBeGreaterThan(50);
    await expect(flagged(page, 'during')).toHaveCount(1, { timeout: 20_000 });
    await expectBoundedSlices(page);
  });
});
