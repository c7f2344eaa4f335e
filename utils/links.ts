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

const PLAIN_LINK = /^(?:https?:\/\/)?([a-z0-9.-]+)(?:[/?#]|$)/i;
/** A last label that starts with a letter: the URL parser reads no IPv4 address in the host. */
const NAMED_HOST = /(?:^|\.)[a-z][a-z0-9-]*\.?$/i;
const PUNYCODE_LABEL = /(?:^|\.)xn--/i;

/**
 * parseLink(href)?.host without the URL parser, where it is certain to be the same: a host of
 * ASCII letters, digits, dots and hyphens, right after an http(s) scheme or none, ended by a path,
 * query, fragment or the end (no user, port, escape or backslash), with no punycode label and a
 * name, not a number, last. null for any other link: parse it. A list's link patterns name a few
 * hosts, so most links can be turned away on their host alone.
 */
export function plainLinkHost(href: string): string | null {
  const host = PLAIN_LINK.exec(href)?.[1];
  if (host === undefined || !NAMED_HOST.test(host) || PUNYCODE_LABEL.test(host)) return null;
  return foldHost(host);
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

const HAS_WWW = /www\./i;
const EACH_WWW = /www\./gi;
const SPACE = /\s/;

/** Whether a URL in text ends before this character: the pattern's excluded class. */
function endsUrl(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0x80)
    return code === 0x3c || code === 0x3e || code === 0x22 || code === 0x27 || code === 0x28 || code === 0x29;
  return code === 0x201c || code === 0x201d || SPACE.test(text[at]!);
}

/**
 * URL-like strings typed in plain text (posts often show a mirror's address without a link).
 * Every match holds a '/' or 'www.' and no character that ends a URL, so it lies in a run of
 * characters around one of those: the pattern runs on those runs only. On the whole text it
 * tried a match at every word of the few blocks that hold a '/' (15 us a block, most of this
 * function's time in the bench corpus); it finds the same URLs in the same order either way.
 */
export function urlsInText(text: string): string[] {
  // Most blocks hold neither. 'www.' holds 'w.' or 'W.', two plain substring searches that spare
  // most blocks the case-insensitive one.
  let slash = text.indexOf('/');
  const www = (text.includes('w.') || text.includes('W.')) && HAS_WWW.test(text);
  if (slash < 0 && !www) return [];
  const starts: number[] = [];
  const ends: number[] = [];
  const addRun = (inside: number) => {
    let start = inside;
    while (start > 0 && !endsUrl(text, start - 1)) start--;
    let end = inside;
    while (end < text.length && !endsUrl(text, end)) end++;
    starts.push(start);
    ends.push(end);
    return end;
  };
  while (slash >= 0) slash = text.indexOf('/', addRun(slash));
  if (www) {
    EACH_WWW.lastIndex = 0;
    for (let m = EACH_WWW.exec(text); m !== null; m = EACH_WWW.exec(text))
      EACH_WWW.lastIndex = addRun(m.index);
  }
  const order = starts.map((_, i) => i);
  if (www) order.sort((a, b) => starts[a]! - starts[b]!);
  const urls: string[] = [];
  let done = -1;
  for (const i of order) {
    if (starts[i]! <= done) continue;
    done = ends[i]!;
    for (const u of text.slice(starts[i], ends[i]).match(URL_IN_TEXT) ?? [])
      urls.push(u.replace(/[.,;:!?]+$/, ''));
  }
  return urls;
}
