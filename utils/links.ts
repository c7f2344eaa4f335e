import { normaliseHashtag } from './normalise';

/**
 * Link patterns are `host[/path-prefix]`. They are matched on parsed URLs: scheme, port, query and
 * fragment are ignored, the host is IDN-encoded and lower-cased by the URL parser, a leading
 * `www.` is insignificant, and a pattern host matches itself and its subdomains only (never a
 * longer name: `notexample.net` is not `example.net`). Paths compare case-folded, by whole
 * segments (`/dump` covers `/dump/a` but not `/dumpster`).
 */

export interface UrlPattern {
  host: string;
  /** Normalised path prefix without trailing slash; '' matches the whole host. */
  path: string;
}

function foldHost(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h.startsWith('www.') ? h.slice(4) : h;
}

function foldPath(pathname: string): string {
  let p = pathname;
  try {
    p = decodeURIComponent(pathname);
  } catch {
    // Keep the raw path: a malformed escape is still comparable as text.
  }
  return p.toLowerCase().replace(/\/+/g, '/').replace(/\/$/, '');
}

function parseLoose(text: string): URL | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  try {
    const url = new URL(withScheme);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** Parses a pattern as written by a list maintainer; null when it is not a host[/path]. */
export function parseUrlPattern(text: string): UrlPattern | null {
  const url = parseLoose(text);
  if (!url?.hostname.includes('.')) return null;
  return { host: foldHost(url.hostname), path: foldPath(url.pathname) };
}

export function formatUrlPattern(p: UrlPattern): string {
  return p.host + p.path;
}

/** The host and its parent domains, most specific first: a.b.example.net, b.example.net, ... */
export function hostCandidates(host: string): string[] {
  const out: string[] = [];
  let h = foldHost(host);
  while (h.includes('.')) {
    out.push(h);
    h = h.slice(h.indexOf('.') + 1);
  }
  return out;
}

export function pathMatches(urlPath: string, prefix: string): boolean {
  return prefix === '' || urlPath === prefix || urlPath.startsWith(`${prefix}/`);
}

export interface ParsedLink {
  host: string;
  path: string;
}

export function parseLink(href: string): ParsedLink | null {
  const url = parseLoose(href);
  if (!url) return null;
  return { host: foldHost(url.hostname), path: foldPath(url.pathname) };
}

const MAY_HOLD_TAG = /tag|[\t\n\r]/i;
const TAG_PATH = /\/(?:hashtag|hashtags|tags?|explore\/tags)\/([^/?#]+)/i;

/**
 * Hashtags carried by links: /hashtag/X (X, Facebook, Bluesky), /tags/X (Mastodon), /explore/tags/X,
 * and searches such as ?q=%23X.
 */
export function hashtagsInLink(href: string): string[] {
  // Most links have neither a tag path nor a query, and parsing each link of a long article is a
  // cost the first scan notices. The URL parser drops tabs and line breaks, which could join "tag".
  if (!href.includes('?') && !MAY_HOLD_TAG.test(href)) return [];
  const url = parseLoose(href);
  if (!url) return [];
  const out: string[] = [];
  const m = TAG_PATH.exec(url.pathname);
  if (m?.[1]) {
    let tag = m[1];
    try {
      tag = decodeURIComponent(tag);
    } catch {
      // undecodable escapes: compare the raw text
    }
    const t = normaliseHashtag(tag);
    if (t) out.push(t);
  }
  for (const key of ['q', 'query', 'tag', 'hashtag']) {
    const value = url.searchParams.get(key);
    if (!value) continue;
    for (const part of value.split(/\s+/)) {
      if (/^[#＃]/.test(part) || key === 'tag' || key === 'hashtag') {
        const t = normaliseHashtag(part);
        if (t) out.push(t);
      }
    }
  }
  return out;
}

const URL_IN_TEXT =
  /\b(?:https?:\/\/|www\.)[^\s<>"'“”()]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\/[^\s<>"'“”()]*/gi;

const WWW = /www\./i;

/** URL-like strings typed in plain text (posts often show a mirror's address without a link). */
export function urlsInText(text: string): string[] {
  // Both forms hold a '/' or 'www.': most blocks have neither, and the search for them is much
  // cheaper than the pattern's attempt at every word. 'www.' holds 'w.' or 'W.', two plain
  // substring searches that spare most blocks the case-insensitive one.
  if (!text.includes('/') && !((text.includes('w.') || text.includes('W.')) && WWW.test(text))) return [];
  return text.match(URL_IN_TEXT)?.map((u) => u.replace(/[.,;:!?]+$/, '')) ?? [];
}
