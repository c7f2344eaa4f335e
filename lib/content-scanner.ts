import { BLOCK_TAGS, SITE_ADAPTERS, SKIP_TAGS } from '../utils/blocks';
import type { FingerprintParams } from '../utils/list-schema';
import { type BlockFeatures, extractFeatures, type Finding } from '../utils/matcher';

/**
 * Cuts the live page into blocks the way utils/blocks.ts cuts HTML for the CLI (a feed post found by
 * a site adapter is one block; elsewhere each block-level element is a block of its own inline
 * text), sends their features to the background and puts a warning before each flagged block.
 *
 * Lessons from uBlock Origin: the MutationObserver callback only queues nodes; the work runs later
 * in small idle slices, and a block is read again only when its content changed. A page where
 * nothing matches is never touched.
 */

export const WARNING_TAG = 'leakwatch-warning';
export const FLAG_ATTRIBUTE = 'data-leakwatch-flagged';

export interface WarningView {
  update(findings: readonly Finding[]): void;
  /** Takes the warning's effects off the block (blur); the scanner removes the host element. */
  remove(): void;
}

export interface WarningPlacement {
  /** The block is a social-media post found by a site adapter, not a paragraph of a page. */
  isPost: boolean;
}

export type MountWarning = (
  host: HTMLElement,
  block: HTMLElement,
  findings: readonly Finding[],
  placement: WarningPlacement,
) => WarningView;

export interface PageReport {
  flaggedBlocks: number;
  findings: Finding[];
}

/** The page's window: its constructors are needed too, since a content script's differ by engine. */
export type ScannerWindow = Window & Pick<typeof globalThis, 'HTMLElement' | 'MutationObserver'>;

export interface ScannerOptions {
  window: ScannerWindow;
  paramSets: readonly FingerprintParams[];
  /** One result list per block, in order; rejects when the background cannot answer. */
  lookup(blocks: BlockFeatures[]): Promise<Finding[][]>;
  report(report: PageReport): void;
  mountWarning: MountWarning;
  /** Failures are reported here instead of being thrown into the page. */
  onError(error: unknown): void;
  sliceMs?: number;
  sliceBlocks?: number;
  reportDelayMs?: number;
}

export interface ContentScanner {
  start(): void;
  /** Disconnects and takes every warning, flag and blur off the page. */
  stop(): void;
  /** Resolves once nothing is queued or awaiting the background (tests, benchmarks). */
  whenIdle(): Promise<void>;
}

const IDLE_TIMEOUT_MS = 500;
const DEFAULT_SLICE_MS = 4;
const DEFAULT_SLICE_BLOCKS = 50;
const DEFAULT_REPORT_DELAY_MS = 500;
/** After this many removals or restylings of one warning, the page wins and the block is unblurred. */
const MAX_RESTORES = 5;
/**
 * Bounds of the lookup request in lib/messages.ts, which the background enforces by refusing the
 * whole request. Repeated here because importing that module would bundle zod into every page;
 * tests/unit/content-scanner.test.ts checks the requests against the schema itself.
 */
const MAX_BLOCKS_PER_LOOKUP = 200;
const MAX_TEXT_CHARS = 200_000;
const MAX_FEATURE_ITEMS = 200;
const MAX_FEATURE_ITEM_CHARS = 200;
const MAX_LINK_CHARS = 2_048;
const MAX_FINGERPRINTS_PER_BLOCK = 20_000;
const MAX_FINGERPRINTS_PER_LOOKUP = 60_000;
const MAX_REPORTED_FINDINGS = 5_000;

/**
 * Pinned as an inline style with !important: an inline important declaration beats any page
 * stylesheet, so a page can hide the warning only by editing this attribute, which is watched.
 */
const HOST_STYLE = [
  'all: initial !important',
  'display: block !important',
  'visibility: visible !important',
  'opacity: 1 !important',
  'position: static !important',
  'transform: none !important',
  'clip-path: none !important',
  'filter: none !important',
  'max-width: 100% !important',
  'margin: 0 0 8px !important',
].join('; ');

const BLOCK_SELECTOR = [...BLOCK_TAGS].filter((t) => t !== 'body').join(', ');
const SKIP_SELECTOR = [...SKIP_TAGS].join(', ');

interface Flag {
  host: HTMLElement;
  view: WarningView;
  findings: readonly Finding[];
  restores: number;
  /** The page kept removing or restyling the warning: it is no longer shown nor restored. */
  abandoned: boolean;
}

interface Pending {
  block: HTMLElement;
  hash: number;
  features: BlockFeatures;
}

/** What the scanner's own entries on the page's performance timeline are called. */
export const TIMING = {
  /** One slice of reading blocks and extracting their features, on the main thread. */
  scan: 'leakwatch:scan',
  /** Applying one lookup answer: flags, warnings, blur. */
  apply: 'leakwatch:apply',
  /** One MutationObserver callback (it only queues). */
  observe: 'leakwatch:observe',
  /** From sending a lookup to its answer: wall time, mostly spent in the background. */
  lookup: 'leakwatch:lookup',
  /** A mark: nothing is queued or awaiting the background any more. */
  idle: 'leakwatch:idle',
} as const;
/** The user-timing buffer never drops entries by itself: past this many, the scanner clears its own. */
const TIMING_KEPT = 500;

interface Timeline {
  now(): number;
  measure(name: string, start: number): void;
  mark(name: string): void;
}

/**
 * Entries on the page's performance timeline, for benchmarks and DevTools. They say how long the
 * extension worked and when, never what it found: the page can read them. Observers see every
 * entry even after the scanner clears it from the buffer.
 */
function createTimeline(perf: Performance): Timeline {
  let written = 0;
  const countAndTrim = () => {
    if (++written < TIMING_KEPT) return;
    written = 0;
    for (const name of Object.values(TIMING)) {
      perf.clearMeasures(name);
      perf.clearMarks(name);
    }
  };
  return {
    now: () => perf.now(),
    measure(name, start) {
      try {
        perf.measure(name, { start, end: perf.now() });
        countAndTrim();
      } catch {
        // An engine without measure options: the figures are for benchmarks only.
      }
    },
    mark(name) {
      try {
        perf.mark(name);
        countAndTrim();
      } catch {
        // as above
      }
    },
  };
}

/** FNV-1a: only detects change, so 32 bits are plenty. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function clampFeatures(f: BlockFeatures): BlockFeatures {
  const fingerprints: Record<string, number[]> = {};
  for (const [key, values] of Object.entries(f.fingerprints)) {
    fingerprints[key] = values.slice(0, MAX_FINGERPRINTS_PER_BLOCK);
  }
  return {
    hashtags: f.hashtags.filter((t) => t.length <= MAX_FEATURE_ITEM_CHARS).slice(0, MAX_FEATURE_ITEMS),
    urls: f.urls.filter((u) => u.length <= MAX_LINK_CHARS).slice(0, MAX_FEATURE_ITEMS),
    fingerprints,
  };
}

function fingerprintCount(f: BlockFeatures): number {
  let n = 0;
  for (const values of Object.values(f.fingerprints)) n += values.length;
  return n;
}

export function createContentScanner(options: ScannerOptions): ContentScanner {
  const win = options.window;
  const doc = win.document;
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  const sliceBlocks = options.sliceBlocks ?? DEFAULT_SLICE_BLOCKS;
  const reportDelayMs = options.reportDelayMs ?? DEFAULT_REPORT_DELAY_MS;
  const timeline = createTimeline(win.performance);
  const postSelector =
    SITE_ADAPTERS.filter((a) => a.hosts.test(win.location.hostname))
      .map((a) => a.post)
      .join(', ') || null;
  const candidateSelector = postSelector ? `${postSelector}, ${BLOCK_SELECTOR}` : BLOCK_SELECTOR;

  const roots = new Set<Node>();
  const candidates = new Set<Element>();
  const seen = new WeakMap<Element, number>();
  const flagged = new Map<HTMLElement, Flag>();
  const hostBlocks = new WeakMap<Element, HTMLElement>();
  let sweepNeeded = false;
  let inFlight = 0;
  let stopped = true;
  let cancelSlice: (() => void) | null = null;
  let reportTimer: number | null = null;
  let idleWaiters: (() => void)[] = [];

  const safely =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch (error) {
        options.onError(error);
      }
    };

  const isHTMLElement = (node: unknown): node is HTMLElement => node instanceof win.HTMLElement;
  const isPost = (el: Element): boolean => postSelector !== null && el.matches(postSelector);

  /** The post (outermost, as in the CLI) or the nearest block that owns `el`'s text. */
  function blockOf(el: Element): HTMLElement | null {
    if (postSelector) {
      let post = el.closest(postSelector);
      for (
        let outer = post?.parentElement?.closest(postSelector);
        outer;
        outer = outer.parentElement?.closest(postSelector)
      ) {
        post = outer;
      }
      if (isHTMLElement(post)) return post;
    }
    const block = el.closest(BLOCK_SELECTOR);
    return isHTMLElement(block) ? block : null;
  }

  /** A candidate is scanned as itself only when it is not part of a post or of something never read. */
  function isScannable(el: Element): el is HTMLElement {
    if (!isHTMLElement(el) || !el.isConnected || el.isContentEditable) return false;
    if (el.closest(SKIP_SELECTOR)) return false;
    if (!postSelector) return true;
    const enclosing = (isPost(el) ? el.parentElement : el)?.closest(postSelector);
    return !enclosing;
  }

  function expandRoot(root: Node): void {
    const el = root.nodeType === 1 ? (root as Element) : root.parentElement;
    if (!el?.isConnected || el.closest(SKIP_SELECTOR)) return;
    const owner = blockOf(el);
    if (owner) candidates.add(owner);
    if (root.nodeType !== 1 || !el.firstElementChild) return;
    for (const d of el.querySelectorAll(candidateSelector)) candidates.add(d);
  }

  function nextCandidate(): Element | null {
    while (candidates.size === 0) {
      const root = roots.values().next();
      if (root.done) return null;
      roots.delete(root.value);
      expandRoot(root.value);
    }
    const first = candidates.values().next().value as Element;
    candidates.delete(first);
    return first;
  }

  function isVisible(el: Element): boolean {
    // checkVisibility is missing from older engines; reading hidden text is then the lesser harm.
    return typeof el.checkVisibility !== 'function' || el.checkVisibility();
  }

  function pushHref(a: Element, into: string[]): void {
    // The href property is the absolute URL, resolved against the document base.
    const href = (a as HTMLAnchorElement).href;
    if (/^https?:/i.test(href)) into.push(href);
  }

  function linksOf(el: Element, into: string[]): void {
    if (el.matches('a[href]')) pushHref(el, into);
    for (const a of el.querySelectorAll('a[href]')) pushHref(a, into);
  }

  /**
   * Rendered text, with innerText where a subtree is all inline (innerText skips hidden text and
   * separates block boxes, which textContent glues together), walking down only where nested blocks
   * or never-read elements have to be left out.
   */
  function collect(
    el: Element,
    nested: string,
    parts: string[],
    links: string[],
    stopAtBlocks: boolean,
  ): void {
    for (const child of el.childNodes) {
      if (child.nodeType === 3) {
        parts.push((child.nodeValue ?? '').replace(/\s+/g, ' '));
        continue;
      }
      if (child.nodeType !== 1) continue;
      const c = child as Element;
      const tag = c.localName;
      if (SKIP_TAGS.has(tag)) continue;
      const isBlock = BLOCK_TAGS.has(tag);
      if (stopAtBlocks && (isBlock || isPost(c))) {
        parts.push('\n');
        continue;
      }
      if (tag === 'br') {
        parts.push('\n');
        continue;
      }
      if (!isHTMLElement(c) || !isVisible(c)) continue;
      if (isBlock) parts.push('\n');
      if (c.querySelector(nested)) {
        if (c.matches('a[href]')) pushHref(c, links);
        collect(c, nested, parts, links, stopAtBlocks);
      } else {
        // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is wanted (see above)
        parts.push(c.innerText);
        linksOf(c, links);
      }
      if (isBlock) parts.push('\n');
    }
  }

  function readBlock(block: HTMLElement): { text: string; links: string[] } {
    const post = isPost(block);
    const nested = post ? SKIP_SELECTOR : `${candidateSelector}, ${SKIP_SELECTOR}`;
    const links: string[] = [];
    if (!block.querySelector(nested)) {
      linksOf(block, links);
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is wanted (see collect)
      return { text: block.innerText, links };
    }
    const parts: string[] = [];
    collect(block, nested, parts, links, !post);
    return { text: parts.join(''), links };
  }

  /** Features of a block whose content changed since it was last read; null when unchanged. */
  function prepare(block: HTMLElement): Pending | null {
    const { text: rawText, links: rawLinks } = readBlock(block);
    const text = rawText.trim().slice(0, MAX_TEXT_CHARS);
    const links = [...new Set(rawLinks)];
    const hash = hashString(`${text}\u0000${links.join('\u0001')}`);
    if (seen.get(block) === hash) return null;
    seen.set(block, hash);
    if (!text && links.length === 0) {
      if (flagged.has(block)) unflag(block);
      return null;
    }
    return { block, hash, features: clampFeatures(extractFeatures(text, links, options.paramSets)) };
  }

  function pinHost(host: HTMLElement): void {
    if (host.getAttribute('style') !== HOST_STYLE) host.setAttribute('style', HOST_STYLE);
  }

  const guard = new win.MutationObserver(
    safely((records: MutationRecord[]) => {
      for (const r of records) {
        const block = hostBlocks.get(r.target as Element);
        const flag = block && flagged.get(block);
        if (!block || !flag || flag.abandoned || (r.target as Element).getAttribute('style') === HOST_STYLE)
          continue;
        restore(block, flag);
      }
    }),
  );

  function flag(block: HTMLElement, findings: readonly Finding[]): void {
    block.setAttribute(FLAG_ATTRIBUTE, [...new Set(findings.map((f) => f.entry))].join(','));
    scheduleReport();
    const existing = flagged.get(block);
    if (existing) {
      existing.findings = findings;
      if (!existing.abandoned) existing.view.update(findings);
      return;
    }
    const host = doc.createElement(WARNING_TAG);
    pinHost(host);
    block.before(host);
    let view: WarningView;
    try {
      view = options.mountWarning(host, block, findings, { isPost: isPost(block) });
    } catch (error) {
      host.remove();
      block.removeAttribute(FLAG_ATTRIBUTE);
      throw error;
    }
    hostBlocks.set(host, block);
    guard.observe(host, { attributes: true, attributeFilter: ['style'] });
    flagged.set(block, { host, view, findings, restores: 0, abandoned: false });
  }

  function unflag(block: HTMLElement): void {
    const f = flagged.get(block);
    if (!f) return;
    flagged.delete(block);
    if (!f.abandoned) f.view.remove();
    f.host.remove();
    block.removeAttribute(FLAG_ATTRIBUTE);
    scheduleReport();
  }

  function restore(block: HTMLElement, f: Flag): void {
    f.restores++;
    if (f.restores > MAX_RESTORES) {
      // Fighting a framework that re-renders its tree would loop forever; never leave a blur the
      // reader cannot lift.
      f.abandoned = true;
      f.view.remove();
      f.host.remove();
      return;
    }
    pinHost(f.host);
    if (f.host.nextElementSibling !== block) block.before(f.host);
  }

  /** Drops flags of blocks the page removed and puts back warnings the page removed or moved. */
  function sweep(): void {
    for (const [block, f] of flagged) {
      if (!block.isConnected) {
        unflag(block);
        // Re-attached later (virtualised feeds), the same element must be read and flagged again.
        seen.delete(block);
      } else if (!f.abandoned && (!f.host.isConnected || f.host.nextElementSibling !== block)) {
        restore(block, f);
      }
    }
  }

  const applyOne = safely((p: Pending, findings: Finding[]) => {
    // A block that changed while the lookup was out has been queued again: its newer answer wins.
    if (seen.get(p.block) !== p.hash || !p.block.isConnected) return;
    if (findings.length > 0) flag(p.block, findings);
    else unflag(p.block);
  });

  function apply(batch: Pending[], results: Finding[][]): void {
    batch.forEach((p, i) => {
      applyOne(p, results[i] ?? []);
    });
  }

  function send(batch: Pending[]): void {
    inFlight++;
    const sent = timeline.now();
    options
      .lookup(batch.map((p) => p.features))
      .then(
        (results) => {
          timeline.measure(TIMING.lookup, sent);
          if (stopped) return;
          const t0 = timeline.now();
          apply(batch, results);
          timeline.measure(TIMING.apply, t0);
        },
        (error: unknown) => {
          // Forget the hashes so the next change of these blocks is looked up again.
          for (const p of batch) if (seen.get(p.block) === p.hash) seen.delete(p.block);
          options.onError(error);
        },
      )
      .catch(options.onError)
      .finally(() => {
        inFlight--;
        notifyIdle();
      });
  }

  /** One element's failure (an exotic custom element, a detached node) must not stall the queue. */
  function tryPrepare(candidate: Element): Pending | null {
    try {
      return isScannable(candidate) ? prepare(candidate) : null;
    } catch (error) {
      options.onError(error);
      return null;
    }
  }

  function scanSlice(t0: number): void {
    if (sweepNeeded) {
      sweepNeeded = false;
      sweep();
    }
    let batch: Pending[] = [];
    let batchFingerprints = 0;
    let examined = 0;
    while (examined < sliceBlocks && win.performance.now() - t0 < sliceMs) {
      const candidate = nextCandidate();
      if (!candidate) break;
      examined++;
      const pending = tryPrepare(candidate);
      if (!pending) continue;
      batch.push(pending);
      batchFingerprints += fingerprintCount(pending.features);
      if (batch.length === MAX_BLOCKS_PER_LOOKUP || batchFingerprints >= MAX_FINGERPRINTS_PER_LOOKUP) {
        send(batch);
        batch = [];
        batchFingerprints = 0;
      }
    }
    if (batch.length > 0) send(batch);
  }

  function runSlice(): void {
    cancelSlice = null;
    if (stopped) return;
    const t0 = timeline.now();
    try {
      scanSlice(t0);
    } finally {
      timeline.measure(TIMING.scan, t0);
      if (roots.size > 0 || candidates.size > 0 || sweepNeeded) schedule();
      else notifyIdle();
    }
  }

  function schedule(): void {
    if (cancelSlice || stopped) return;
    const run = safely(runSlice);
    if (typeof win.requestIdleCallback === 'function') {
      const id = win.requestIdleCallback(run, { timeout: IDLE_TIMEOUT_MS });
      cancelSlice = () => win.cancelIdleCallback(id);
    } else {
      const id = win.setTimeout(run, 0);
      cancelSlice = () => win.clearTimeout(id);
    }
  }

  function isOwnNode(node: Node): boolean {
    return node.nodeType === 1 && (node as Element).localName === WARNING_TAG;
  }

  /** A removed text or inline node changes its block's text; a removed block changes nothing else. */
  function changesOwnerText(node: Node): boolean {
    if (node.nodeType === 3) return true;
    if (node.nodeType !== 1 || isOwnNode(node)) return false;
    const el = node as Element;
    return !BLOCK_TAGS.has(el.localName) && !isPost(el);
  }

  const observer = new win.MutationObserver(
    safely((records: MutationRecord[]) => {
      const t0 = timeline.now();
      for (const r of records) {
        if (r.type === 'characterData') {
          roots.add(r.target);
          continue;
        }
        for (const n of r.addedNodes) if (!isOwnNode(n)) roots.add(n);
        if (r.removedNodes.length === 0) continue;
        if (flagged.size > 0) sweepNeeded = true;
        for (const n of r.removedNodes) {
          if (changesOwnerText(n)) {
            roots.add(r.target);
            break;
          }
        }
      }
      schedule();
      timeline.measure(TIMING.observe, t0);
    }),
  );

  function scheduleReport(): void {
    if (reportTimer !== null || stopped) return;
    reportTimer = win.setTimeout(
      safely(() => {
        reportTimer = null;
        sendReport();
      }),
      reportDelayMs,
    );
  }

  function sendReport(): void {
    const strongest = new Map<string, Finding>();
    let count = 0;
    for (const [block, f] of flagged) {
      if (!block.isConnected) continue;
      count++;
      for (const finding of f.findings) {
        const key = `${finding.kind}\u0000${finding.listId}\u0000${finding.entry}`;
        const known = strongest.get(key);
        if (!known || finding.strength.matched > known.strength.matched) strongest.set(key, finding);
      }
    }
    options.report({
      flaggedBlocks: count,
      findings: [...strongest.values()].slice(0, MAX_REPORTED_FINDINGS),
    });
  }

  function isIdle(): boolean {
    return !cancelSlice && inFlight === 0 && roots.size === 0 && candidates.size === 0;
  }

  function notifyIdle(): void {
    if (!isIdle() && !stopped) return;
    if (!stopped) timeline.mark(TIMING.idle);
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  return {
    start: safely(() => {
      if (!stopped) return;
      stopped = false;
      observer.observe(doc.documentElement, { childList: true, subtree: true, characterData: true });
      roots.add(doc.body ?? doc.documentElement);
      schedule();
    }),
    stop: safely(() => {
      stopped = true;
      observer.disconnect();
      guard.disconnect();
      cancelSlice?.();
      cancelSlice = null;
      if (reportTimer !== null) win.clearTimeout(reportTimer);
      reportTimer = null;
      roots.clear();
      candidates.clear();
      for (const [block, f] of flagged) {
        if (!f.abandoned) f.view.remove();
        f.host.remove();
        block.removeAttribute(FLAG_ATTRIBUTE);
      }
      flagged.clear();
      notifyIdle();
    }),
    whenIdle: () =>
      isIdle() || stopped ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
  };
}
