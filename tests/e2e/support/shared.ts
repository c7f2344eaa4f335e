import fs from 'node:fs';
import { type E2eFixtures, FIXTURES_ENV, type ListName, ORIGIN } from './config';

/**
 * What both browsers' end-to-end runs share: the fixtures prepared by the runner, the feed sites
 * answered locally, and the list server's control. Nothing here knows which browser runs.
 */

function loadFixtures(): E2eFixtures {
  const file = process.env[FIXTURES_ENV];
  if (!file || !fs.existsSync(file)) {
    throw new Error(
      `${FIXTURES_ENV} is not set: run the end-to-end tests with 'npm run test:e2e' or 'npm run test:e2e:firefox'`,
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as E2eFixtures;
}

export const fixtures = loadFixtures();

export type BuildName = keyof E2eFixtures['builds'];

/** Feed sites whose adapters only apply on their own host names; answered locally, never fetched. */
export const SITES = {
  x: 'https://x.com/home',
  xScroll: 'https://x.com/search?q=vote&f=live',
  mastodon: 'https://mastodon.social/home',
  bluesky: 'https://bsky.app/',
  reddit: 'https://www.reddit.com/r/france/',
  demo: 'https://news.example/2017/05/06/final-weekend.html',
} as const;

const SITE_PAGES: Record<string, string> = {
  [SITES.x]: 'x.html',
  [SITES.xScroll]: 'infinite.html',
  [SITES.mastodon]: 'mastodon.html',
  [SITES.bluesky]: 'bluesky.html',
  [SITES.reddit]: 'reddit.html',
  [SITES.demo]: 'demo.html',
};

export interface SiteResponse {
  status: number;
  contentType: string;
  body: string;
}

/** The answer to a request for an https:// address: a test page for the feed sites, 404 for any other. */
export async function siteResponse(url: string): Promise<SiteResponse> {
  const name = SITE_PAGES[url];
  if (!name) return { status: 404, contentType: 'text/plain', body: 'not part of the test' };
  const res = await fetch(`${ORIGIN}/pages/${name}`);
  return { status: res.status, contentType: 'text/html; charset=utf-8', body: await res.text() };
}

/** The posts of the X page (pages/x.html) that carry leak material, in page order. */
export const X_LEAK_POSTS = ['x-hashtag', 'x-quote', 'x-link', 'x-zero-width', 'x-tco', 'x-homoglyph'];

/** A page of tests/e2e/pages served by the local server (host 127.0.0.1). */
export const localPage = (name: string) => `${ORIGIN}/pages/${name}.html`;

/** The server's /list.lwl switch and request counters. */
export const server = {
  async control(params: string): Promise<{ serve: ListName; requests: { list: number; other: number } }> {
    const res = await fetch(`${ORIGIN}/__control?${params}`, { method: 'POST' });
    if (!res.ok) throw new Error(`server control ${params}: HTTP ${res.status}`);
    return res.json();
  },
  serve(name: ListName) {
    return this.control(`serve=${name}`);
  },
  state() {
    return this.control('');
  },
};

export const FLAG = 'data-leakwatch-flagged';
