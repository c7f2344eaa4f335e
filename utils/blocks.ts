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

interface OpenBlock {
  parts: string[];
  links: string[];
}

/** What is left to do, last first: read a node into a block, end a block-level element, close a block. */
type Step =
  | { node: ChildNode; block: OpenBlock; insidePost: boolean }
  | { newlineInto: OpenBlock }
  | { close: OpenBlock; at: number };

/**
 * Splits HTML into blocks; never throws on malformed markup (the parser is forgiving). The tree is
 * walked with an explicit stack: a page nested thousands of elements deep must not overflow the call stack.
 */
export function htmlToBlocks(html: string, baseUrl = 'https://example.invalid/'): TextBlock[] {
  const doc = parseDocument(html, { decodeEntities: true, lowerCaseTags: true });
  const blocks: TextBlock[] = [];
  const root: OpenBlock = { parts: [], links: [] };
  const stack: Step[] = [];
  const read = (nodes: ChildNode[], block: OpenBlock, insidePost: boolean): void => {
    for (let i = nodes.length - 1; i >= 0; i--) stack.push({ node: nodes[i]!, block, insidePost });
  };

  read(doc.children, root, false);
  for (let step = stack.pop(); step !== undefined; step = stack.pop()) {
    if ('close' in step) {
      blocks[step.at] = {
        text: step.close.parts
          .join('')
          .replace(/[ \t\r\f\v]+/g, ' ')
          .trim(),
        links: step.close.links,
      };
      continue;
    }
    if ('newlineInto' in step) {
      step.newlineInto.parts.push('\n');
      continue;
    }
    const { node, block, insidePost } = step;
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
    const post = !insidePost && isPost(node);
    if (post || (!insidePost && BLOCK_TAGS.has(name))) {
      // The block takes its place before the blocks nested in it, as a reader meets them.
      const own: OpenBlock = { parts: [], links: [] };
      stack.push({ close: own, at: blocks.length });
      blocks.push({ text: '', links: [] });
      read(node.children, own, post);
      continue;
    }
    if (insidePost && BLOCK_TAGS.has(name)) {
      block.parts.push('\n');
      stack.push({ newlineInto: block });
    }
    read(node.children, block, insidePost);
  }
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
