/**
 * Host access: the permission to read pages (content script) and to download the build-time list
 * (host_permissions). In Firefox MV3 the user can withhold it at install or withdraw it later
 * (origin controls); Chromium users can restrict "site access" too. Without it the content script
 * never runs, so nothing on the page can say that scanning is off: the popup and the onboarding
 * page have to.
 */

export interface ManifestLike {
  content_scripts?: { matches?: string[] }[];
  host_permissions?: string[];
}

export interface HostAccessBrowser {
  runtime: { getManifest(): ManifestLike; getURL(path: '/onboarding.html'): string };
  permissions: {
    getAll(): Promise<{ origins?: string[] }>;
    request(permissions: { origins: string[] }): Promise<boolean>;
  };
  tabs: { create(properties: { url: string }): Promise<unknown> };
}

export const ONBOARDING_PATH = '/onboarding.html';

/** Every origin the extension needs, read from its own manifest so that it cannot drift from it. */
export function requiredOrigins(manifest: ManifestLike): string[] {
  const origins = [
    ...(manifest.content_scripts ?? []).flatMap((script) => script.matches ?? []),
    ...(manifest.host_permissions ?? []),
  ];
  return [...new Set(origins)];
}

interface MatchPattern {
  scheme: string;
  host: string;
  path: string;
}

function parsePattern(pattern: string): MatchPattern | null {
  if (pattern === '<all_urls>') return { scheme: '*', host: '*', path: '/*' };
  const m = /^(\*|https?|wss?|ftp|file):\/\/([^/]*)(\/.*)$/.exec(pattern);
  return m ? { scheme: m[1]!, host: m[2]!.toLowerCase(), path: m[3]! } : null;
}

/** A pattern's host may carry a port; without one it matches every port. */
function hostCovers(grantedHost: string, wantedHost: string): boolean {
  const [granted = '', grantedPort] = grantedHost.split(':');
  const [wanted = '', wantedPort] = wantedHost.split(':');
  if (grantedPort !== undefined && grantedPort !== wantedPort) return false;
  if (granted === '*' || granted === wanted) return true;
  if (!granted.startsWith('*.') || wanted === '*') return false;
  const base = granted.slice(2);
  const bare = wanted.startsWith('*.') ? wanted.slice(2) : wanted;
  return bare === base || bare.endsWith(`.${base}`);
}

/**
 * Whether every URL that `wanted` matches is matched by `granted` (match-pattern syntax; of paths,
 * only `/*` is read as a wildcard, which is all the manifest uses).
 */
export function patternCovers(granted: string, wanted: string): boolean {
  const g = parsePattern(granted);
  const w = parsePattern(wanted);
  if (!g || !w) return false;
  const schemeOk = g.scheme === w.scheme || (g.scheme === '*' && /^(\*|https?|wss?)$/.test(w.scheme));
  const pathOk = g.path === '/*' || g.path === w.path;
  return schemeOk && pathOk && hostCovers(g.host, w.host);
}

/**
 * Checked against permissions.getAll() rather than permissions.contains(): Chromium 156 answers
 * contains() with false for a granted content-script origin that optional_host_permissions lists
 * too (the options page may ask for any https site), while getAll() lists it as granted.
 */
async function grantedCover(browser: HostAccessBrowser, wanted: readonly string[]): Promise<boolean> {
  const granted = (await browser.permissions.getAll()).origins ?? [];
  return wanted.every((w) => granted.some((g) => patternCovers(g, w)));
}

export function hasHostAccess(browser: HostAccessBrowser): Promise<boolean> {
  return grantedCover(browser, requiredOrigins(browser.runtime.getManifest()));
}

/**
 * Asks for every required origin. Browsers only show the prompt while handling a user action, so
 * call it first thing in a click handler, before any await.
 */
export function requestHostAccess(browser: HostAccessBrowser): Promise<boolean> {
  return browser.permissions.request({ origins: requiredOrigins(browser.runtime.getManifest()) });
}

/**
 * Whether the content script may run on a tab: access to all sites, or to this one (Firefox lets
 * users allow single sites). A tab whose address the extension may not see is not allowed.
 */
export async function mayScanTab(browser: HostAccessBrowser, tabUrl: string | undefined): Promise<boolean> {
  if (await hasHostAccess(browser)) return true;
  if (!tabUrl) return false;
  let url: URL;
  try {
    url = new URL(tabUrl);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return grantedCover(browser, [`${url.protocol}//${url.hostname}${url.pathname}`]);
}

/** On install: when the browser withheld access, open the page that asks for it in one click. */
export async function openOnboardingIfNeeded(browser: HostAccessBrowser): Promise<boolean> {
  if (await hasHostAccess(browser)) return false;
  await browser.tabs.create({ url: browser.runtime.getURL(ONBOARDING_PATH) });
  return true;
}
