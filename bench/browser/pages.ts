/**
 * The pages of the browser benchmark, generated from seeds (same bytes on every run):
 *  - an X-like feed (the X site adapter applies) that starts empty and appends its posts in batches
 *    when the bench calls `window.__benchAppend(i)`, the way infinite scroll adds cells;
 *  - an article of about 1 MB of paragraphs on an ordinary site.
 * Both carry some leak material (quotes of the list's leak prose, listed hashtags, mirror links) so
 * that warnings are drawn, as on a real page, and say which elements should end up flagged.
 */
import { BlockGenerator, rng } from '../corpus';
import { LEAK_URL_PATTERN } from '../list-fixture';

const SEEDS = { feed: 11, article: 12 } as const;

export interface FeedPost {
  id: string;
  author: string;
  text: string;
  /** A link under the text (mirror posts). */
  link?: string;
  leak: boolean;
}

export interface FeedPlan {
  batches: FeedPost[][];
  leakPosts: number;
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * `batches` x `perBatch` posts of 15-60 words; one post in 25 carries leak material: a quoted
 * passage (2 in 4), a listed hashtag (1 in 4) or a mirror link (1 in 4).
 */
export function makeFeed(
  batches: number,
  perBatch: number,
  leakQuotes: readonly string[],
  hashtags: readonly string[],
): FeedPlan {
  const random = rng(SEEDS.feed);
  const gen = new BlockGenerator({ seed: SEEDS.feed });
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  let leakPosts = 0;
  const plan: FeedPost[][] = [];
  for (let b = 0; b < batches; b++) {
    const batch: FeedPost[] = [];
    for (let i = 0; i < perBatch; i++) {
      const id = `p${b * perBatch + i}`;
      const author = `user_${Math.floor(random() * 1e6)}`;
      const chatter = gen.block(15 + Math.floor(random() * 46));
      if (random() >= 1 / 25) {
        batch.push({ id, author, text: chatter, leak: false });
        continue;
      }
      leakPosts++;
      const kind = random();
      if (kind < 0.5) {
        batch.push({ id, author, text: `Read this: "${pick(leakQuotes)}"`, leak: true });
      } else if (kind < 0.75) {
        batch.push({ id, author, text: `${chatter} #${pick(hashtags)}`, leak: true });
      } else {
        const link = `https://${LEAK_URL_PATTERN}/part${Math.floor(random() * 100)}.zip`;
        batch.push({ id, author, text: 'All the files are here:', link, leak: true });
      }
    }
    plan.push(batch);
  }
  return { batches: plan, leakPosts };
}

/** The feed page: an empty X timeline and the script that appends batch i on request. */
export function feedHtml(plan: FeedPlan): string {
  // JSON inside <script>: "</" must not close the element.
  const data = JSON.stringify(plan.batches).replace(/<\//g, '<\\/');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Home / X (bench)</title>
<style>
  body { margin: 0; font: 15px/1.4 system-ui, sans-serif; }
  main { max-width: 600px; margin: 0 auto; }
  article { padding: 12px 16px; border-bottom: 1px solid #eff3f4; }
  .who { font-weight: 700; } .actions { color: #536471; font-size: 13px; display: flex; gap: 40px; }
</style></head>
<body><main><section id="timeline" aria-label="Timeline"></section></main>
<script>
  const batches = ${data};
  const timeline = document.getElementById('timeline');
  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    e.append(...children);
    return e;
  }
  // Like X: a cell per post, built off-document and appended in one go.
  window.__benchAppend = (i) => {
    const cells = document.createDocumentFragment();
    for (const p of batches[i]) {
      const text = el('div', { 'data-testid': 'tweetText', lang: 'en' }, [el('span', {}, [p.text])]);
      if (p.link) text.append(' ', el('a', { href: p.link }, [p.link.replace('https://', '').slice(0, 26) + '…']));
      cells.append(el('div', { 'data-testid': 'cellInnerDiv' }, [
        el('article', { 'data-testid': 'tweet', 'data-bench': p.id, 'data-leak': p.leak ? '1' : '0' }, [
          el('div', { 'data-testid': 'User-Name', class: 'who' }, [p.author]),
          text,
          el('div', { class: 'actions' }, [el('span', {}, ['3 replies']), el('span', {}, ['12 likes'])]),
        ]),
      ]));
    }
    timeline.append(cells);
    return batches[i].length;
  };
  window.__benchBatches = batches.length;
</script></body></html>`;
}

export interface Article {
  html: string;
  bytes: number;
  paragraphs: number;
  leakParagraphs: number;
}

/** About `targetBytes` of UTF-8 text in paragraphs; one paragraph in 200 quotes the leak. */
export function makeArticle(
  targetBytes: number,
  leakQuotes: readonly string[],
  hashtags: readonly string[],
): Article {
  const random = rng(SEEDS.article);
  const gen = new BlockGenerator({ seed: SEEDS.article });
  const parts: string[] = [];
  let bytes = 0;
  let leakParagraphs = 0;
  while (bytes < targetBytes) {
    let text: string;
    let leak = false;
    if (random() < 1 / 200) {
      leak = true;
      leakParagraphs++;
      text =
        random() < 0.8
          ? `As the documents put it, « ${leakQuotes[Math.floor(random() * leakQuotes.length)]} »`
          : `${gen.block(40)} #${hashtags[Math.floor(random() * hashtags.length)]}`;
    } else {
      text = gen.block();
    }
    bytes += Buffer.byteLength(text, 'utf8');
    if (parts.length % 40 === 0) parts.push(`<h2 data-leak="0">${escapeHtml(gen.block(6))}</h2>`);
    parts.push(`<p data-leak="${leak ? 1 : 0}">${escapeHtml(text)}</p>`);
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A long read (bench)</title>
<style>body { max-width: 720px; margin: 0 auto; font: 17px/1.6 Georgia, serif; }</style></head>
<body><article><h1>A long read</h1>
${parts.join('\n')}
</article></body></html>`;
  return { html, bytes, paragraphs: parts.length, leakParagraphs };
}
