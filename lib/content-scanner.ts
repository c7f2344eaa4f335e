import { BLOCK_TAGS, SITE_ADAPTERS, SKIP_TAGS } from '../utils/blocks';
import type { Finding } from '../utils/matcher';
import {
  type BlockText,
  MAX_BLOCKS_PER_LOOKUP,
  MAX_LINK_CHARS,
  MAX_LINKS_PER_BLOCK,
  MAX_LOOKUP_CHARS,
  MAX_TEXT_CHARS,
} from './lookup-limits';

/**
 * Cuts the live page into blocks the way utils/blocks.ts cuts HTML for the CLI (a feed post found by
 * a site adapter is one block; elsewhere each block-level element is a block of its own inline
 * text), sends their text and links to the background, which extracts and matches their features
 * (lib/messages.ts says why there), and puts a warning before each flagged block.
 *
 * Lessons from uBlock Origin: the MutationObserver callback only queues nodes; the work runs later
 * in small idle slices, and a block is read again only when its content changed. A page where
 * nothing matches is never touched.
 *
 * Every step is bounded so that no page can make one slice long: added subtrees are walked a few
 * hundred elements at a time; a block is read (up to MAX_TEXT_CHARS and MAX_NODES_PER_BLOCK nodes)
 * in steps that resume in the next slice when time is up; lookups of several slices travel in one
 * message of bounded size; answers are applied a slice at a time.
 * Text is read by walking the block, not with innerText, which lays out the page first (a 10 MB
 * text node took 170 ms) and can make the extension pay for the page's own layout.
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
  /** One result list per block, in order; rejects when the background cannot answer. */
  lookup(blocks: BlockText[]): Promise<Finding[][]>;
  report(report: PageReport): void;
  mountWarning: MountWarning;
  /** Failures are reported here instead of being thrown into the page. */
  onError(error: unknown): void;
  sliceMs?: number;
  sliceBlocks?: number;
  reportDelayMs?: number;
  /** Blocks read in the previous slices wait at most this long before their lookup is sent. */
  flushAfterMs?: number;
  /** Longest wait for the page's next frame before reading what it added (see afterNextFrame). */
  frameWaitMs?: number;
  /**
   * Runs once, in a task of its own, before the page's first warning: what every warning needs and
   * the first one would otherwise load in the middle of a slice (the extension's translations).
   */
  prepareWarnings?: () => void;
}

export interface ContentScanner {
  start(): void;
  /** Disconnects and takes every warning, flag and blur off the page. */
  stop(): void;
  /** Resolves once nothing is queued or awaiting the background (tests, benchmarks). */
  whenIdle(): Promise<void>;
  /**
   * Runs `work` as a TIMING.apply entry: what warnings do later on their own (drawing the details
   * that arrived) is the extension's main-thread time too.
   */
  timed(work: () => void): void;
}

const IDLE_TIMEOUT_MS = 500;
const DEFAULT_FRAME_WAIT_MS = 100;
/**
 * Longest run of slices in one idle callback: well under the 50 ms of a long task, with room for a
 * garbage collection or a slow last slice (tasks with a 30 ms budget reached 37-52 ms on a 1 MB page).
 */
const MAX_IDLE_TASK_MS = 20;
const DEFAULT_SLICE_MS = 4;
const DEFAULT_SLICE_BLOCKS = 500;
const DEFAULT_REPORT_DELAY_MS = 500;
const DEFAULT_FLUSH_AFTER_MS = 100;
/** Nodes (elements and text) visited to read one block: a list of 100,000 items has no text of its own. */
export const MAX_NODES_PER_BLOCK = 50_000;
/** Elements visited between two looks at the clock while walking an added subtree. */
const WALK_STEP = 128;
/** Nodes read between two looks at the clock. */
const READ_STEP = 256;
/**
 * A lookup is sent once its texts reach this many characters. In Chromium 156 sending a 1 MB message
 * took the page 12-45 ms, a 70 KB one about 0.2 ms: several smaller sends keep each one short.
 */
export const FLUSH_CHARS = 64_000;
const MAX_REPORTED_FINDINGS = 5_000;

/**
 * How long to wait before undoing the page's n-th removal or restyling of one warning (n from 1).
 * The first few come back at once; after that the waits double up to 4 s, so that a page (or a
 * framework re-rendering its tree) that keeps at it cannot make the extension loop, and still never
 * gets rid of the warning.
 */
export function restoreDelay(n: number): number {
  return n <= 3 ? 0 : Math.min(4_000, 250 * 2 ** (n - 4));
}
/** A warning left alone this long starts again from immediate restores. */
const RESTORE_QUIET_MS = 10_000;

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
const SKIP_OR_OWN_SELECTOR = `${SKIP_SELECTOR}, ${WARNING_TAG}`;
/** The links of a block without any: one array for all of them (frozen: a write would throw). */
const NO_LINKS = Object.freeze([]) as unknown as string[];
/** Text that trim() would not reduce to nothing: \s is the set of characters trim() takes away. */
const NOT_BLANK = /\S/;
/** One object for every visibility check, not one per element read. */
const VISIBILITY_OPTIONS: CheckVisibilityOptions = { visibilityProperty: true };

interface Flag {
  host: HTMLElement;
  view: WarningView;
  findings: readonly Finding[];
  /** Restores since the page last left the warning alone for RESTORE_QUIET_MS. */
  restores: number;
  lastRestore: number;
  /** A delayed restore is pending (see restoreDelay). */
  restoreTimer: number | null;
}

interface Pending {
  block: HTMLElement;
  /** The block as read; `seen` holds this very object until the block is read differently. */
  request: BlockText;
}

/** A block being read, resumable between slices. */
interface Reading {
  block: HTMLElement;
  post: boolean;
  /** The next node to read; null once the block is read. */
  node: Node | null;
  parts: string[];
  links: string[];
  chars: number;
  nodes: number;
}

/** An added subtree being walked for candidates, resumable between slices. */
interface Walk {
  root: Element | ShadowRoot;
  /** The next element to visit; null when done. */
  next: Element | null;
}

/**
 * A set taken from in insertion order. A Set's first value, taken and deleted over and over, makes
 * each new iterator step over the deleted slots before it, until the table shrinks: quadratic on a
 * page of a thousand paragraphs.
 */
export class FifoSet<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private readonly members = new Set<T>();

  get size(): number {
    return this.members.size;
  }

  add(item: T): void {
    if (this.members.has(item)) return;
    this.members.add(item);
    this.items.push(item);
  }

  /** The oldest item still in the set, taken out; undefined when empty. */
  take(): T | undefined {
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      this.items[this.head++] = undefined;
      if (this.members.delete(item)) {
        if (this.head >= 1024 && this.head * 2 >= this.items.length) {
          this.items = this.items.slice(this.head);
          this.head = 0;
        }
        return item;
      }
    }
    return undefined;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.members.clear();
  }
}

/** What the scanner's own entries on the page's performance timeline are called. */
export const TIMING = {
  /** The slices of one idle task: reading blocks and sending them, on the main thread. */
  scan: 'leakwatch:scan',
  /** Applying lookup answers: flags, warnings, blur, and later work of theirs (report, redraws). */
  apply: 'leakwatch:apply',
  /** One MutationObserver callback (it only queues). */
  observe: 'leakwatch:observe',
  /** From sending a lookup to its answer: wall time, mostly spent in the background. */
  lookup: 'leakwatch:lookup',
  /** A mark: nothing is queued or awaiting the background any more. */
  idle: 'leakwatch:idle',
  /** Once per page, before its first warning: ScannerOptions.prepareWarnings. */
  prepare: 'leakwatch:prepare',
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

function sameLinks(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((link, i) => link === b[i]);
}

/** Links within the request's bounds; nearly every block has none, so nothing is copied then. */
function clampLinks(links: string[]): string[] {
  if (links.length === 0) return links;
  return links.filter((t) => t.length <= MAX_LINK_CHARS).slice(0, MAX_LINKS_PER_BLOCK);
}

export function createContentScanner(options: ScannerOptions): ContentScanner {
  const win = options.window;
  const doc = win.document;
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  const sliceBlocks = options.sliceBlocks ?? DEFAULT_SLICE_BLOCKS;
  const reportDelayMs = options.reportDelayMs ?? DEFAULT_REPORT_DELAY_MS;
  const flushAfterMs = options.flushAfterMs ?? DEFAULT_FLUSH_AFTER_MS;
  const frameWaitMs = options.frameWaitMs ?? DEFAULT_FRAME_WAIT_MS;
  // Looked up once: a window property read from a content script crosses into the page's bindings.
  const perf = win.performance;
  const timeline = createTimeline(perf);
  const postSelector =
    SITE_ADAPTERS.filter((a) => a.hosts.test(win.location.hostname))
      .map((a) => a.post)
      .join(', ') || null;

  /** Nodes reported by the observer, to be turned into walks and candidates. */
  const roots = new FifoSet<Node>();
  const walks: Walk[] = [];
  const candidates = new FifoSet<Element>();
  /**
   * What each block held when last read. Kept as the strings themselves: comparing them is native,
   * whereas hashing them in a content script, whose code the engine has not optimised yet, cost 18 of
   * 199 ms of a 1 MB article's first scan. The page's own text nodes hold the same text.
   */
  const seen = new WeakMap<Element, BlockText>();
  const flagged = new Map<HTMLElement, Flag>();
  const hostBlocks = new WeakMap<Element, HTMLElement>();
  /** Open shadow roots of the page already observed. */
  const shadowRoots = new WeakSet<ShadowRoot>();
  /** Blocks read and waiting to be looked up together. */
  let outbox: Pending[] = [];
  let outboxChars = 0;
  let outboxSince = 0;
  /** Lookup answers waiting to be applied. */
  const answers: { pending: Pending; findings: Finding[] }[] = [];
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

  /**
   * Whether a post has been met: until then no element is matched against the post selector. The
   * Mastodon adapter applies to every host, and matching each element of a page without posts
   * against it cost ~12 ms of a 1 MB article's first scan (paired runs). Set by lookForPosts for
   * each root the scanner begins; once true, it stays true.
   */
  let postsSeen = false;
  /** What a candidate must not be inside: something never read, or a post (read as a whole). */
  const enclosingWithPosts = postSelector ? `${SKIP_SELECTOR}, ${postSelector}` : SKIP_SELECTOR;
  const enclosingSelector = () => (postsSeen ? enclosingWithPosts : SKIP_SELECTOR);
  const isHTMLElement = (node: unknown): node is HTMLElement => node instanceof win.HTMLElement;
  const isPost = (el: Element): boolean => postsSeen && postSelector !== null && el.matches(postSelector);
  const isCandidate = (el: Element): boolean => {
    const tag = el.localName;
    return (BLOCK_TAGS.has(tag) && tag !== 'body') || isPost(el);
  };

  /** The post (outermost, as in the CLI) or the nearest block that owns `el`'s text. */
  function blockOf(el: Element): HTMLElement | null {
    if (postsSeen && postSelector) {
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

  /**
   * A candidate is scanned as itself only when it is not part of a post or of something never read;
   * `post` is isPost(el).
   */
  function isScannable(el: Element, post: boolean): el is HTMLElement {
    if (!isHTMLElement(el) || !el.isConnected || el.isContentEditable) return false;
    // One look up the ancestors for both. A candidate that is not a post is a block element, never
    // a skipped tag itself; a post is looked at from its parent, after its own tag.
    if (!post) return el.closest(enclosingSelector()) === null;
    return !SKIP_TAGS.has(el.localName) && !el.parentElement?.closest(enclosingSelector());
  }

  /** An open shadow root of the page: its content is scanned and watched like the document's. */
  function adoptShadowRoot(root: ShadowRoot): void {
    if (shadowRoots.has(root)) return;
    shadowRoots.add(root);
    observer.observe(root, { childList: true, subtree: true, characterData: true });
    roots.add(root);
  }

  /**
   * Sets postsSeen when a post holds `at` or is inside it (subtree: false for a text node's parent,
   * whose other children were there before). One native query, where the walk makes several calls
   * per element: a post that gets its class or attribute only later is read as blocks, not as a post.
   */
  function lookForPosts(at: Element | ShadowRoot, subtree: boolean): void {
    if (postsSeen || postSelector === null) return;
    postsSeen =
      (at.nodeType === 1 && (at as Element).closest(postSelector) !== null) ||
      (subtree && at.querySelector(postSelector) !== null);
  }

  /** Starts walking what the observer reported; the node's own block is a candidate at once. */
  function beginRoot(root: Node): void {
    if (root.nodeType === 11) {
      const shadow = root as ShadowRoot;
      if (shadow.host.isConnected && shadow.firstElementChild) {
        lookForPosts(shadow, true);
        walks.push({ root: shadow, next: shadow.firstElementChild });
      }
      return;
    }
    const el = root.nodeType === 1 ? (root as Element) : root.parentElement;
    if (!el?.isConnected || el.closest(SKIP_OR_OWN_SELECTOR)) return;
    lookForPosts(el, root.nodeType === 1);
    const owner = blockOf(el);
    if (owner) candidates.add(owner);
    if (root.nodeType !== 1) return;
    if (el.shadowRoot) adoptShadowRoot(el.shadowRoot);
    // Inside a post, nothing is a block of its own.
    if (el.firstElementChild && !(owner && isPost(owner)))
      walks.push({ root: el, next: el.firstElementChild });
  }

  /** The element after `el` in document order within `root`, not entering `el` when `enter` is false. */
  function following(el: Element, root: Node, enter: boolean): Element | null {
    if (enter && el.firstElementChild) return el.firstElementChild;
    for (let at: Node | null = el; at && at !== root; at = at.parentNode) {
      const sibling = (at as Element).nextElementSibling;
      if (sibling) return sibling;
    }
    return null;
  }

  /**
   * Walks a subtree for candidates until `deadline`; returns false when time ran out. Elements are
   * visited one by one (querySelectorAll of the block selector over 100,000 elements took 480 ms in
   * one call), and open shadow roots met on the way are queued.
   */
  function continueWalk(walk: Walk, deadline: number): boolean {
    let el = walk.next;
    if (el && !(el.isConnected && walk.root.contains(el))) {
      // The page moved or removed where the walk was: start this subtree again (blocks already read
      // are not looked up twice).
      el = walk.root.isConnected ? walk.root.firstElementChild : null;
    }
    let steps = 0;
    while (el) {
      if (++steps % WALK_STEP === 0 && perf.now() >= deadline) {
        walk.next = el;
        return false;
      }
      const tag = el.localName;
      let enter = !SKIP_TAGS.has(tag) && tag !== WARNING_TAG;
      if (enter) {
        if (isPost(el)) {
          // A post is one block: what it holds is read with it, never as blocks of their own.
          candidates.add(el);
          enter = false;
        } else if (BLOCK_TAGS.has(tag) && tag !== 'body') {
          candidates.add(el);
        }
        if (el.shadowRoot) adoptShadowRoot(el.shadowRoot);
      }
      el = following(el, walk.root, enter);
    }
    walk.next = null;
    return true;
  }

  function nextCandidate(deadline: number): Element | null {
    while (candidates.size === 0) {
      const walk = walks[0];
      if (walk) {
        if (continueWalk(walk, deadline)) walks.shift();
        else if (candidates.size === 0) return null;
        continue;
      }
      const root = roots.take();
      if (root === undefined) return null;
      beginRoot(root);
    }
    return candidates.take() ?? null;
  }

  // checkVisibility is missing from older engines; reading hidden text is then the lesser harm.
  const canCheckVisibility = typeof win.HTMLElement.prototype.checkVisibility === 'function';
  function isVisible(el: Element): boolean {
    return !canCheckVisibility || el.checkVisibility(VISIBILITY_OPTIONS);
  }

  function pushHref(a: Element, into: string[]): void {
    // The href property is the absolute URL, resolved against the document base.
    const href = (a as HTMLAnchorElement).href;
    if (typeof href === 'string' && /^https?:/i.test(href)) into.push(href);
  }

  /**
   * The block's rendered text and links, read by walking it: text nodes in order, a line break
   * around block elements and at <br>, hidden elements and never-read ones (scripts, form fields)
   * left out. Outside posts, nested blocks are blocks of their own and only break the line. Reading
   * stops at MAX_TEXT_CHARS characters or MAX_NODES_PER_BLOCK nodes.
   */
  function startReading(block: HTMLElement, post: boolean): Reading {
    const reading = {
      block,
      post,
      node: block.firstChild,
      parts: [],
      links: [],
      chars: 0,
      nodes: 0,
    };
    if (block.localName === 'a') pushHref(block, reading.links);
    return reading;
  }

  /**
   * Reads READ_STEP more nodes of the block; true once it is read. A plain function over a state
   * object, not a generator: the engine optimises it sooner, and a content script's code is cold on
   * every page.
   */
  function continueReading(reading: Reading): boolean {
    const { block, post, parts, links } = reading;
    let { node, chars, nodes } = reading;
    const pause = nodes + READ_STEP;
    while (node && nodes < MAX_NODES_PER_BLOCK && chars < MAX_TEXT_CHARS) {
      if (nodes === pause) {
        reading.node = node;
        reading.chars = chars;
        reading.nodes = nodes;
        return false;
      }
      nodes++;
      let enter = false;
      if (node.nodeType === 3) {
        // Whitespace as it is: feature extraction treats every run of it as one separator, and
        // collapsing it first cost a regular expression and a copy per text node.
        const value = (node as Text).data;
        const part = value.length > MAX_TEXT_CHARS - chars ? value.slice(0, MAX_TEXT_CHARS - chars) : value;
        parts.push(part);
        chars += part.length;
      } else if (node.nodeType === 1) {
        const el = node as Element;
        const tag = el.localName;
        if (tag === 'br') parts.push('\n');
        else if (SKIP_TAGS.has(tag) || tag === WARNING_TAG) {
          // never read
        } else if (!post && isCandidate(el)) {
          parts.push('\n');
        } else {
          const isBlock = BLOCK_TAGS.has(tag);
          const hasChildren = el.firstChild !== null;
          // An empty inline element (an icon, a spacer) adds nothing, hidden or not: only elements
          // that can add text, a line break or a link are asked for their visibility.
          if ((hasChildren || isBlock || tag === 'a') && isVisible(el)) {
            if (tag === 'a') pushHref(el, links);
            if (isBlock) parts.push(hasChildren ? '\n' : '\n\n');
            enter = hasChildren;
          }
        }
      }
      if (enter) {
        node = node.firstChild;
        continue;
      }
      // Up to the next sibling, closing the block elements left on the way.
      while (node && node !== block && !node.nextSibling) {
        node = node.parentNode;
        if (node && node !== block && BLOCK_TAGS.has((node as Element).localName)) parts.push('\n');
      }
      node = node && node !== block ? node.nextSibling : null;
    }
    reading.node = null;
    return true;
  }

  /** The lookup of a block whose content changed since it was last read; null when unchanged. */
  function pendingOf(block: HTMLElement, rawText: string, rawLinks: string[]): Pending | null {
    // The line breaks around nested blocks are not counted while reading.
    const text = (rawText.length > MAX_TEXT_CHARS ? rawText.slice(0, MAX_TEXT_CHARS) : rawText).trim();
    const links = clampLinks(rawLinks.length > 1 ? [...new Set(rawLinks)] : rawLinks);
    const last = seen.get(block);
    if (last && last.text === text && sameLinks(last.links, links)) return null;
    const request = { text, links };
    seen.set(block, request);
    if (!text && links.length === 0) {
      if (flagged.has(block)) unflag(block);
      return null;
    }
    return { block, request };
  }

  function timed(work: () => void): void {
    const t0 = timeline.now();
    try {
      work();
    } finally {
      timeline.measure(TIMING.apply, t0);
      // Work done while idle: the timeline says again that nothing is left.
      if (!stopped && isIdle()) timeline.mark(TIMING.idle);
    }
  }

  function pinHost(host: HTMLElement): void {
    if (host.getAttribute('style') !== HOST_STYLE) host.setAttribute('style', HOST_STYLE);
  }

  const guard = new win.MutationObserver(
    safely((records: MutationRecord[]) => {
      for (const r of records) {
        const block = hostBlocks.get(r.target as Element);
        const flag = block && flagged.get(block);
        if (!block || !flag || (r.target as Element).getAttribute('style') === HOST_STYLE) continue;
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
      existing.view.update(findings);
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
    flagged.set(block, { host, view, findings, restores: 0, lastRestore: 0, restoreTimer: null });
  }

  function unflag(block: HTMLElement): void {
    const f = flagged.get(block);
    if (!f) return;
    flagged.delete(block);
    if (f.restoreTimer !== null) win.clearTimeout(f.restoreTimer);
    f.view.remove();
    f.host.remove();
    block.removeAttribute(FLAG_ATTRIBUTE);
    scheduleReport();
  }

  /** Puts the warning back in place and style; repeated attacks wait longer (restoreDelay). */
  function restore(block: HTMLElement, f: Flag): void {
    if (f.restoreTimer !== null) return;
    const now = perf.now();
    if (now - f.lastRestore > RESTORE_QUIET_MS) f.restores = 0;
    f.restores++;
    f.lastRestore = now;
    const put = () => {
      f.restoreTimer = null;
      if (stopped || flagged.get(block) !== f || !block.isConnected) return;
      pinHost(f.host);
      if (f.host.nextElementSibling !== block) block.before(f.host);
    };
    const delay = restoreDelay(f.restores);
    if (delay === 0) put();
    else
      f.restoreTimer = win.setTimeout(
        safely(() => timed(put)),
        delay,
      );
  }

  /** Drops flags of blocks the page removed and puts back warnings the page removed or moved. */
  function sweep(): void {
    for (const [block, f] of flagged) {
      if (!block.isConnected) {
        unflag(block);
        // Re-attached later (virtualised feeds), the same element must be read and flagged again.
        seen.delete(block);
      } else if (!f.host.isConnected || f.host.nextElementSibling !== block) {
        restore(block, f);
      }
    }
  }

  const applyOne = (p: Pending, findings: Finding[]) => {
    // A block that changed while the lookup was out has been queued again: its newer answer wins.
    if (seen.get(p.block) !== p.request || !p.block.isConnected) return;
    if (findings.length > 0) flag(p.block, findings);
    else unflag(p.block);
  };

  /**
   * Applies waiting answers until `deadline` (at least one): a page of 1,000 flagged paragraphs is
   * warned a slice at a time.
   */
  function applyAnswers(deadline: number): void {
    if (!warningsReady && answers.some((a) => a.findings.length > 0)) {
      prepareWarnings();
      return;
    }
    for (let first = true; answers.length > 0 && (first || perf.now() < deadline); first = false) {
      const { pending, findings } = answers.shift()!;
      try {
        applyOne(pending, findings);
      } catch (error) {
        options.onError(error);
      }
    }
  }

  let warningsReady = options.prepareWarnings === undefined;
  let preparing = false;

  function prepareWarnings(): void {
    if (preparing) return;
    preparing = true;
    win.setTimeout(
      safely(() => {
        const t0 = timeline.now();
        try {
          options.prepareWarnings?.();
        } finally {
          warningsReady = true;
          timeline.measure(TIMING.prepare, t0);
          schedule();
        }
      }),
      0,
    );
  }

  function send(batch: Pending[]): void {
    inFlight++;
    const sent = timeline.now();
    options
      .lookup(batch.map((p) => p.request))
      .then(
        (results) => {
          timeline.measure(TIMING.lookup, sent);
          if (stopped) return;
          batch.forEach((pending, i) => {
            const findings = results[i] ?? [];
            // Nearly every answer is "nothing" for a block without a warning: applying it would
            // change nothing, so it is not queued (a 1 MB article: 1,162 answers, 9 with findings).
            if (findings.length > 0 || flagged.has(pending.block)) answers.push({ pending, findings });
          });
          const t0 = timeline.now();
          applyAnswers(t0 + sliceMs);
          timeline.measure(TIMING.apply, t0);
        },
        (error: unknown) => {
          // Forget these reads so the next change of these blocks is looked up again.
          for (const p of batch) if (seen.get(p.block) === p.request) seen.delete(p.block);
          options.onError(error);
        },
      )
      .catch(options.onError)
      .finally(() => {
        inFlight--;
        if (answers.length > 0) schedule();
        notifyIdle();
      });
  }

  function flush(): void {
    if (outbox.length === 0) return;
    send(outbox);
    outbox = [];
    outboxChars = 0;
  }

  function queueLookup(pending: Pending): void {
    const chars = pending.request.text.length;
    if (outboxChars + chars > MAX_LOOKUP_CHARS) flush();
    if (outbox.length === 0) outboxSince = perf.now();
    outbox.push(pending);
    outboxChars += chars;
    if (outbox.length === MAX_BLOCKS_PER_LOOKUP || outboxChars >= FLUSH_CHARS) flush();
  }

  /** The block being read, when a slice ran out of time in the middle of it. */
  let job: Reading | null = null;

  /** One step of the current block; one element's failure (an exotic custom element) must not stall the queue. */
  function stepJob(current: Reading): void {
    try {
      if (!continueReading(current)) return;
      job = null;
      const pending = pendingOf(current.block, current.parts.join(''), current.links);
      if (pending) queueLookup(pending);
    } catch (error) {
      job = null;
      options.onError(error);
    }
  }

  /**
   * Whether `block` (not a post, not a link) would read as nothing: its children are blank text and
   * elements whose text is not its own (nested blocks, line breaks, never-read elements), as in the
   * cell a feed wraps around each post. A few children are looked at; more, and it is read.
   */
  function holdsNoText(block: Element): boolean {
    let children = 0;
    for (let child = block.firstChild; child; child = child.nextSibling) {
      if (++children > 8) return false;
      if (child.nodeType === 3) {
        if (NOT_BLANK.test((child as Text).data)) return false;
      } else if (child.nodeType === 1) {
        const tag = (child as Element).localName;
        if (tag !== 'br' && !SKIP_TAGS.has(tag) && tag !== WARNING_TAG && !isCandidate(child as Element))
          return false;
      }
    }
    return true;
  }

  function startJob(candidate: Element): void {
    try {
      const post = isPost(candidate);
      if (!isScannable(candidate, post)) return;
      let pending: Pending | null = null;
      // Most paragraphs hold one text node and nothing else: nothing in them can be hidden or link
      // anywhere, so their text is that node's, read at once instead of by a resumable walk.
      const only = candidate.firstChild;
      if (candidate.localName === 'a') job = startReading(candidate, post);
      else if (only && only === candidate.lastChild && only.nodeType === 3)
        pending = pendingOf(candidate, (only as Text).data, NO_LINKS);
      else if (!post && holdsNoText(candidate)) pending = pendingOf(candidate, '', NO_LINKS);
      else job = startReading(candidate, post);
      if (pending) queueLookup(pending);
    } catch (error) {
      options.onError(error);
    }
  }

  const hasReading = () => job !== null || roots.size > 0 || walks.length > 0 || candidates.size > 0;

  function scanSlice(t0: number): void {
    const deadline = t0 + sliceMs;
    if (sweepNeeded) {
      sweepNeeded = false;
      sweep();
    }
    let examined = 0;
    // At least one step per slice, however short the slice.
    for (let first = true; first || perf.now() < deadline; first = false) {
      if (job) {
        stepJob(job);
        continue;
      }
      if (examined >= sliceBlocks) break;
      const candidate = nextCandidate(deadline);
      if (!candidate) break;
      examined++;
      startJob(candidate);
    }
    // One message for what several slices read, unless the reader would wait too long for it.
    if (!hasReading() || perf.now() - outboxSince >= flushAfterMs) flush();
    // Warnings last: reading after writing to the page would make it compute its style again.
    applyAnswers(deadline);
  }

  const hasWork = () => hasReading() || outbox.length > 0 || answers.length > 0 || sweepNeeded;

  /**
   * Slices one after the other while the browser says it is idle (its idle periods last up to
   * 50 ms), but never past MAX_IDLE_TASK_MS in one task; a callback run because its timeout came
   * (a page that is never idle) runs one slice.
   */
  function runSlices(idle?: IdleDeadline): void {
    cancelSlice = null;
    if (stopped) return;
    const taskStart = timeline.now();
    try {
      for (;;) {
        scanSlice(timeline.now());
        const more =
          idle !== undefined &&
          !idle.didTimeout &&
          idle.timeRemaining() > sliceMs &&
          timeline.now() - taskStart < MAX_IDLE_TASK_MS;
        if (stopped || !hasWork() || !more) break;
      }
    } finally {
      // One entry per task, not per slice: each entry goes into the page's performance buffer and
      // to its observers.
      timeline.measure(TIMING.scan, taskStart);
      if (hasWork()) schedule();
      else notifyIdle();
    }
  }

  /**
   * Set by the observer when the page added something to read. The page's style and layout are then
   * out of date until its next frame; the first visibility check would bring them up to date, and
   * that work (3-4 ms for a feed's 50 new posts, against 0.6 ms for the same checks after the frame)
   * would be the extension's. So the next slice waits for the frame, once per change of the page.
   */
  let frameWanted = false;

  function schedule(): void {
    if (cancelSlice || stopped) return;
    if (frameWanted && doc.visibilityState === 'visible') {
      frameWanted = false;
      afterNextFrame();
      return;
    }
    frameWanted = false;
    const run = safely(runSlices);
    if (typeof win.requestIdleCallback === 'function') {
      let cancel = () => {};
      const id = win.requestIdleCallback(
        (idle) => {
          // A page that is never idle: wait for its next frame to be drawn, so that reading does
          // not make the extension pay for the page's own pending style and layout work.
          if (!idle.didTimeout || doc.visibilityState !== 'visible') run(idle);
          else {
            const frame = win.requestAnimationFrame(() => {
              const timer = win.setTimeout(() => run(), 0);
              cancel = () => win.clearTimeout(timer);
            });
            cancel = () => win.cancelAnimationFrame(frame);
          }
        },
        { timeout: IDLE_TIMEOUT_MS },
      );
      cancel = () => win.cancelIdleCallback(id);
      cancelSlice = () => cancel();
    } else {
      const id = win.setTimeout(() => run(), 0);
      cancelSlice = () => win.clearTimeout(id);
    }
  }

  /**
   * Schedules the next slice once the page's next frame is drawn: idle callbacks asked for in a
   * frame callback run after that frame. A frame that does not come (a frame the browser does not
   * draw, such as an iframe out of view) is waited for frameWaitMs at most.
   */
  function afterNextFrame(): void {
    const next = safely(() => {
      win.cancelAnimationFrame(frame);
      win.clearTimeout(timer);
      cancelSlice = null;
      // One frame per wait: a page that adds nodes in every frame must not keep reading off.
      frameWanted = false;
      schedule();
    });
    const frame = win.requestAnimationFrame(next);
    const timer = win.setTimeout(next, frameWaitMs);
    cancelSlice = () => {
      win.cancelAnimationFrame(frame);
      win.clearTimeout(timer);
    };
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
        for (const n of r.addedNodes) {
          if (isOwnNode(n)) continue;
          roots.add(n);
          frameWanted = true;
        }
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
        timed(sendReport);
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
    return !cancelSlice && inFlight === 0 && !hasReading() && outbox.length === 0 && answers.length === 0;
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
      job = null;
      walks.length = 0;
      candidates.clear();
      outbox = [];
      answers.length = 0;
      for (const [block, f] of flagged) {
        if (f.restoreTimer !== null) win.clearTimeout(f.restoreTimer);
        f.view.remove();
        f.host.remove();
        block.removeAttribute(FLAG_ATTRIBUTE);
      }
      flagged.clear();
      notifyIdle();
    }),
    whenIdle: () =>
      isIdle() || stopped ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
    timed,
  };
}
