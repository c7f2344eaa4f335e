import { describe, expect, it } from 'vitest';
import {
  type HostAccessBrowser,
  hasHostAccess,
  mayScanTab,
  ONBOARDING_PATH,
  openOnboardingIfNeeded,
  patternCovers,
  requestHostAccess,
  requiredOrigins,
} from '../../lib/host-access';

const MANIFEST = {
  content_scripts: [{ matches: ['http://*/*', 'https://*/*'] }],
  host_permissions: ['http://127.0.0.1:47813/*'],
};

/** The browser's permission store as the extension sees it: what getAll() lists is what is granted. */
function browserWith(granted: string[]) {
  const opened: string[] = [];
  const requested: string[][] = [];
  const browser: HostAccessBrowser = {
    runtime: { getManifest: () => MANIFEST, getURL: (path) => `moz-extension://uuid${path}` },
    permissions: {
      getAll: async () => ({ origins: [...granted] }),
      request: async ({ origins }) => {
        requested.push(origins);
        granted.push(...origins);
        return true;
      },
    },
    tabs: {
      create: async ({ url }) => {
        opened.push(url);
      },
    },
  };
  return { browser, opened, requested };
}

describe('host access', () => {
  it('needs the content-script origins and the build-time list origin, once each', () => {
    expect(requiredOrigins(MANIFEST)).toEqual(['http://*/*', 'https://*/*', 'http://127.0.0.1:47813/*']);
    expect(requiredOrigins({})).toEqual([]);
  });

  it('reads match patterns: schemes, host wildcards, ports and <all_urls>', () => {
    expect(patternCovers('http://*/*', 'http://127.0.0.1:47813/*')).toBe(true);
    expect(patternCovers('https://*/*', 'http://127.0.0.1:47813/*')).toBe(false);
    expect(patternCovers('<all_urls>', 'https://x.com/home')).toBe(true);
    expect(patternCovers('*://*/*', 'https://*/*')).toBe(true);
    expect(patternCovers('*://*/*', 'file:///tmp/a')).toBe(false);
    expect(patternCovers('https://*.example.org/*', 'https://news.example.org/a')).toBe(true);
    expect(patternCovers('https://*.example.org/*', 'https://example.org/a')).toBe(true);
    expect(patternCovers('https://*.example.org/*', 'https://badexample.org/a')).toBe(false);
    expect(patternCovers('https://x.com/*', 'https://*/*')).toBe(false);
    expect(patternCovers('http://127.0.0.1:1/*', 'http://127.0.0.1:47813/*')).toBe(false);
    expect(patternCovers('http://127.0.0.1/*', 'http://127.0.0.1:47813/*')).toBe(true);
    expect(patternCovers('https://x.com/home', 'https://x.com/other')).toBe(false);
    expect(patternCovers('not a pattern', 'https://x.com/*')).toBe(false);
  });

  it('opens the onboarding page on install only when access is withheld', async () => {
    const withheld = browserWith([]);
    expect(await openOnboardingIfNeeded(withheld.browser)).toBe(true);
    expect(withheld.opened).toEqual([`moz-extension://uuid${ONBOARDING_PATH}`]);

    const granted = browserWith(['http://*/*', 'https://*/*']);
    expect(await hasHostAccess(granted.browser)).toBe(true);
    expect(await openOnboardingIfNeeded(granted.browser)).toBe(false);
    expect(granted.opened).toEqual([]);
  });

  it('asks for every required origin in one request', async () => {
    const { browser, requested } = browserWith([]);
    expect(await requestHostAccess(browser)).toBe(true);
    expect(requested).toEqual([requiredOrigins(MANIFEST)]);
    expect(await hasHostAccess(browser)).toBe(true);
  });

  it('lets a tab be scanned with access to all sites or to its own site only', async () => {
    const one = browserWith(['https://x.com/*']);
    expect(await hasHostAccess(one.browser)).toBe(false);
    expect(await mayScanTab(one.browser, 'https://x.com/home')).toBe(true);
    expect(await mayScanTab(one.browser, 'https://bsky.app/')).toBe(false);
    expect(await mayScanTab(one.browser, undefined)).toBe(false);
    expect(await mayScanTab(one.browser, 'about:addons')).toBe(false);
    const all = browserWith(['<all_urls>']);
    expect(await mayScanTab(all.browser, 'https://bsky.app/')).toBe(true);
  });
});
