import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page, Request } from '@playwright/test';
import { CdpRoot } from './support/cdp';
import { LIST_URL, ORIGIN } from './support/config';
import type { LoggedRequest } from './support/server';
import { renderTemplate } from './support/server';
import { expect, fixtures, flaggedNames, openOptions, openPopup, test } from './support/test';

/**
 * The privacy proof: while a reader browses 20 pages (feeds and articles, with and without leak
 * material, each with marker words of its own in its address and text), opens the popup, asks for
 * an update and opens the options page, every request is recorded three ways: Playwright's
 * context-level requests (pages, extension pages and the service worker), the DevTools Network
 * domain inside the service worker, and the list server's own log. The only requests the pages do
 * not make themselves must be the subscribed list (list.lwl and its delta), and none may carry a
 * page's address, host or marker words, in its URL, headers or body.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pagesDir = path.join(root, 'tests', 'e2e', 'pages');

const WORDS = [
  'quokka',
  'zephyr',
  'marimba',
  'obsidian',
  'tamarind',
  'fjord',
  'gazpacho',
  'halcyon',
  'ibex',
  'jicama',
  'kumquat',
  'lorikeet',
  'mesquite',
  'narwhal',
  'ocelot',
  'pangolin',
  'quetzal',
  'rambutan',
  'sassafras',
  'tapir',
];

/** A leak post: a quote of a fingerprinted test memo and the leak's hashtag. */
const LEAK_LEAD = 'From the archive, shared under #MacronLeaks: “{{memo:0:10-48}}”';
const CLEAN_LEAD = 'The forecast for Sunday is mild, with some sunshine in the afternoon.';

interface BrowsedPage {
  url: string;
  template: string;
  flagged: boolean;
  /** Words that exist only in this page's address and only in its text. */
  urlMarker: string;
  textMarker: string;
}

function browsedPages(): BrowsedPage[] {
  return WORDS.map((word, i) => {
    const urlMarker = `${word}url${i}`;
    const textMarker = `${word}text${i}`;
    const flagged = i % 2 === 0;
    const [url, template] = [
      [`https://${urlMarker}.news.example/2017/05/06/${urlMarker}.html`, 'privacy-article'],
      [`https://x.com/search?q=${urlMarker}&f=live`, 'privacy-x'],
      [`https://mastodon.social/@${urlMarker}`, 'privacy-mastodon'],
      [`https://bsky.app/profile/${urlMarker}.bsky.social`, 'privacy-bluesky'],
      [`https://www.reddit.com/r/${urlMarker}/`, 'privacy-reddit'],
    ][i % 5]!;
    return { url: url!, template: template!, flagged, urlMarker, textMarker };
  });
}

function render(page: BrowsedPage): string {
  const html = fs
    .readFileSync(path.join(pagesDir, `${page.template}.html`), 'utf8')
    .replaceAll('{{lead}}', page.flagged ? LEAK_LEAD : CLEAN_LEAD)
    .replaceAll('{{marker}}', page.textMarker);
  return renderTemplate(root, html);
}

/** One request as a recorder saw it. */
interface Recorded {
  recorder: 'playwright' | 'devtools (worker)' | 'list server';
  source: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

function whoMade(request: Request, pageUrls: Set<string>, extensionOrigin: string): string {
  if (request.serviceWorker()) return 'service worker';
  let frameUrl = '';
  try {
    frameUrl = request.frame().url();
  } catch {
    return 'unknown';
  }
  if (frameUrl.startsWith(extensionOrigin)) return `extension page ${new URL(frameUrl).pathname}`;
  if (request.isNavigationRequest() && pageUrls.has(request.url())) return 'browsed page (navigation)';
  return `browsed page ${frameUrl || '(new)'}`;
}

test('the extension sends nothing but list requests while browsing 20 pages', async ({
  context,
  page,
  extensionId,
}) => {
  test.setTimeout(120_000);
  const pages = browsedPages();
  const pageUrls = new Set(pages.map((p) => p.url));
  const extensionOrigin = `chrome-extension://${extensionId}/`;
  const recorded: Recorded[] = [];
  const pending: Promise<unknown>[] = [];

  // Before the first sync: it waits up to a second for enterprise policy first.
  context.on('request', (request) => {
    pending.push(
      (async () => {
        recorded.push({
          recorder: 'playwright',
          source: whoMade(request, pageUrls, extensionOrigin),
          method: request.method(),
          url: request.url(),
          headers: await request.allHeaders().catch(() => request.headers()),
          body: request.postData() ?? '',
        });
      })(),
    );
  });
  const sockets: string[] = [];
  context.on('page', (p) => p.on('websocket', (ws) => sockets.push(ws.url())));
  page.on('websocket', (ws) => sockets.push(ws.url()));

  const cdp = await CdpRoot.open(context);
  const worker = await cdp.attachServiceWorker(extensionId);
  worker.on('Network.requestWillBeSent', (event) => {
    recorded.push({
      recorder: 'devtools (worker)',
      source: 'service worker',
      method: event.request.method,
      url: event.request.url,
      headers: event.request.headers,
      body: event.request.postData ?? '',
    });
  });
  worker.on('Network.requestWillBeSentExtraInfo', (event) => {
    // The headers as sent on the wire, cookies included: checked like the rest.
    recorded.push({
      recorder: 'devtools (worker)',
      source: 'service worker (wire headers)',
      method: '',
      url: '',
      headers: event.headers,
      body: '',
    });
  });
  worker.on('Network.webSocketCreated', (event) => sockets.push(event.url));
  await worker.send('Network.enable');

  const rendered = new Map(pages.map((p) => [p.url, render(p)]));
  await context.route(
    (url) => rendered.has(url.href),
    (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/html; charset=utf-8',
        body: rendered.get(route.request().url())!,
      }),
  );

  const flaggedSeen: Record<string, string[]> = {};
  for (const [i, browsed] of pages.entries()) {
    await page.goto(browsed.url);
    if (browsed.flagged) {
      await expect.poll(() => flaggedNames(page), { message: browsed.url }).toContain('lead');
    } else {
      await page.waitForTimeout(400);
    }
    flaggedSeen[browsed.url] = await flaggedNames(page);
    if (i === 4) {
      // A reader looks at the popup of a flagged feed and asks for an update.
      const popup: Page = await openPopup(context, extensionId, page);
      await popup.getByRole('button', { name: 'Update lists now' }).click();
      await expect(popup.locator('.notice')).toHaveText('Lists checked for updates.');
      await popup.close();
    }
    if (i === 11) {
      const options = await openOptions(context, extensionId);
      await options.close();
      const popup = await openPopup(context, extensionId, page);
      await popup.close();
    }
  }
  await Promise.all(pending);
  await worker.detach();

  // Every request that reached the list server, from the browser (the harness's own control
  // requests come from Node, whose user agent is not a browser's).
  const log = (await (await fetch(`${ORIGIN}/__log`)).json()) as { requests: LoggedRequest[] };
  for (const r of log.requests) {
    if (!/Chrome\//.test(String(r.headers['user-agent'] ?? ''))) continue;
    const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
    recorded.push({
      recorder: 'list server',
      source: 'received',
      method: r.method,
      url: new URL(r.url, ORIGIN).href,
      headers,
      body: r.body,
    });
  }

  // What was recorded, for the reader of the test output.
  const counts = new Map<string, number>();
  for (const r of recorded) {
    if (!r.url) continue;
    const where = r.url.startsWith(extensionOrigin)
      ? `chrome-extension://<id>/${new URL(r.url).pathname.slice(1)}`
      : r.url;
    const key = `${r.recorder.padEnd(17)} | ${r.source.padEnd(32)} | ${r.method.padEnd(4)} | ${where}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  console.log(
    [
      `Privacy: ${recorded.filter((r) => r.url).length} requests recorded while browsing ${pages.length} pages, popup and options open`,
      `${'recorder'.padEnd(17)} | ${'made by'.padEnd(32)} | verb | URL (count)`,
      ...[...counts].sort().map(([key, n]) => `${key}${n > 1 ? ` (x${n})` : ''}`),
      `websockets: ${sockets.length === 0 ? 'none' : sockets.join(', ')}`,
      `headers the list server received: ${[
        ...new Set(
          recorded.filter((r) => r.recorder === 'list server').flatMap((r) => Object.keys(r.headers)),
        ),
      ]
        .sort()
        .join(', ')}`,
    ].join('\n'),
  );

  // The pages were really scanned: each leak page flagged, each clean one not.
  for (const browsed of pages) {
    expect(flaggedSeen[browsed.url], browsed.url).toEqual(browsed.flagged ? ['lead'] : []);
  }

  // Requests not made by the pages themselves: the list, or files inside the extension package.
  const listRequest = (url: string) =>
    url === LIST_URL || new RegExp(`^${ORIGIN}/deltas/\\d+\\.lwd$`).test(url);
  const notByPages = recorded.filter((r) => r.url && r.source !== 'browsed page (navigation)');
  const leaving = notByPages.filter((r) => !r.url.startsWith(extensionOrigin));
  expect(
    leaving.filter((r) => !listRequest(r.url)).map((r) => `${r.recorder}: ${r.source} ${r.method} ${r.url}`),
    'requests other than the subscribed list',
  ).toEqual([]);
  expect(leaving.every((r) => r.source === 'service worker' || r.recorder === 'list server')).toBe(true);
  expect(sockets).toEqual([]);
  for (const r of recorded.filter((r) => r.recorder === 'list server')) {
    expect(Object.keys(r.headers), `${r.url}: no cookie, no referrer`).not.toContain('cookie');
    expect(Object.keys(r.headers)).not.toContain('referer');
    expect(r.body).toBe('');
  }
  // The recorders were listening from the install on: the install sync's download is in each.
  for (const recorder of ['playwright', 'list server'] as const) {
    expect(
      recorded.filter((r) => r.recorder === recorder && r.url === LIST_URL).length,
      `${recorder}: the install sync and the update`,
    ).toBeGreaterThanOrEqual(2);
  }
  expect(recorded.some((r) => r.recorder === 'devtools (worker)' && r.url === LIST_URL)).toBe(true);

  // Nothing the extension sent carries what the reader browsed.
  const secrets = pages.flatMap((p) => [p.url, new URL(p.url).host, p.urlMarker, p.textMarker]);
  const carried: string[] = [];
  for (const r of recorded.filter((r) => r.source !== 'browsed page (navigation)')) {
    const text = `${r.url}\n${Object.entries(r.headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n')}\n${r.body}`.toLowerCase();
    for (const secret of secrets) {
      if (text.includes(secret.toLowerCase()) || text.includes(encodeURIComponent(secret).toLowerCase()))
        carried.push(`${r.recorder} ${r.source} ${r.url}: carries ${secret}`);
    }
  }
  expect(carried, 'page addresses, hosts or marker words in extension requests').toEqual([]);
});

test('the built manifests ask for the minimum permissions', () => {
  const read = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const configured = read(fixtures.builds.configured);
  const bundled = read(fixtures.builds.default);
  for (const manifest of [configured, bundled]) {
    expect([...manifest.permissions].sort()).toEqual(['alarms', 'storage']);
    expect(manifest.optional_host_permissions).toEqual([
      'https://*/*',
      'http://127.0.0.1/*',
      'http://localhost/*',
    ]);
    expect(manifest.content_scripts.map((c: { matches: string[] }) => c.matches)).toEqual([
      ['http://*/*', 'https://*/*'],
    ]);
    for (const key of [
      'optional_permissions',
      'web_accessible_resources',
      'externally_connectable',
      'content_security_policy',
    ])
      expect(manifest[key], key).toBeUndefined();
  }
  // Host access is only the build-time list's origin; a build without one asks for none.
  expect(configured.host_permissions).toEqual([`${ORIGIN}/*`]);
  expect(bundled.host_permissions ?? []).toEqual([]);
});
