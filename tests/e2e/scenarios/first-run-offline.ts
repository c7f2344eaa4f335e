import { expect } from '@playwright/test';
import { SITES, server } from '../support/shared';
import { expectFlagged, expectNamed, expectPopupText, expectText, textOf, warningOf } from './checks';
import type { Scenario } from './driver';

/**
 * The default build (no list URL given at build time) works from the first run with no network:
 * it uses the signed demonstration list packaged in the extension, which fingerprints the fictional
 * memos of defaults/demo-documents. No host name resolves in these browsers, and the demo page
 * itself is answered by the test, so nothing can come from the network.
 */
export const firstRunOffline: Scenario[] = [
  {
    title: 'first run, offline: the packaged list flags a quoted demo memo and #MacronLeaks',
    build: 'default',
    async run(session) {
      const { page } = session;
      await page.goto(SITES.demo);
      await expectFlagged(page, ['demo-quote', 'demo-hashtag']);
      await expectText(
        page,
        warningOf('demo-quote'),
        'This text contains passages associated with the leak “#MacronLeaks (May 2017)”.',
      );
      await expectText(page, warningOf('demo-quote'), 'CNCCEP');

      const popup = await session.openPopup(page);
      await expectPopupText(popup, 'Warnings shown on this page: 2');
      await expectNamed(popup, 'h3', 'Leakwatch project (demonstration list)');
      expect(await textOf(popup, 'body')).not.toContain('Last update failed');
      // The 2017 blackout of the demo list is long over.
      await expect.poll(() => popup.texts('.badge')).toEqual(['Over']);

      // Nothing was asked of the test list server.
      expect((await server.state()).requests.list).toBe(0);
    },
  },
];
