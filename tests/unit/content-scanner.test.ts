// @vitest-environment happy-dom
import { Window } from 'happy-dom';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ContentScanner,
  createContentScanner,
  FifoSet,
  FLAG_ATTRIBUTE,
  MAX_NODES_PER_BLOCK,
  type MountWarning,
  type PageReport,
  restoreDelay,
  type ScannerOptions,
  type ScannerWindow,
  TIMING,
  WARNING_TAG,
} from '../../lib/content-scanner';
import { type BlockText, MAX_TEXT_CHARS, packLookup } from '../../lib/lookup-limits';
import { requestSchema } from '../../lib/messages';
import {
  type BlockFeatures,
  compileList,
  extractFeatures,
  type Finding,
  paramsKeyOf,
  scanBlock,
} from '../../utils/matcher';
import { normaliseHashtag } from '../../utils/normalise';
import { TEST_PARAMS } from './helpers/lists';
import { makeList } from './helpers/make-list';

/**
 * The scanner on happy-dom pages, with the background's real feature extraction and matcher behind
 * a fake lookup. happy-dom implements innerText from computed styles (block boxes get line breaks,
 * display:none is left out), which is what these tests rely on; no textContent fallback is needed.
 */

const LEAK =
  'the campaign treasurer asked that the transfer of the second tranche be delayed until after the vote ' +
  'so that the accounts would not show it before the commission reviewed the filings next month';
const leakFingerprints =
  extractFeatures(LEAK, [], [TEST_PARAMS]).fingerprints[paramsKeyOf(TEST_PARAMS)] ?? [];
const LIST = compileList(
  makeList(
    { fingerprint: TEST_PARAMS },
    [...leakFingerprints].sort((a, b) => a - b),
  ),
);
const CLEAN =
  'Weather tomorrow: sunny spells in the north, showers in the south, and a light breeze on the coast.';

interface Harness {
  win: ScannerWindow;
  doc: Document;
  scanner: ContentScanner;
  /** The features of what each lookup carried; `requests` holds it as sent. */
  lookups: BlockFeatures[][];
  requests: BlockText[][];
  reports: PageReport[];
  errors: unknown[];
  mounted: { host: HTMLElement; block: HTMLElement; findings: readonly Finding[]; isPost: boolean }[];
  removed: HTMLElement[];
}

const windows: Window[] = [];

afterEach(async () => {
  for (const w of windows.splice(0)) await w.happyDOM.close();
});

function setup(url: string, html: string, overrides: Partial<ScannerOptions> = {}): Harness {
  const happy = new Window({ url, width: 1024, height: 768 });
  windows.push(happy);
  const win = happy as unknown as ScannerWindow;
  win.document.body.innerHTML = html;
  const h: Omit<Harness, 'scanner'> = {
    win,
    doc: win.document,
    lookups: [],
    requests: [],
    reports: [],
    errors: [],
    mounted: [],
    removed: [],
  };
  const mountWarning: MountWarning = (host, block, findings, placement) => {
    h.mounted.push({ host, block, findings, isPost: placement.isPost });
    return {
      update: (f) => {
        h.mounted.push({ host, block, findings: f, isPost: placement.isPost });
      },
      remove: () => {
        h.removed.push(block);
      },
    };
  };
  const scanner = createContentScanner({
    window: win,
    lookup: async (blocks) => {
      h.requests.push(blocks);
      h.lookups.push(blocks.map((b) => extractFeatures(b.text, b.links, [TEST_PARAMS])));
      return blocks.map((b) => scanBlock([LIST], b.text, b.links));
    },
    report: (r) => h.reports.push(r),
    mountWarning,
    onError: (e) => h.errors.push(e),
    reportDelayMs: 0,
    ...overrides,
  });
  return { ...h, scanner };
}

async function settle(h: Harness): Promise<void> {
  // Mutation records are delivered as microtasks; let them queue work before waiting for idle.
  await new Promise((r) => setTimeout(r, 0));
  await h.scanner.whenIdle();
  await new Promise((r) => setTimeout(r, 5));
}

const allBlocks = (h: Harness) => h.lookups.flat();

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('content scanner', () => {
  it('leaves a page where nothing matches exactly as it was', async () => {
    const html = `<main><article><h1>Forecast</h1><p>${CLEAN}</p><p>More: <a href="/w">details</a></p></article>
      <ul><li>One item</li><li>Two items</li></ul></main>`;
    const h = setup('https://news.example/', html);
    const before = h.doc.documentElement.outerHTML;
    h.scanner.start();
    await settle(h);
    expect(allBlocks(h).length).toBeGreaterThanOrEqual(5);
    expect(h.doc.documentElement.outerHTML).toBe(before);
    expect(h.doc.querySelector(WARNING_TAG)).toBeNull();
    expect(h.reports).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('cuts an article into paragraph blocks and flags only the one that quotes the leak', async () => {
    const h = setup(
      'https://news.example/story',
      `<article><h1>Title</h1><p id="a">${CLEAN}</p><p id="b">A source says: ${LEAK}.</p><p id="c">${CLEAN}</p></article>`,
    );
    h.scanner.start();
    await settle(h);
    const b = h.doc.getElementById('b')!;
    expect(b.getAttribute(FLAG_ATTRIBUTE)).toBe('leak-a');
    expect(b.previousElementSibling?.localName).toBe(WARNING_TAG);
    expect(h.doc.getElementById('a')!.hasAttribute(FLAG_ATTRIBUTE)).toBe(false);
    expect(h.doc.querySelectorAll(WARNING_TAG)).toHaveLength(1);
    expect(h.mounted).toHaveLength(1);
    expect(h.mounted[0]).toMatchObject({ block: b, isPost: false });
    expect(h.mounted[0]?.findings[0]).toMatchObject({
      kind: 'fingerprint',
      listId: 'test-list',
      entry: 'leak-a',
    });
    // The article itself has no text of its own: it is not a block.
    expect(h.doc.querySelector('article')!.hasAttribute(FLAG_ATTRIBUTE)).toBe(false);
  });

  it('treats an X post as one block and flags the post container', async () => {
    const h = setup(
      'https://x.com/home',
      `<div id="feed"><article data-testid="tweet" id="t1"><div><span>Jane</span></div>
        <div data-testid="tweetText"><p>Look at this</p><p>#MacronLeaks</p></div>
        <div role="group"><button>Reply</button></div></article>
       <article data-testid="tweet" id="t2"><div data-testid="tweetText">${CLEAN}</div></article></div>`,
    );
    h.scanner.start();
    await settle(h);
    const t1 = h.doc.getElementById('t1')!;
    expect(t1.getAttribute(FLAG_ATTRIBUTE)).toBe('leak-a');
    expect(t1.previousElementSibling?.localName).toBe(WARNING_TAG);
    expect(h.mounted).toHaveLength(1);
    expect(h.mounted[0]).toMatchObject({ block: t1, isPost: true });
    // One block per post: the inner <p> and <div> of the post are not blocks of their own.
    expect(allBlocks(h)).toHaveLength(2);
    expect(h.doc.querySelectorAll(`[${FLAG_ATTRIBUTE}]`)).toHaveLength(1);
  });

  it('reads rendered text: adjacent paragraphs are not glued, hidden text is left out', async () => {
    const h = setup(
      'https://x.com/home',
      `<article data-testid="tweet"><div data-testid="tweetText"><p>#Macron</p><p>Leaks today</p></div></article>
       <p>visible<span style="display:none">#hiddenleak</span> words</p>`,
    );
    h.scanner.start();
    await settle(h);
    const tags = allBlocks(h).flatMap((b) => b.hashtags);
    expect(tags).toContain(normaliseHashtag('Macron'));
    expect(tags).not.toContain(normaliseHashtag('MacronLeaks'));
    expect(tags).not.toContain(normaliseHashtag('hiddenleak'));
    expect(h.doc.querySelector(`[${FLAG_ATTRIBUTE}]`)).toBeNull();
  });

  it('breaks the line at empty blocks that are shown, and nowhere for empty inline elements', async () => {
    const h = setup(
      'https://x.com/home',
      `<article data-testid="tweet">one<div></div>two<div style="display:none"></div>three<span></span>four<span style="display:none"></span>five<img alt="">six<a href="/x"></a>seven<a href="/y" style="display:none"></a></article>`,
    );
    h.scanner.start();
    await settle(h);
    expect(h.requests.flat()).toEqual([
      { text: 'one\n\ntwothreefourfivesixseven', links: ['https://x.com/x'] },
    ]);
  });

  it('sends links as absolute URLs and flags a block that links to the leak', async () => {
    const h = setup(
      'https://leaks.example.net/blog/post',
      `<p id="p">Download it <a href="/dump/emails.zip">here</a> or <a href="javascript:void(0)">not</a>.</p>`,
    );
    h.scanner.start();
    await settle(h);
    expect(allBlocks(h)[0]?.urls).toEqual(['https://leaks.example.net/dump/emails.zip']);
    expect(h.doc.getElementById('p')!.getAttribute(FLAG_ATTRIBUTE)).toBe('leak-a');
    expect(h.mounted[0]?.findings.map((f) => f.kind)).toEqual(['url']);
  });

  it('gives a block its own text only: nested blocks are blocks of their own', async () => {
    const h = setup(
      'https://site.example/',
      `<div id="outer">Intro text<div id="inner">#MacronLeaks</div> outro</div>`,
    );
    h.scanner.start();
    await settle(h);
    expect(h.doc.getElementById('inner')!.hasAttribute(FLAG_ATTRIBUTE)).toBe(true);
    expect(h.doc.getElementById('outer')!.hasAttribute(FLAG_ATTRIBUTE)).toBe(false);
  });

  it('sends nothing for a wrapper that holds only blocks, line breaks and blank text, however many', async () => {
    const cell = (id: string) =>
      `<div data-testid="cellInnerDiv" id="${id}">
        <!-- a comment --> <article data-testid="tweet"><div data-testid="tweetText">post ${id}</div></article><br>
      </div>`;
    const many = `<div id="many">${Array.from({ length: 12 }, (_, i) => `<p>p${i}</p> `).join('')}</div>`;
    const h = setup(
      'https://x.com/home',
      `${cell('a')}${cell('b')}${many}<div id="mixed"> <div>inner</div> tail </div><div id="inline"> <span>span text</span> </div>`,
    );
    h.scanner.start();
    await settle(h);
    const texts = h.requests.flat().map((b) => b.text);
    expect(texts.filter((t) => t.startsWith('post'))).toEqual(['post a', 'post b']);
    expect(texts).toContain('tail');
    expect(texts).toContain('span text');
    expect(texts.filter((t) => t.trim() === '')).toEqual([]);
    // Text that appears in a wrapper later is its own, and is looked up.
    h.doc.getElementById('a')!.append('#MacronLeaks');
    await settle(h);
    expect(h.doc.getElementById('a')!.hasAttribute(FLAG_ATTRIBUTE)).toBe(true);
    expect(h.errors).toEqual([]);
  });

  it('never reads scripts, form fields or what the reader is typing', async () => {
    const h = setup(
      'https://site.example/',
      `<div><script>var s = "#MacronLeaks";</script></div><textarea>#MacronLeaks</textarea>
       <div contenteditable="true"><p>#MacronLeaks draft</p></div>`,
    );
    h.scanner.start();
    await settle(h);
    expect(allBlocks(h).flatMap((b) => b.hashtags)).toEqual([]);
    expect(h.doc.querySelector(WARNING_TAG)).toBeNull();
  });

  it('reads a post as a whole, never the posts or blocks inside it, nor a post that is a form control', async () => {
    const h = setup(
      'https://www.facebook.com/',
      `<div role="article" id="outer"><p>#MacronLeaks</p><div role="article" id="inner"><p>inner</p></div></div>
       <button role="article" id="button">#MacronLeaks</button>
       <select><option><div role="article">#MacronLeaks</div></option></select>`,
    );
    h.scanner.start();
    await settle(h);
    expect(h.requests.flat().map((b) => b.text.replace(/\s+/g, ' '))).toEqual(['#MacronLeaks inner']);
    expect([...h.doc.querySelectorAll(`[${FLAG_ATTRIBUTE}]`)].map((e) => e.id)).toEqual(['outer']);
  });

  it('matches no element against the post selector until a post appears, then reads posts whole', async () => {
    // The Mastodon adapter applies to every host: its '.status' posts may appear on any page.
    const h = setup(
      'https://news.example/article',
      `<article id="story"><p>${CLEAN}</p><p>Second paragraph.</p></article><div id="replies"></div>`,
    );
    const proto = (h.win as unknown as typeof globalThis).Element.prototype;
    const matches = proto.matches;
    const selectors: string[] = [];
    proto.matches = function (this: Element, selector: string) {
      selectors.push(selector);
      return matches.call(this, selector);
    };
    try {
      h.scanner.start();
      await settle(h);
      expect(h.requests.flat().map((b) => b.text)).toEqual([CLEAN, 'Second paragraph.']);
      expect(selectors.filter((s) => s.includes('.status'))).toEqual([]);

      // A reply arrives: one post, two paragraphs, read and warned as one post.
      const words = LEAK.split(' ');
      const [first, second] = [words.slice(0, 16).join(' '), words.slice(16).join(' ')];
      h.doc.getElementById('replies')!.innerHTML =
        `<div class="status" id="reply"><p>${first}</p><p>${second}</p></div>`;
      await settle(h);
      expect(h.requests.at(-1)!.map((b) => b.text.replace(/\s+/g, ' ').trim())).toEqual([LEAK]);
      expect(h.mounted.map((m) => [m.block.id, m.isPost])).toEqual([['reply', true]]);
    } finally {
      proto.matches = matches;
    }
  });

  it('scans added posts, rescans changed text, and never rescans unchanged blocks', async () => {
    const h = setup(
      'https://x.com/home',
      `<div id="feed"><article data-testid="tweet">${CLEAN}</article></div>`,
    );
    h.scanner.start();
    await settle(h);
    expect(allBlocks(h)).toHaveLength(1);

    const feed = h.doc.getElementById('feed')!;
    const post = h.doc.createElement('article');
    post.setAttribute('data-testid', 'tweet');
    post.innerHTML = `<div data-testid="tweetText">${CLEAN} again</div>`;
    feed.append(post);
    await settle(h);
    expect(allBlocks(h)).toHaveLength(2);
    expect(post.hasAttribute(FLAG_ATTRIBUTE)).toBe(false);

    // A sibling added next to an unchanged post does not make it be read again.
    feed.append(h.doc.createElement('span'));
    await settle(h);
    expect(allBlocks(h)).toHaveLength(2);

    // The post's text changes (an SPA re-render): read again, flagged now.
    (post.querySelector('[data-testid="tweetText"]')!.firstChild as Text).data = `quoting: ${LEAK}`;
    await settle(h);
    expect(allBlocks(h)).toHaveLength(3);
    expect(post.getAttribute(FLAG_ATTRIBUTE)).toBe('leak-a');

    // And back to harmless text: the warning and flag go away.
    (post.querySelector('[data-testid="tweetText"]')!.firstChild as Text).data = CLEAN;
    await settle(h);
    expect(post.hasAttribute(FLAG_ATTRIBUTE)).toBe(false);
    expect(h.doc.querySelector(WARNING_TAG)).toBeNull();
    expect(h.removed).toEqual([post]);
  });

  it('batches at most 200 blocks per lookup and works in small slices', async () => {
    const paragraphs = Array.from(
      { length: 450 },
      (_, i) => `<p>Paragraph number ${i} of a long page.</p>`,
    ).join('');
    const h = setup('https://site.example/', paragraphs, { sliceBlocks: 10_000, sliceMs: 10_000 });
    h.scanner.start();
    await settle(h);
    expect(allBlocks(h)).toHaveLength(450);
    expect(Math.max(...h.lookups.map((l) => l.length))).toBe(200);

    // Ten blocks a slice, but what the slices read travels together: 200 + 200 + 50.
    const sliced = setup('https://site.example/', paragraphs, { sliceBlocks: 10, flushAfterMs: 60_000 });
    sliced.scanner.start();
    await settle(sliced);
    expect(allBlocks(sliced)).toHaveLength(450);
    expect(sliced.lookups.map((l) => l.length)).toEqual([200, 200, 50]);
    const measures = sliced.win.performance.getEntriesByName(TIMING.scan);
    expect(measures.length).toBeGreaterThanOrEqual(45);

    // Unless blocks would wait too long: then each slice sends what it read.
    const eager = setup('https://site.example/', paragraphs, { sliceBlocks: 10, flushAfterMs: 0 });
    eager.scanner.start();
    await settle(eager);
    expect(allBlocks(eager)).toHaveLength(450);
    expect(eager.lookups.length).toBeGreaterThanOrEqual(45);
    // (a block whose reading ran out of time is finished first in the next slice)
    expect(Math.max(...eager.lookups.map((l) => l.length))).toBeLessThanOrEqual(11);
  });

  it('only queues work in the observer callback', async () => {
    const h = setup('https://site.example/', `<p>${CLEAN}</p>`);
    h.scanner.start();
    await settle(h);
    const p = h.doc.createElement('p');
    p.textContent = '#MacronLeaks';
    h.doc.body.append(p);
    // Mutation records have been delivered, but no slice has run yet.
    await Promise.resolve();
    await Promise.resolve();
    expect(allBlocks(h)).toHaveLength(1);
    await settle(h);
    expect(allBlocks(h)).toHaveLength(2);
    expect(p.hasAttribute(FLAG_ATTRIBUTE)).toBe(true);
  });

  it('reads what the page added after its next frame, or a while later without one, never later', async () => {
    const feed = `<div id="feed"><article data-testid="tweet">${CLEAN}</article></div>`;
    const addPost = (h: Harness) => {
      const post = h.doc.createElement('article');
      post.setAttribute('data-testid', 'tweet');
      post.textContent = `quoting: ${LEAK}`;
      h.doc.getElementById('feed')!.append(post);
      return post;
    };
    // Frames come only when the test draws one, and the scanner would wait for one for a minute.
    const h = setup('https://x.com/home', feed, { frameWaitMs: 60_000 });
    const frames: FrameRequestCallback[] = [];
    h.win.requestAnimationFrame = (callback: FrameRequestCallback) => frames.push(callback);
    h.win.cancelAnimationFrame = (id: number) => {
      delete frames[id - 1];
    };
    const drawFrame = () => {
      for (const callback of frames.splice(0)) callback?.(h.win.performance.now());
    };
    h.scanner.start();
    await settle(h);
    expect(allBlocks(h)).toHaveLength(1);

    const first = addPost(h);
    await new Promise((r) => setTimeout(r, 40));
    expect(allBlocks(h)).toHaveLength(1);
    expect(frames.length).toBe(1);
    drawFrame();
    await settle(h);
    expect(allBlocks(h)).toHaveLength(2);
    expect(first.getAttribute(FLAG_ATTRIBUTE)).toBe('leak-a');

    // A page that adds something in every frame still gets read after one frame.
    const onBusyPage = addPost(h);
    await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 5 && !onBusyPage.hasAttribute(FLAG_ATTRIBUTE); i++) {
      h.doc.getElementById('feed')!.append(h.doc.createElement('span'));
      // The observer has seen it before the frame is drawn.
      await new Promise((r) => setTimeout(r, 10));
      drawFrame();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(onBusyPage.getAttribute(FLAG_ATTRIBUTE)).toBe('leak-a');
    expect(h.errors).toEqual([]);

    // A frame that never comes (a hidden iframe's): read anyway, a moment later.
    const noFrames = setup('https://x.com/home', feed, { frameWaitMs: 50 });
    noFrames.win.requestAnimationFrame = () => 1;
    noFrames.win.cancelAnimationFrame = () => {};
    noFrames.scanner.start();
    await settle(noFrames);
    const unseen = addPost(noFrames);
    await until(() => unseen.hasAttribute(FLAG_ATTRIBUTE), 1_000);
    expect(allBlocks(noFrames)).toHaveLength(2);
    expect(noFrames.errors).toEqual([]);
  });

  it('reports flagged blocks and distinct findings, debounced', async () => {
    const h = setup(
      'https://site.example/',
      `<p>#MacronLeaks one</p><p>#MacronLeaks two</p><p>${LEAK}</p><p>${CLEAN}</p>`,
      { reportDelayMs: 20 },
    );
    h.scanner.start();
    await settle(h);
    await new Promise((r) => setTimeout(r, 40));
    expect(h.reports).toHaveLength(1);
    expect(h.reports[0]?.flaggedBlocks).toBe(3);
    expect(h.reports[0]?.findings.map((f) => f.kind).sort()).toEqual(['fingerprint', 'hashtag']);
  });

  it('times the report it sends later as its own apply entry', async () => {
    const h = setup('https://site.example/', `<p>#MacronLeaks one</p>`, { reportDelayMs: 20 });
    const entries: string[] = [];
    const perf = h.win.performance;
    const measure = perf.measure.bind(perf);
    perf.measure = ((name: string, ...rest: Parameters<Performance['measure']>[1][]) => {
      entries.push(name);
      return measure(name, ...rest);
    }) as Performance['measure'];
    h.scanner.start();
    await settle(h);
    const before = entries.length;
    await new Promise((r) => setTimeout(r, 40));
    expect(h.reports).toHaveLength(1);
    expect(entries.slice(before)).toEqual([TIMING.apply]);
  });

  it('puts back a warning the page removes or restyles, however often', async () => {
    const h = setup('https://site.example/', `<div id="wrap"><p id="p">#MacronLeaks</p></div>`);
    h.scanner.start();
    await settle(h);
    const p = h.doc.getElementById('p')!;
    const host = p.previousElementSibling as HTMLElement;
    const pinned = host.getAttribute('style');
    expect(pinned).toContain('display: block !important');

    host.remove();
    await settle(h);
    expect(p.previousElementSibling).toBe(host);

    host.setAttribute('style', 'display: none');
    await settle(h);
    expect(host.getAttribute('style')).toBe(pinned);

    // A page that keeps at it gets the warning back each time, later and later: it cannot make
    // the scanner loop, nor get rid of the warning.
    for (let i = 0; i < 3; i++) {
      host.remove();
      await settle(h);
      expect(p.previousElementSibling).toBe(i === 0 ? host : null);
      await until(() => p.previousElementSibling === host);
    }
    expect(h.removed).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('waits longer and longer before undoing the same attack again, up to 4 s', () => {
    const delays = Array.from({ length: 10 }, (_, i) => restoreDelay(i + 1));
    expect(delays).toEqual([0, 0, 0, 250, 500, 1000, 2000, 4000, 4000, 4000]);
  });

  it('drops the warning of a block the page removed, and flags it again when it comes back', async () => {
    const h = setup('https://site.example/', `<div id="wrap"><p id="p">#MacronLeaks</p></div>`, {
      reportDelayMs: 0,
    });
    h.scanner.start();
    await settle(h);
    const p = h.doc.getElementById('p')!;
    p.remove();
    await settle(h);
    expect(h.doc.querySelector(WARNING_TAG)).toBeNull();
    expect(h.reports.at(-1)?.flaggedBlocks).toBe(0);

    h.doc.getElementById('wrap')!.append(p);
    await settle(h);
    expect(p.previousElementSibling?.localName).toBe(WARNING_TAG);
  });

  it('reports a failed lookup instead of throwing, and leaves the page alone', async () => {
    const h = setup('https://site.example/', `<p>#MacronLeaks</p>`, {
      lookup: () => Promise.reject(new Error('background gone')),
    });
    const before = h.doc.body.innerHTML;
    h.scanner.start();
    await settle(h);
    expect(h.errors.map(String)).toEqual(['Error: background gone']);
    expect(h.doc.body.innerHTML).toBe(before);
  });

  it('survives a warning that fails to mount', async () => {
    const h = setup('https://site.example/', `<p>#MacronLeaks</p><p>#MacronLeaks again</p>`, {
      mountWarning: () => {
        throw new Error('broken');
      },
    });
    const before = h.doc.body.innerHTML;
    h.scanner.start();
    await settle(h);
    expect(h.errors.map(String)).toEqual(['Error: broken', 'Error: broken']);
    expect(h.doc.body.innerHTML).toBe(before);
  });

  it('keeps every request within the bounds the background enforces', async () => {
    const links = Array.from({ length: 300 }, (_, i) => `<a href="/l${i}">l${i}</a>`).join(' ');
    const longLink = `<a href="/${'x'.repeat(3_000)}">long</a>`;
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
    const paragraphs = Array.from({ length: 250 }, (_, i) => `<p>Paragraph ${i}</p>`).join('');
    // Three texts of about 150,000 characters: no two of them fit in one lookup.
    const big = `<pre>${words(22_000)}</pre>`;
    const h = setup(
      'https://site.example/',
      `<p>${links} ${longLink}</p>${big}<p>short</p>${big}${big}${paragraphs}`,
      { sliceBlocks: 10_000, sliceMs: 10_000 },
    );
    h.scanner.start();
    await settle(h);
    expect(allBlocks(h)).toHaveLength(255);
    for (const blocks of h.requests) {
      expect(requestSchema.safeParse({ type: 'lookup', ...packLookup(blocks) }).success).toBe(true);
    }
    const sent = h.requests.flat();
    expect(sent[0]?.links).toHaveLength(200);
    expect(sent[0]?.links.every((l) => l.length <= 2_048)).toBe(true);
    expect(sent.filter((b) => b.text.length > 100_000)).toHaveLength(3);
    expect(h.requests.length).toBeGreaterThanOrEqual(3);
  });

  it('takes every warning, flag and blur off the page when stopped', async () => {
    const html = `<p id="p">#MacronLeaks</p><p>${CLEAN}</p>`;
    const h = setup('https://site.example/', html);
    h.scanner.start();
    await settle(h);
    expect(h.doc.querySelector(WARNING_TAG)).not.toBeNull();
    h.scanner.stop();
    expect(h.doc.body.innerHTML).toBe(html);
    expect(h.removed).toHaveLength(1);

    // Stopped means stopped: later changes are not looked at.
    const count = allBlocks(h).length;
    h.doc.body.insertAdjacentHTML('beforeend', '<p>#MacronLeaks</p>');
    await settle(h);
    expect(allBlocks(h).length).toBe(count);
  });

  it('prepares warnings once, in a task of its own, and only on a page with something to warn about', async () => {
    const calls: string[] = [];
    const clean = setup('https://site.example/', `<p>${CLEAN}</p>`, {
      prepareWarnings: () => calls.push('clean'),
    });
    clean.scanner.start();
    await settle(clean);
    expect(calls).toEqual([]);

    const h = setup('https://site.example/', '<p>#MacronLeaks</p><p>#MacronLeaks again</p>', {
      prepareWarnings: () => calls.push(`prepare before ${h.mounted.length} warnings`),
    });
    h.scanner.start();
    await settle(h);
    await until(() => h.mounted.length === 2);
    expect(calls).toEqual(['prepare before 0 warnings']);
  });

  describe('bounded work', () => {
    /** Counts the scanner's timing entries by name (it clears its own from the buffer past 500). */
    function countEntries(h: Harness): Map<string, number> {
      const counts = new Map<string, number>();
      const perf = h.win.performance;
      const measure = perf.measure.bind(perf);
      perf.measure = ((name: string, ...rest: Parameters<Performance['measure']>[1][]) => {
        counts.set(name, (counts.get(name) ?? 0) + 1);
        return measure(name, ...rest);
      }) as Performance['measure'];
      return counts;
    }

    it('reads a giant block up to its cap, sends it alone, and still flags it', async () => {
      // The hashtag, 1,000 empty nested blocks, then 1 MB in one text node.
      const h = setup('https://site.example/', '<p>before</p><div id="giant"></div><p>after</p>');
      const giant = h.doc.getElementById('giant')!;
      giant.append('#MacronLeaks ');
      // Nested blocks only break the line, but those breaks count towards the cap too.
      for (let i = 0; i < 1_000; i++) giant.append(h.doc.createElement('p'));
      giant.append('weather trains coffee queues market bread '.repeat(25_000));
      h.scanner.start();
      await settle(h);
      const sent = h.requests.flat();
      expect(sent).toHaveLength(3);
      const text = sent.find((b) => b.text.startsWith('#MacronLeaks'))!.text;
      expect(text.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
      expect(text.length).toBeGreaterThan(MAX_TEXT_CHARS - 50);
      for (const blocks of h.requests) {
        expect(requestSchema.safeParse({ type: 'lookup', ...packLookup(blocks) }).success).toBe(true);
      }
      expect(giant.hasAttribute(FLAG_ATTRIBUTE)).toBe(true);
    });

    it('reads nested inline elements and finds the text at the bottom', async () => {
      // 200 levels: happy-dom computes styles recursively and slowly; hostile.spec.ts has 5,000
      // in Chromium.
      const h = setup('https://site.example/', '<p id="deep">top </p>');
      let at: HTMLElement = h.doc.getElementById('deep')!;
      for (let i = 0; i < 200; i++) {
        const span = h.doc.createElement(i % 2 ? 'span' : 'em');
        at.append(span);
        at = span;
      }
      at.append('#MacronLeaks');
      h.scanner.start();
      await settle(h);
      expect(h.errors).toEqual([]);
      expect(allBlocks(h).map((b) => b.hashtags)).toEqual([[normaliseHashtag('MacronLeaks')]]);
      expect(h.doc.getElementById('deep')!.hasAttribute(FLAG_ATTRIBUTE)).toBe(true);
    });

    it('stops reading one block after MAX_NODES_PER_BLOCK nodes', async () => {
      const h = setup('https://site.example/', '<p id="wide"></p>');
      const wide = h.doc.getElementById('wide')!;
      const words = Array.from({ length: MAX_NODES_PER_BLOCK + 10 }, (_, i) => (i % 2 ? 'a' : 'b'));
      for (const w of words) wide.append(h.doc.createTextNode(`${w} `));
      wide.append('#MacronLeaks');
      h.scanner.start();
      await settle(h);
      expect(allBlocks(h)[0]!.hashtags).toEqual([]);
      expect(wide.hasAttribute(FLAG_ATTRIBUTE)).toBe(false);
    });

    it('walks a big added subtree a piece at a time, and applies many answers a slice at a time', async () => {
      const h = setup('https://site.example/', '', { sliceMs: 0 });
      const counts = countEntries(h);
      h.doc.body.innerHTML = `<ul>${'<li>#MacronLeaks</li>'.repeat(600)}</ul>`;
      h.scanner.start();
      await settle(h);
      expect(h.doc.querySelectorAll(`[${FLAG_ATTRIBUTE}]`)).toHaveLength(600);
      // One block per slice when every slice is out of time at once; 600 warnings, one at a time.
      expect(counts.get(TIMING.scan)).toBeGreaterThanOrEqual(600);
      expect(counts.get(TIMING.apply)).toBeGreaterThan(1);
      expect(h.mounted).toHaveLength(600);
    });
  });

  it('does not throw when a lookup answer arrives after the block changed', async () => {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const h = setup('https://site.example/', `<p id="p">#MacronLeaks</p>`, {
      lookup: async (blocks) => {
        await gate;
        return blocks.map((b) => scanBlock([LIST], b.text, b.links));
      },
    });
    h.scanner.start();
    await new Promise((r) => setTimeout(r, 10));
    (h.doc.getElementById('p')!.firstChild as Text).data = CLEAN;
    await new Promise((r) => setTimeout(r, 10));
    release?.();
    await settle(h);
    expect(h.doc.querySelector(WARNING_TAG)).toBeNull();
  });
});

describe('FifoSet', () => {
  it('takes items once each, oldest first, and takes back what is added again', () => {
    const q = new FifoSet<number>();
    for (const n of [1, 2, 1, 3]) q.add(n);
    expect(q.size).toBe(3);
    expect([q.take(), q.take()]).toEqual([1, 2]);
    q.add(1);
    q.add(3);
    expect([q.take(), q.take(), q.take()]).toEqual([3, 1, undefined]);
    expect(q.size).toBe(0);
  });

  it('stays in order across its compaction, with thousands of items', () => {
    const q = new FifoSet<number>();
    const taken: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      q.add(i);
      if (i % 3 === 2) taken.push(q.take()!);
    }
    for (let n = q.take(); n !== undefined; n = q.take()) taken.push(n);
    expect(taken).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    q.add(7);
    q.clear();
    expect(q.take()).toBeUndefined();
  });
});
