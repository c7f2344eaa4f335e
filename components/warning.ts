import { type MountWarning, restoreDelay, type WarningView } from '../lib/content-scanner';
import type { EntryDetails, EntryDetailsReply } from '../lib/messages';
import type { Finding, FindingKind } from '../utils/matcher';
import { type Lang, type SendRequest, safeHref, type Translate } from './shared';

/**
 * The warning put before a flagged block, rendered in a shadow root so that page styles neither
 * break it nor read it. Content scripts have no customElements, so the host is a plain unknown
 * element. Every list string is rendered as text, never as markup.
 *
 * It is built with plain DOM calls, not Preact: its code runs cold on every page (lazily compiled,
 * never optimised), where Preact's diff made each warning cost 2-3 ms of the page's main thread, and
 * most warnings are drawn once and never change.
 *
 * The root is open, so that accessibility checkers and the end-to-end suites of both browsers can
 * read it; what it holds is what the reader sees about the page's own content. A page may change
 * it, so the warning watches its root and its blur: a change it did not make itself is undone (the
 * warning is drawn again, the blur put back; repeated attacks wait longer, see restoreDelay), and
 * "Show anyway" answers only the reader's own clicks, never a page script's.
 */

export interface EntryRef {
  listId: string;
  entry: string;
}

export type LoadDetails = ((refs: readonly EntryRef[]) => Promise<EntryDetails[]>) & {
  /** Details already at hand: a warning for an entry seen before draws once, complete. */
  peek?: (refs: readonly EntryRef[]) => EntryDetails[];
  /** Details that came another way (with the lookup's findings), kept at hand. */
  remember?: (details: readonly EntryDetails[]) => void;
};

export interface WarningOptions {
  t: Translate;
  lang: Lang;
  /** Research mode: a one-line notice, the block stays readable. */
  researchMode: boolean;
  loadDetails: LoadDetails;
  /**
   * Runs work that warnings do on their own, later (redraws when details arrive, "Why?" opened,
   * "Show anyway"), so that it is timed like the rest of the extension (ContentScanner.timed).
   */
  timed?: (work: () => void) => void;
}

/** The bound of the entry-details request in lib/messages.ts (kept out of the page bundle with zod). */
const MAX_ENTRY_DETAILS = 100;

const refKey = (r: EntryRef): string => `${r.listId}\u0000${r.entry}`;

/**
 * One request per set of entries not asked for yet: a feed with fifty flagged posts of the same
 * leak asks once. A failed request is forgotten so the next warning asks again.
 */
export function createDetailsLoader(send: SendRequest, onError: (error: unknown) => void): LoadDetails {
  const cache = new Map<string, Promise<EntryDetails | null>>();
  const known = new Map<string, EntryDetails>();
  const load: LoadDetails = async (refs) => {
    const missing = refs.filter((r) => !cache.has(refKey(r))).slice(0, MAX_ENTRY_DETAILS);
    if (missing.length > 0) {
      const reply = send<EntryDetailsReply>({
        type: 'entry-details',
        entries: missing.map((r) => ({ listId: r.listId, entry: r.entry })),
      }).catch((error: unknown) => {
        onError(error);
        for (const r of missing) cache.delete(refKey(r));
        return { details: [] } satisfies EntryDetailsReply;
      });
      for (const r of missing) {
        cache.set(
          refKey(r),
          reply.then((rep) => {
            const found = rep.details.find((d) => d.listId === r.listId && d.entry === r.entry) ?? null;
            if (found) known.set(refKey(r), found);
            return found;
          }),
        );
      }
    }
    const found = await Promise.all(refs.map((r) => cache.get(refKey(r)) ?? Promise.resolve(null)));
    return found.filter((d): d is EntryDetails => d !== null);
  };
  load.peek = (refs) => refs.flatMap((r) => known.get(refKey(r)) ?? []);
  load.remember = (details) => {
    for (const d of details) {
      const key = refKey(d);
      // Every answer that finds an entry brings its details again, as a new object. Warnings are
      // copied from drawings made with the same details object (createWarningMounter), so an equal
      // one must not replace it: each feed batch would be drawn afresh.
      const old = known.get(key);
      if (old !== undefined && JSON.stringify(old) === JSON.stringify(d)) continue;
      known.set(key, d);
      cache.set(key, Promise.resolve(d));
    }
  };
  return load;
}

/** Blur and inertness on the page's block, undone property by property so page changes survive. */
interface Blur {
  apply(): void;
  lift(): void;
  /** The blur is wanted (not lifted by the reader) but the page took some of it off. */
  tampered(): boolean;
}

const BLUR_PROPERTIES: readonly [string, string][] = [
  ['filter', 'blur(8px)'],
  ['pointer-events', 'none'],
  ['user-select', 'none'],
];

function blurOf(block: HTMLElement): Blur {
  const hadStyle = block.hasAttribute('style');
  const hadInert = block.hasAttribute('inert');
  const previous = BLUR_PROPERTIES.map(([name]) => ({
    name,
    value: block.style.getPropertyValue(name),
    priority: block.style.getPropertyPriority(name),
  }));
  let applied = false;
  return {
    apply() {
      applied = true;
      for (const [name, value] of BLUR_PROPERTIES) {
        if (
          block.style.getPropertyValue(name) !== value ||
          block.style.getPropertyPriority(name) !== 'important'
        )
          block.style.setProperty(name, value, 'important');
      }
      // inert keeps the hidden links out of the tab order and screen readers until "Show anyway".
      if (!block.hasAttribute('inert')) block.setAttribute('inert', '');
    },
    tampered() {
      return (
        applied &&
        (!block.hasAttribute('inert') ||
          BLUR_PROPERTIES.some(
            ([name, value]) =>
              block.style.getPropertyValue(name) !== value ||
              block.style.getPropertyPriority(name) !== 'important',
          ))
      );
    },
    lift() {
      applied = false;
      for (const p of previous) {
        if (p.value) block.style.setProperty(p.name, p.value, p.priority);
        else block.style.removeProperty(p.name);
      }
      if (!hadStyle && !block.getAttribute('style')) block.removeAttribute('style');
      if (!hadInert) block.removeAttribute('inert');
    },
  };
}

interface EntryGroup extends EntryRef {
  findings: Finding[];
}

function groupByEntry(findings: readonly Finding[]): EntryGroup[] {
  const groups = new Map<string, EntryGroup>();
  for (const f of findings) {
    const key = refKey(f);
    const g = groups.get(key) ?? { listId: f.listId, entry: f.entry, findings: [] };
    g.findings.push(f);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** Passages are the strongest evidence, a hashtag the weakest: the headline names the strongest. */
const KIND_RANK: Record<FindingKind, number> = { fingerprint: 0, url: 1, hashtag: 2 };

function strongestKind(findings: readonly Finding[]): FindingKind {
  return [...findings].sort((a, b) => KIND_RANK[a.kind] - KIND_RANK[b.kind])[0]?.kind ?? 'hashtag';
}

function headline(t: Translate, isPost: boolean, kind: FindingKind, title: string): string {
  if (kind === 'fingerprint') return t(isPost ? 'warnPostPassages' : 'warnTextPassages', [title]);
  if (kind === 'url') return t(isPost ? 'warnPostLink' : 'warnTextLink', [title]);
  return t(isPost ? 'warnPostHashtag' : 'warnTextHashtag', [title]);
}

function describeFinding(t: Translate, f: Finding): string {
  if (f.kind === 'fingerprint') return t('whyPassages', [f.strength.matched, f.strength.total]);
  if (f.kind === 'url') return t('whyLink', [f.evidence ?? '']);
  return t('whyHashtag', [f.evidence ?? '']);
}

type Child = Node | string;

/** An element with its attributes and children; a string child becomes text, never markup. */
function el(
  doc: Document,
  tag: string,
  attributes: Record<string, string> | null,
  children: readonly Child[],
): HTMLElement {
  const e = doc.createElement(tag);
  if (attributes) for (const [name, value] of Object.entries(attributes)) e.setAttribute(name, value);
  for (const c of children) e.appendChild(typeof c === 'string' ? doc.createTextNode(c) : c);
  return e;
}

/** Nodes that look the same, so that swapping one set for the other would change nothing. */
function sameNodes(a: readonly Node[], b: readonly Node[]): boolean {
  return a.length === b.length && a.every((n, i) => n.isEqualNode(b[i] ?? null));
}

/**
 * Gives `shown` the children of `fresh`, a new drawing of it, unless nothing differs: a live region
 * redrawn with the same text must not be read out again.
 */
function refill(shown: Element, fresh: Element): void {
  if (!fresh.isEqualNode(shown)) shown.replaceChildren(...fresh.childNodes);
}

function entryWhy(
  doc: Document,
  options: WarningOptions,
  group: EntryGroup,
  details: EntryDetails | undefined,
): HTMLElement {
  const { t, lang } = options;
  const items: HTMLElement[] = [];
  const item = (term: string, value: Child, valueClass?: string) =>
    items.push(
      el(doc, 'dt', null, [term]),
      el(doc, 'dd', valueClass ? { class: valueClass } : null, [value]),
    );
  if (details) item(t('whyListLabel'), t('whyListValue', [details.publisher.name, details.listVersion]));
  item(t('whyEntryLabel'), details ? t('whyEntryValue', [details.title[lang], details.date]) : group.entry);
  item(
    t('whyFoundLabel'),
    el(
      doc,
      'ul',
      null,
      group.findings.map((f) => el(doc, 'li', null, [describeFinding(t, f)])),
    ),
  );
  if (details) {
    // The full warning already leads the blocking notice; the compact one leaves it for here.
    if (options.researchMode)
      item(t('whyWarningLabel', [details.authority]), details.warning[lang], 'lw-text');
    item(t('whyLegalLabel'), details.legalNotice[lang], 'lw-text');
  }
  return el(doc, 'div', { class: 'lw-entry' }, [
    el(doc, 'dl', null, items),
    el(doc, 'p', { class: 'lw-caution' }, [
      t(details?.mayIncludeForgeries ? 'whyForgeriesLikely' : 'whyForgeriesGeneral'),
    ]),
  ]);
}

function disputeLinks(doc: Document, t: Translate, details: readonly EntryDetails[]): HTMLElement[] {
  const byUrl = new Map<string, string>();
  for (const d of details) {
    const href = safeHref(d.publisher.disputeUrl);
    if (href) byUrl.set(href, d.publisher.name);
  }
  const several = byUrl.size > 1;
  return [...byUrl].map(([href, publisher]) =>
    el(doc, 'a', { href, target: '_blank', rel: 'noopener noreferrer' }, [
      several ? t('disputeLinkFor', [publisher]) : t('disputeLink'),
      ' ',
      el(doc, 'span', { class: 'lw-sr' }, [t('opensInNewTab')]),
    ]),
  );
}

const STYLE = `
.lw {
  box-sizing: border-box;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f1a14;
  background: #fff7e6;
  border: 1px solid #9a5b0c;
  border-inline-start: 5px solid #9a5b0c;
  border-radius: 6px;
  padding: 10px 12px;
  text-align: start;
  max-width: 100%;
}
.lw *, .lw *::before, .lw *::after { box-sizing: border-box; }
.lw-summary { margin: 0; }
.lw-brand { color: #7a3e00; }
.lw-source { color: #57534e; }
.lw-text { margin: 6px 0 0; white-space: pre-line; overflow-wrap: anywhere; }
.lw-actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-top: 8px; }
button, a { font: inherit; }
button {
  color: #1f1a14;
  background: #ffffff;
  border: 1px solid #6b4510;
  border-radius: 4px;
  padding: 4px 10px;
  cursor: pointer;
}
button:hover { background: #fdebc8; }
.lw-primary { color: #ffffff; background: #7a3e00; border-color: #7a3e00; }
.lw-primary:hover { background: #5c2e00; }
a { color: #0b4fb3; text-decoration: underline; }
:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.lw-why[hidden] { display: none; }
.lw-why { margin-top: 8px; border-top: 1px solid #e2c48f; padding-top: 6px; }
.lw-entry + .lw-entry { margin-top: 10px; }
dl { margin: 0; }
dt { font-weight: 600; margin-top: 6px; }
dd { margin: 0; }
ul { margin: 0; padding-inline-start: 18px; }
.lw-caution { margin: 8px 0 0; font-style: italic; }
.lw-sr {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.lw-compact { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; padding: 4px 10px; font-size: 13px; }
.lw-compact .lw-summary { flex: 1 1 auto; }
.lw-compact .lw-actions { margin-top: 0; }
.lw-compact button { padding: 1px 8px; }
.lw-compact .lw-why { flex-basis: 100%; }
@media (prefers-color-scheme: dark) {
  .lw { color: #f6ecdc; background: #2a1f10; border-color: #e0a040; }
  .lw-brand { color: #ffc766; }
  button { color: #f6ecdc; background: #3a2c17; border-color: #e0a040; }
  button:hover { background: #4a3920; }
  .lw-primary { color: #1f1a14; background: #ffc766; border-color: #ffc766; }
  .lw-primary:hover { background: #ffd88f; }
  a { color: #9cc2ff; }
  :focus-visible { outline-color: #9cc2ff; }
  .lw-why { border-top-color: #6b5330; }
}
`;

/** The "Why?" panel: ids need only be unique inside their shadow root. */
const WHY_ID = 'lw-why';
/** Looks kept for copying: a page shows a few leaks at most. */
const MAX_DRAWINGS = 32;

export function createWarningMounter(options: WarningOptions): MountWarning {
  const { t, lang, researchMode, loadDetails } = options;
  const timed = options.timed ?? ((work: () => void) => work());
  /**
   * Warnings drawn before, by look (see below): a copy is one native call, where drawing a warning
   * again takes a few dozen calls from JS that is cold on every page.
   */
  const drawings = new Map<string, DocumentFragment>();
  /** Details by identity: two looks with different details for one entry differ. */
  const detailsIds = new WeakMap<EntryDetails, number>();
  let detailsCount = 0;
  const detailsId = (d: EntryDetails): number => {
    let id = detailsIds.get(d);
    if (id === undefined) {
      id = ++detailsCount;
      detailsIds.set(d, id);
    }
    return id;
  };
  return (host, block, findings, placement): WarningView => {
    const doc = host.ownerDocument;
    const win = doc.defaultView ?? window;
    const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
    const blur = researchMode ? null : blurOf(block);
    let groups = groupByEntry(findings);
    /** Details of this warning's entries, past and present, as they became known. */
    const details = new Map<string, EntryDetails>();
    let open = false;
    let revealed = false;
    let removed = false;
    /** Bumped per request for details: only the answer to the latest one is drawn. */
    let asked = 0;

    const known = () => groups.flatMap((g) => details.get(refKey(g)) ?? []);
    const summaryOf = () =>
      el(doc, 'div', { class: 'lw-summary', role: 'status', 'aria-live': 'polite' }, [
        el(doc, 'strong', { class: 'lw-brand' }, [t('warningBrand')]),
        ' ',
        ...groups.map((g) =>
          el(doc, 'span', { class: 'lw-headline' }, [
            headline(
              t,
              placement.isPost,
              strongestKind(g.findings),
              details.get(refKey(g))?.title[lang] ?? g.entry,
            ),
            ' ',
          ]),
        ),
        ...(researchMode
          ? []
          : known().map((d) =>
              el(doc, 'p', { class: 'lw-text' }, [
                d.warning[lang],
                ' ',
                el(doc, 'span', { class: 'lw-source' }, [`— ${d.authority}`]),
              ]),
            )),
      ]);
    const panelOf = () =>
      el(
        doc,
        'div',
        open ? { id: WHY_ID, class: 'lw-why' } : { id: WHY_ID, class: 'lw-why', hidden: '' },
        // Drawn when opened: most warnings are never opened, and this is half of each one's nodes.
        open ? groups.map((g) => entryWhy(doc, options, g, details.get(refKey(g)))) : [],
      );

    // The parts that change after the warning is drawn; build() makes them anew.
    let summary: HTMLElement;
    let actions: HTMLElement;
    let whyButton: HTMLElement;
    let revealButton: HTMLElement | null;
    let links: HTMLElement[];
    let panel: HTMLElement;

    const toggleWhy = () =>
      change(() => {
        open = !open;
        whyButton.setAttribute('aria-expanded', String(open));
        const fresh = panelOf();
        panel.toggleAttribute('hidden', !open);
        panel.replaceChildren(...fresh.childNodes);
      });
    const toggleReveal = (event: MouseEvent) => {
      // A page script can click this button too (the root is open); only the reader's click counts.
      if (event.isTrusted === false || !blur) return;
      timed(() =>
        change(() => {
          revealed = !revealed;
          if (revealed) blur.lift();
          else blur.apply();
          if (revealButton) revealButton.textContent = t(revealed ? 'hideAgainButton' : 'showAnywayButton');
        }),
      );
    };

    /** The whole warning as it looks now, with its style; build() relies on where the parts are. */
    const drawn = () => {
      const tree = doc.createDocumentFragment();
      tree.append(
        el(doc, 'style', null, [STYLE]),
        el(doc, 'div', { class: researchMode ? 'lw lw-compact' : 'lw', lang, dir: 'ltr' }, [
          summaryOf(),
          el(doc, 'div', { class: 'lw-actions' }, [
            el(doc, 'button', { type: 'button', 'aria-expanded': String(open), 'aria-controls': WHY_ID }, [
              t('whyButton'),
            ]),
            ...(blur
              ? [
                  el(doc, 'button', { type: 'button', class: 'lw-primary' }, [
                    t(revealed ? 'hideAgainButton' : 'showAnywayButton'),
                  ]),
                ]
              : []),
            ...disputeLinks(doc, t, known()),
          ]),
          panelOf(),
        ]),
      );
      return tree;
    };
    /**
     * What the drawing depends on, when it can be copied: with "Why?" closed (nearly always), a
     * warning looks like every other one for the same entries, seen the same way.
     */
    const look = () =>
      open
        ? null
        : [
            placement.isPost,
            revealed,
            ...groups.map((g) => {
              const d = details.get(refKey(g));
              return `${refKey(g)}\u0001${strongestKind(g.findings)}\u0001${d ? detailsId(d) : ''}`;
            }),
          ].join('\u0002');

    /** A fresh tree: after the page changed ours, the parts held above may be gone. */
    const build = () => {
      const key = look();
      let tree = key === null ? undefined : (drawings.get(key)?.cloneNode(true) as DocumentFragment);
      if (!tree) {
        tree = drawn();
        if (key !== null) {
          if (drawings.size >= MAX_DRAWINGS) drawings.clear();
          drawings.set(key, tree.cloneNode(true) as DocumentFragment);
        }
      }
      // The parts, found where drawn() puts them, in a drawing or a copy.
      const warning = tree.lastElementChild as HTMLElement;
      summary = warning.firstElementChild as HTMLElement;
      actions = summary.nextElementSibling as HTMLElement;
      panel = actions.nextElementSibling as HTMLElement;
      whyButton = actions.firstElementChild as HTMLElement;
      revealButton = blur ? (whyButton.nextElementSibling as HTMLElement) : null;
      links = [...actions.children].slice(blur ? 2 : 1) as HTMLElement[];
      whyButton.addEventListener('click', () => timed(toggleWhy));
      revealButton?.addEventListener('click', toggleReveal);
      root.replaceChildren(tree);
    };
    /** Draws what changed since build(): details arrived, or the block now holds other findings. */
    const refresh = () => {
      refill(summary, summaryOf());
      const fresh = disputeLinks(doc, t, known());
      if (!sameNodes(links, fresh)) {
        for (const a of links) a.remove();
        actions.append(...fresh);
        links = fresh;
      }
      if (open) refill(panel, panelOf());
    };
    /** Details at hand now; the missing ones are asked for and drawn when they come. */
    const want = () => {
      for (const d of loadDetails.peek?.(groups) ?? []) details.set(refKey(d), d);
      if (groups.every((g) => details.has(refKey(g)))) return;
      const ticket = ++asked;
      loadDetails(groups).then((found) => {
        if (removed || ticket !== asked) return;
        timed(() =>
          change(() => {
            for (const d of found) details.set(refKey(d), d);
            refresh();
          }),
        );
      });
    };

    // The root's guard sees only others' changes (see change); the blur's compares with what the
    // blur should be, since "Show anyway" changes the block too.
    let redraw = false;
    let heals = 0;
    let lastHeal = 0;
    let healTimer: number | null = null;
    const guard = new win.MutationObserver(() => {
      redraw = true;
      heal();
    });
    const blurGuard = new win.MutationObserver(() => {
      if (blur?.tampered()) heal();
    });
    /** The warning's own changes, kept from its guard; what the page changed before them is still undone. */
    const change = (work: () => void) => {
      const theirs = guard.takeRecords().length > 0;
      work();
      guard.takeRecords();
      if (theirs) {
        redraw = true;
        heal();
      }
    };
    /** Undoes what the page changed; an attack repeated many times is undone later and later. */
    const heal = () => {
      if (healTimer !== null) return;
      const now = win.performance.now();
      if (now - lastHeal > 10_000) heals = 0;
      heals++;
      lastHeal = now;
      const undo = () => {
        healTimer = null;
        if (removed) return;
        if (redraw || guard.takeRecords().length > 0) build();
        redraw = false;
        if (blur?.tampered()) blur.apply();
        guard.takeRecords();
        blurGuard.takeRecords();
      };
      const delay = restoreDelay(heals);
      if (delay === 0) undo();
      else healTimer = win.setTimeout(undo, delay);
    };

    want();
    build();
    blur?.apply();
    guard.observe(root, { childList: true, subtree: true, characterData: true, attributes: true });
    blurGuard.observe(block, { attributes: true, attributeFilter: ['style', 'inert'] });
    return {
      update(next) {
        change(() => {
          groups = groupByEntry(next);
          want();
          refresh();
        });
      },
      remove() {
        removed = true;
        guard.disconnect();
        blurGuard.disconnect();
        if (healTimer !== null) win.clearTimeout(healTimer);
        root.replaceChildren();
        blur?.lift();
      },
    };
  };
}
