/**
 * The floor under the browser figures: a do-nothing MV3 extension, written by the bench, that does
 * only what a design keeping the list in the background must do on the page. Its content script
 * reads the text of the same blocks with one native call each (textContent: no walk, no visibility
 * checks) and sends it in messages of the scanner's size, one message per task on the first scan;
 * its worker answers "nothing found" at once, without a list. No warnings. Its entries carry the
 * scanner's TIMING names, so the bench measures it with the same code as Leakwatch.
 *
 * What it costs is what the machine and browser charge before Leakwatch does anything of its own:
 * launching the worker's process, serialising the page's text into extension messages, reading it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FLUSH_CHARS, TIMING } from '../../lib/content-scanner';
import { MAX_BLOCKS_PER_LOOKUP } from '../../lib/lookup-limits';

const CONTENT = `(() => {
  const T = ${JSON.stringify(TIMING)};
  const perf = performance;
  // Posts on a feed, block elements elsewhere: the blocks the scanner reads on these pages.
  const BLOCKS = location.hostname === 'x.com'
    ? 'article[data-testid="tweet"]'
    : 'p, h1, h2, h3, h4, h5, h6, li, blockquote, pre, figcaption, td, th, dd, dt';
  let inFlight = 0;
  const idleIfDone = () => { if (inFlight === 0) perf.mark(T.idle); };
  function send(texts, links) {
    inFlight++;
    const sent = perf.now();
    chrome.runtime.sendMessage({ type: 'lookup', texts, links })
      .then(() => perf.measure(T.lookup, { start: sent, end: perf.now() }), () => {})
      .finally(() => { inFlight--; idleIfDone(); });
  }
  /** Reads blocks from \`from\` and sends them; with \`once\`, stops after one message. The index reached. */
  function readAndSend(blocks, from, once) {
    let texts = [];
    let links = [];
    let chars = 0;
    let i = from;
    while (i < blocks.length) {
      const block = blocks[i++];
      const text = block.textContent;
      const hrefs = [];
      for (const a of block.getElementsByTagName('a')) if (a.href) hrefs.push(a.href);
      if (hrefs.length > 0) links.push([texts.length, hrefs]);
      texts.push(text);
      chars += text.length;
      if (chars >= ${FLUSH_CHARS} || texts.length === ${MAX_BLOCKS_PER_LOOKUP}) {
        send(texts, links);
        if (once) return i;
        texts = [];
        links = [];
        chars = 0;
      }
    }
    if (texts.length > 0) send(texts, links);
    return i;
  }
  // The page's blocks a message at a time, a task each, as the scanner spreads its first scan.
  const all = [...document.querySelectorAll(BLOCKS)];
  let next = 0;
  inFlight++;
  (function step() {
    const t0 = perf.now();
    next = readAndSend(all, next, true);
    perf.measure(T.scan, { start: t0, end: perf.now() });
    if (next < all.length) setTimeout(step, 0);
    else {
      inFlight--;
      idleIfDone();
    }
  })();
  new MutationObserver((records) => {
    const t = perf.now();
    const blocks = [];
    for (const r of records)
      for (const n of r.addedNodes) {
        if (n.nodeType !== 1) continue;
        if (n.matches(BLOCKS)) blocks.push(n);
        else blocks.push(...n.querySelectorAll(BLOCKS));
      }
    readAndSend(blocks, 0, false);
    perf.measure(T.scan, { start: t, end: perf.now() });
    idleIfDone();
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
`;

const WORKER = `chrome.runtime.onMessage.addListener((message, _sender, reply) => {
  const texts = Array.isArray(message && message.texts) ? message.texts : [];
  reply({ ok: true, value: { results: texts.map(() => []) } });
});
`;

/** Writes the bare extension into `dir` (created); returns `dir`. */
export function writeBareExtension(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = {
    manifest_version: 3,
    name: 'Leakwatch bench floor (bare extension)',
    version: '1.0',
    background: { service_worker: 'worker.js' },
    content_scripts: [
      {
        matches: ['http://*/*', 'https://*/*'],
        js: ['content.js'],
        all_frames: true,
        run_at: 'document_idle',
      },
    ],
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(path.join(dir, 'content.js'), CONTENT);
  fs.writeFileSync(path.join(dir, 'worker.js'), WORKER);
  return dir;
}
