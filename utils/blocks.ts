import { type ChildNode, type Element, isTag, isText } from 'domhandler';
import { parseDocument } from 'htmlparser2';

/**
 * How a page is cut into blocks (posts, paragraphs): one set of rules shared by the CLI (on HTML
 * text, here) and the content script (on the live DOM). A feed post found by a site adapter is
 * one block, whatever its inner markup; elsewhere every block-level element is a block made of
 * its own inline text, nested blocks being blocks of their own.
 */

export interface SiteAdapter {
  name: string;
  /** Hostnames where the adapter applies in the browser; the CLI tries every adapter. */
  hosts: RegExp;
  /** CSS selector of one post. */
  post: string;
}

export const SITE_ADAPTERS: readonly SiteAdapter[] = [
  { name: 'x', hosts: /(^|\.)(x|twitter)\.com$/, post: 'article[data-testid="tweet"]' },
  { name: 'mastodon', hosts: /./, post: '.status' },
  {
    name: 'bluesky',
    hosts: /(^|\.)bsky\.app$/,
    post: '[data-testid^="feedItem-"], [data-testid^="postThreadItem-"]',
  },
  { name: 'reddit', hosts: /(^|\.)reddit\.com$/, post: 'shreddit-post, shreddit-comment' },
  { name: 'facebook', hosts: /(^|\.)facebook\.com$/, post: '[role="article"]' },
  { name: 'threads', hosts: /(^|\.)threads\.(net|com)$/, post: '[data-pressable-container="true"]' },
];

export const BLOCK_TAGS: ReadonlySet<string> = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'body',
  'dd',
  'details',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'ul',
]);

/** Elements whose content is never read: code, styles, form fields and invisible templates. */
export const SKIP_TAGS: ReadonlySet<string> = new Set([
  'head',
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'iframe',
  'object',
  'canvas',
  'textarea',
  'select',
  'input',
  'button',
  'leakwatch-warning',
]);

export interface TextBlock {
  text: string;
  links: string[];
}

/** Minimal matcher for the selectors used by SITE_ADAPTERS, on htmlparser2 elements. */
function matchesSimpleSelector(el: Element, selector: string): boolean {
  return selector.split(',').some((part) => {
    const m = /^\s*([a-z-]*)((?:\[[^\]]+\]|\.[\w-]+)*)\s*$/i.exec(part);
    if (!m) return false;
    const [, tag, rest = ''] = m;
    if (tag && el.name !== tag.toLowerCase()) return false;
    for (const cond of rest.match(/\[[^\]]+\]|\.[\w-]+/g) ?? []) {
      if (cond.startsWith('.')) {
        if (!(el.attribs.class ?? '').split(/\s+/).includes(cond.slice(1))) return false;
        continue;
      }
      const a = /^\[([\w-]+)(?:(\^?=)"([^"]*)")?\]$/.exec(cond);
      if (!a) return false;
      const [, name = '', op, value = ''] = a;
      const actual = el.attribs[name];
      if (actual === undefined) return false;
      if (op === '=' && actual !== value) return false;
      if (op === '^=' && !actual.startsWith(value)) return false;
    }
    return true;
  });
}

const POST_SELECTORS = SITE_ADAPTERS.map((a) => a.post);

function isPost(el: Element): boolean {
  return POST_SELECTORS.some((s) => matchesSimpleSelector(el, s));
}

/** Splits HTML into blocks; never throws on malformed markup (the parser is forgiving). */
export function htmlToBlocks(html: string, baseUrl = 'https://example.invalid/'): TextBlock[] {
  const doc = parseDocument(html, { decodeEntities: true, lowerCaseTags: true });
  const blocks: TextBlock[] = [];

  const collect = (
    nodes: ChildNode[],
    block: { parts: string[]; links: string[] },
    insidePost: boolean,
  ): void => {
    for (const node of nodes) {
      if (isText(node)) {
        block.parts.push(node.data);
        continue;
      }
      if (!isTag(node)) continue;
      const name = node.name;
      if (SKIP_TAGS.has(name)) continue;
      if (name === 'br') {
        block.parts.push('\n');
        continue;
      }
      if (name === 'a' && node.attribs.href) {
        try {
          block.links.push(new URL(node.attribs.href, baseUrl).href);
        } catch {
          // an unparsable href is not a link to anything
        }
      }
      if (!insidePost && isPost(node)) {
        startBlock(node, true);
        continue;
      }
      if (!insidePost && BLOCK_TAGS.has(name)) {
        startBlock(node, false);
        continue;
      }
      if (insidePost && BLOCK_TAGS.has(name)) block.parts.push('\n');
      collect(node.children, block, insidePost);
      if (insidePost && BLOCK_TAGS.has(name)) block.parts.push('\n');
    }
  };

  const startBlock = (el: Element, post: boolean): void => {
    const block = { parts: [] as string[], links: [] as string[] };
    const at = blocks.length;
    blocks.push({ text: '', links: [] });
    collect(el.children, block, post);
    blocks[at] = {
      text: block.parts
        .join('')
        .replace(/[ \t\r\f\v]+/g, ' ')
        .trim(),
      links: block.links,
    };
  };

  const root = { parts: [] as string[], links: [] as string[] };
  collect(doc.children, root, false);
  blocks.push({ text: root.parts.join('').replace(/\s+/g, ' ').trim(), links: root.links });
  return blocks.filter((b) => b.text.length > 0 || b.links.length > 0);
}

/** Plain text is cut at blank lines, the way a person writes paragraphs. */
export function textToBlocks(text: string): TextBlock[] {
  return text
    .split(/\r?\n\s*\r?\n/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map((t) => ({ text: t, links: [] }));
}
