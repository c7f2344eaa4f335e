import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { htmlToBlocks, type TextBlock, textToBlocks } from '../../utils/blocks';
import { check, FuzzCounter } from './helpers/fuzz';

/**
 * Fuzzing of the block splitter the CLI builds lists with. Generated documents carry unique marker
 * words: every visible marker must land in exactly one block, once; no marker inside script,
 * style, a template or Leakwatch's own warning may ever be read; a feed post keeps all its
 * markers in one block. Random tag soup and deep nesting must never throw.
 */

const counter = new FuzzCounter();
afterAll(() => console.log(counter.summary('fuzz-blocks')));

type Node =
  | { kind: 'text'; id: number }
  | { kind: 'element'; tag: string; attrs: string; children: Node[] }
  | { kind: 'hidden'; tag: string; id: number; inner: string };

const BLOCKS = ['div', 'p', 'section', 'li', 'ul', 'blockquote', 'h2', 'td', 'tr', 'table', 'pre', 'article'];
const INLINE = ['span', 'b', 'i', 'em', 'a', 'small', 'mark', 'font', 'custom-tag'];
const POSTS: [string, string][] = [
  ['article', ' data-testid="tweet"'],
  ['div', ' class="status"'],
  ['shreddit-post', ''],
  ['div', ' role="article"'],
];
/** Never-read elements; only the raw-text ones may hold stray markup, which elsewhere would close them. */
const RAW_HIDDEN = ['script', 'style'];
const HIDDEN = [...RAW_HIDDEN, 'template', 'leakwatch-warning', 'noscript', 'button', 'svg'];
const HREFS = [
  'https://leaks.example.net/dump',
  '/relative/path',
  'http://[broken',
  'javascript:void(0)',
  '',
];

const tree: fc.Arbitrary<Node[]> = fc.letrec<{ nodes: Node[]; node: Node }>((tie) => ({
  nodes: fc.array(tie('node'), { maxLength: 5 }),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<Node>({ kind: 'text', id: 0 }),
    fc.tuple(fc.constantFrom(...BLOCKS, ...INLINE), fc.constantFrom(...HREFS), tie('nodes')).map(
      ([tag, href, children]): Node => ({
        kind: 'element',
        tag,
        attrs: tag === 'a' && href ? ` href="${href}"` : '',
        children: children as Node[],
      }),
    ),
    fc
      .tuple(fc.constantFrom(...POSTS), tie('nodes'))
      .map(
        ([[tag, attrs], children]): Node => ({ kind: 'element', tag, attrs, children: children as Node[] }),
      ),
    fc.tuple(fc.constantFrom(...HIDDEN), fc.constantFrom('', '<b>x</b>', '<p>', '</p>', '<div>')).map(
      ([tag, inner]): Node => ({
        kind: 'hidden',
        tag,
        id: 0,
        inner: RAW_HIDDEN.includes(tag) || inner === '<b>x</b>' ? inner : '',
      }),
    ),
  ),
})).nodes;

const marker = (id: number) => `zq${id}zq`;
const nested = (tag: string, depth: number) => `${`<${tag}>`.repeat(depth)}zq0zq${`</${tag}>`.repeat(depth)}`;

interface Document {
  html: string;
  visible: number[];
  hidden: number[];
  /** Markers under each post element, outermost posts only. */
  posts: number[][];
}

function render(nodes: Node[]): Document {
  const doc: Document = { html: '', visible: [], hidden: [], posts: [] };
  let next = 0;
  const walk = (list: Node[], post: number[] | null): string =>
    list
      .map((node) => {
        if (node.kind === 'text') {
          const id = next++;
          doc.visible.push(id);
          post?.push(id);
          return ` ${marker(id)} `;
        }
        if (node.kind === 'hidden') {
          const id = next++;
          doc.hidden.push(id);
          // Markup inside raw text stays text; inside a template it is never read either way.
          return `<${node.tag}>${node.inner} ${marker(id)} </${node.tag}>`;
        }
        const isPost = POSTS.some(([tag, attrs]) => tag === node.tag && attrs === node.attrs);
        const own = isPost && post === null ? [] : null;
        const inner = walk(node.children, own ?? post);
        if (own) doc.posts.push(own);
        return `<${node.tag}${node.attrs}>${inner}</${node.tag}>`;
      })
      .join('');
  doc.html = walk(nodes, null);
  return doc;
}

function checkBlocks(blocks: TextBlock[]): void {
  for (const block of blocks) {
    check(block.text.length > 0 || block.links.length > 0, () => 'empty block');
    check(block.text === block.text.trim(), () => `untrimmed block ${JSON.stringify(block.text)}`);
    check(!/[ \t\r\f\v]{2}/.test(block.text), () => `uncollapsed spaces in ${JSON.stringify(block.text)}`);
    for (const link of block.links) check(URL.canParse(link), () => `unparsable link ${link}`);
  }
}

describe('HTML block splitter', () => {
  it('reads every visible word once, never a hidden one, and keeps a post in one block', () => {
    fc.assert(
      fc.property(
        tree,
        counter.count('htmlToBlocks: generated documents', (nodes) => {
          const doc = render(nodes);
          const blocks = htmlToBlocks(doc.html);
          checkBlocks(blocks);
          const words = new Map<string, number>();
          blocks.forEach((block, index) => {
            for (const word of block.text.match(/zq\d+zq/g) ?? []) {
              check(!words.has(word), () => `${word} read twice in ${doc.html}`);
              words.set(word, index);
            }
          });
          for (const id of doc.visible)
            check(words.has(marker(id)), () => `${marker(id)} lost in ${doc.html}`);
          for (const id of doc.hidden)
            check(!words.has(marker(id)), () => `${marker(id)} read in ${doc.html}`);
          for (const post of doc.posts) {
            const homes = new Set(post.map((id) => words.get(marker(id))));
            check(homes.size <= 1, () => `a post split over blocks in ${doc.html}`);
          }
        }),
      ),
      { numRuns: 6_000, seed: 701 },
    );
  });

  it('never throws on tag soup, broken entities and deep nesting', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        '<div>',
        '</div>',
        '<p>',
        '</p>',
        '<span>',
        '<br>',
        '<br/>',
        '<a href="',
        '">',
        '<a href=/x>',
        '</a>',
        '<script>',
        '</script>',
        '<style>',
        '<!--',
        '-->',
        '<![CDATA[',
        ']]>',
        '&amp;',
        '&#xD800;',
        '&#1114112;',
        '&#0;',
        '&bogus;',
        '&',
        '<',
        '>',
        '"',
        '<article data-testid="tweet">',
        '<template>',
        '<svg><text>',
        '<table><tr><td>',
        '<select><option>',
        '<textarea>',
        '\u0000',
        '\ud800',
        '\n\n',
      ),
      fc.string({ maxLength: 6 }),
    );
    const soup = fc.oneof(
      fc.array(piece, { maxLength: 80 }).map((parts) => parts.join('')),
      fc
        .tuple(fc.integer({ min: 1, max: 300 }), fc.constantFrom('div', 'span', 'p', 'li', 'article'))
        .map(([depth, tag]) => nested(tag, depth)),
    );
    fc.assert(
      fc.property(
        soup,
        counter.count('htmlToBlocks: tag soup and deep nesting', (html) => {
          checkBlocks(htmlToBlocks(html, 'https://news.example/a/b'));
        }),
      ),
      { numRuns: 4_000, seed: 702 },
    );
  });

  it('walks a document nested 10,000 deep (the call stack overflowed at 5,000)', () => {
    // The parser's own cost grows with the square of the depth (htmlparser2 keeps its element
    // stack with unshift), so one deep document is a regression test, not a fuzz case.
    for (const tag of ['div', 'span']) {
      const blocks = htmlToBlocks(nested(tag, 10_000));
      check(blocks.map((b) => b.text).join(' ') === 'zq0zq', () => `lost the text under ${tag}`);
    }
  });
});

describe('plain text block splitter', () => {
  it('keeps every non-space character, in order, in trimmed non-empty blocks', () => {
    const unit = fc.constantFrom(
      'a',
      'b',
      'é',
      ' ',
      '\t',
      '\n',
      '\r',
      '\u00a0',
      '\u2028',
      '\ufeff',
      '\ud800',
      '#',
    );
    fc.assert(
      fc.property(
        fc.string({ unit, maxLength: 120 }),
        counter.count('textToBlocks: random text', (text) => {
          const blocks = textToBlocks(text);
          for (const block of blocks) {
            check(
              block.text.length > 0 && block.text === block.text.trim(),
              () => 'untrimmed or empty block',
            );
            check(block.links.length === 0, () => 'plain text has no links');
          }
          const content = (s: string) => s.replace(/\s/g, '');
          check(
            content(blocks.map((b) => b.text).join('')) === content(text),
            () => `text lost in ${JSON.stringify(text)}`,
          );
        }),
      ),
      { numRuns: 8_000, seed: 703 },
    );
  });
});
