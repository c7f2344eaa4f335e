import { options as preactOptions, render } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import { type MountWarning, restoreDelay, type WarningView } from '../lib/content-scanner';
import type { EntryDetails, EntryDetailsReply } from '../lib/messages';
import type { Finding, FindingKind } from '../utils/matcher';
import { type Lang, type SendRequest, safeHref, type Translate } from './shared';

/**
 * The warning put before a flagged block, rendered in a shadow root so that page styles neither
 * break it nor read it. Content scripts have no customElements, so the host is a plain unknown
 * element. Every list string is rendered as text by Preact, never as markup.
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
   * Runs work that warnings do on their own, later (Preact's deferred redraws: details arrived,
   * "Why?" opened), so that it is timed like the rest of the extension (ContentScanner.timed).
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
      known.set(refKey(d), d);
      cache.set(refKey(d), Promise.resolve(d));
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

interface WarningProps {
  findings: readonly Finding[];
  isPost: boolean;
  options: WarningOptions;
  blur: Blur | null;
}

function useDetails(load: LoadDetails, groups: readonly EntryGroup[]): Map<string, EntryDetails> {
  const [details, setDetails] = useState(
    () => new Map((load.peek?.(groups) ?? []).map((d) => [refKey(d), d] as const)),
  );
  const wanted = groups.map(refKey).join('\u0001');
  // `wanted` stands for `groups`, a new array on every render.
  useEffect(() => {
    if (groups.every((g) => details.has(refKey(g)))) return;
    let current = true;
    load(groups).then((found) => {
      if (current) setDetails(new Map(found.map((d) => [refKey(d), d])));
    });
    return () => {
      current = false;
    };
  }, [load, wanted]);
  return details;
}

function EntryWhy({
  group,
  details,
  options,
}: {
  group: EntryGroup;
  details?: EntryDetails;
  options: WarningOptions;
}) {
  const { t, lang } = options;
  return (
    <div class="lw-entry">
      <dl>
        {details && (
          <>
            <dt>{t('whyListLabel')}</dt>
            <dd>{t('whyListValue', [details.publisher.name, details.listVersion])}</dd>
          </>
        )}
        <dt>{t('whyEntryLabel')}</dt>
        <dd>{details ? t('whyEntryValue', [details.title[lang], details.date]) : group.entry}</dd>
        <dt>{t('whyFoundLabel')}</dt>
        <dd>
          <ul>
            {group.findings.map((f) => (
              <li key={`${f.kind}:${f.evidence ?? ''}`}>{describeFinding(t, f)}</li>
            ))}
          </ul>
        </dd>
        {details && (
          <>
            {/* The full warning already leads the blocking notice; the compact one leaves it for here. */}
            {options.researchMode && (
              <>
                <dt>{t('whyWarningLabel', [details.authority])}</dt>
                <dd class="lw-text">{details.warning[lang]}</dd>
              </>
            )}
            <dt>{t('whyLegalLabel')}</dt>
            <dd class="lw-text">{details.legalNotice[lang]}</dd>
          </>
        )}
      </dl>
      <p class="lw-caution">
        {t(details?.mayIncludeForgeries ? 'whyForgeriesLikely' : 'whyForgeriesGeneral')}
      </p>
    </div>
  );
}

function DisputeLinks({ details, t }: { details: EntryDetails[]; t: Translate }) {
  const byUrl = new Map<string, string>();
  for (const d of details) {
    const href = safeHref(d.publisher.disputeUrl);
    if (href) byUrl.set(href, d.publisher.name);
  }
  const several = byUrl.size > 1;
  return (
    <>
      {[...byUrl].map(([href, publisher]) => (
        <a key={href} href={href} target="_blank" rel="noopener noreferrer">
          {several ? t('disputeLinkFor', [publisher]) : t('disputeLink')}{' '}
          <span class="lw-sr">{t('opensInNewTab')}</span>
        </a>
      ))}
    </>
  );
}

function Warning({ findings, isPost, options, blur }: WarningProps) {
  const { t, lang, researchMode } = options;
  const groups = groupByEntry(findings);
  const details = useDetails(options.loadDetails, groups);
  const [open, setOpen] = useState(false);
  const [revealed, setRevealed] = useState(false);
  const whyId = useId();
  const known = groups.map((g) => details.get(refKey(g))).filter((d): d is EntryDetails => d !== undefined);

  const toggleReveal = (event: MouseEvent) => {
    // A page script can click this button too (the root is open); only the reader's click counts.
    if (event.isTrusted === false) return;
    if (revealed) blur?.apply();
    else blur?.lift();
    setRevealed(!revealed);
  };

  return (
    <div class={researchMode ? 'lw lw-compact' : 'lw'} lang={lang} dir="ltr">
      <div class="lw-summary" role="status" aria-live="polite">
        <strong class="lw-brand">{t('warningBrand')}</strong>{' '}
        {groups.map((g) => (
          <span key={refKey(g)} class="lw-headline">
            {headline(
              t,
              isPost,
              strongestKind(g.findings),
              details.get(refKey(g))?.title[lang] ?? g.entry,
            )}{' '}
          </span>
        ))}
        {!researchMode &&
          known.map((d) => (
            <p key={refKey(d)} class="lw-text">
              {d.warning[lang]} <span class="lw-source">— {d.authority}</span>
            </p>
          ))}
      </div>
      <div class="lw-actions">
        <button type="button" aria-expanded={open} aria-controls={whyId} onClick={() => setOpen(!open)}>
          {t('whyButton')}
        </button>
        {blur && (
          <button type="button" class="lw-primary" onClick={toggleReveal}>
            {revealed ? t('hideAgainButton') : t('showAnywayButton')}
          </button>
        )}
        <DisputeLinks details={known} t={t} />
      </div>
      <div id={whyId} class="lw-why" hidden={!open}>
        {/* Drawn when opened: most warnings are never opened, and this is half of each one's nodes. */}
        {open &&
          groups.map((g) => (
            <EntryWhy key={refKey(g)} group={g} details={details.get(refKey(g))} options={options} />
          ))}
      </div>
    </div>
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

/** Tamper guards of the mounted warnings: records of the warnings' own renders are dropped from them. */
const guards = new Set<MutationObserver>();
let rendersHooked = false;
/** WarningOptions.timed of the mounter: a content script has one. */
let timedRenders: (work: () => void) => void = (work) => work();

/**
 * Preact re-renders a warning on its own (details arrived, "Why?" toggled); once a Warning has been
 * diffed, the records of its changes are taken from the guards, so that a guard only ever sees
 * changes made by someone else.
 */
function hookRenders(): void {
  if (rendersHooked) return;
  rendersHooked = true;
  const previous = preactOptions.diffed;
  preactOptions.diffed = (vnode) => {
    previous?.(vnode);
    if (vnode.type === Warning) for (const g of guards) g.takeRecords();
  };
}

/**
 * Preact's own scheduling, with the work timed: redraws in a microtask, effects (asking for the
 * details) after the next frame or 35 ms, whichever comes first.
 */
function timeDeferredWork(): void {
  preactOptions.debounceRendering = (redraw) => queueMicrotask(() => timedRenders(redraw));
  preactOptions.requestAnimationFrame = (effects) => {
    const done = () => {
      clearTimeout(timeout);
      cancelAnimationFrame(frame);
      setTimeout(() => timedRenders(effects));
    };
    const timeout = setTimeout(done, 35);
    const frame = requestAnimationFrame(done);
  };
}

export function createWarningMounter(options: WarningOptions): MountWarning {
  hookRenders();
  if (options.timed) {
    timedRenders = options.timed;
    timeDeferredWork();
  }
  return (host, block, findings, placement): WarningView => {
    const doc = host.ownerDocument;
    const win = doc.defaultView ?? window;
    const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
    const blur = options.researchMode ? null : blurOf(block);
    let current = findings;
    let container = doc.createElement('div');
    let heals = 0;
    let lastHeal = 0;
    let healTimer: number | null = null;

    const draw = () =>
      render(
        <Warning findings={current} isPost={placement.isPost} options={options} blur={blur} />,
        container,
      );
    /** A fresh tree: after the page changed ours, Preact's idea of the old one is wrong. */
    const build = () => {
      render(null, container);
      const style = doc.createElement('style');
      style.textContent = STYLE;
      container = doc.createElement('div');
      root.replaceChildren(style, container);
      draw();
    };

    // The root's guard sees only others' changes (see hookRenders); the blur's compares with what
    // the blur should be, since "Show anyway" changes the block too.
    let redraw = false;
    const guard = new win.MutationObserver(() => {
      redraw = true;
      heal();
    });
    const blurGuard = new win.MutationObserver(() => {
      if (blur?.tampered()) heal();
    });
    /** Undoes what the page changed; an attack repeated many times is undone later and later. */
    const heal = () => {
      if (healTimer !== null) return;
      const now = win.performance.now();
      if (now - lastHeal > 10_000) heals = 0;
      heals++;
      lastHeal = now;
      const undo = () => {
        healTimer = null;
        if (!guards.has(guard)) return;
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

    build();
    blur?.apply();
    guard.observe(root, { childList: true, subtree: true, characterData: true, attributes: true });
    blurGuard.observe(block, { attributes: true, attributeFilter: ['style', 'inert'] });
    guards.add(guard);
    return {
      update(next) {
        current = next;
        draw();
        guard.takeRecords();
      },
      remove() {
        guards.delete(guard);
        guard.disconnect();
        blurGuard.disconnect();
        if (healTimer !== null) win.clearTimeout(healTimer);
        render(null, container);
        blur?.lift();
      },
    };
  };
}
