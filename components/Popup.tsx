import type { ComponentChild } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { OptionsState, PopupState, SubscriptionView, TabFindingView } from '../lib/messages';
import { type ContextState, contextStatus, formatDuration, formatInstant } from '../utils/blackout';
import type { ListContext, ListEntry } from '../utils/list-schema';
import type { Lang, SendRequest, Translate } from './shared';

export interface PopupProps {
  send: SendRequest;
  /** The active tab; null when there is none the extension may look at. */
  tabId: number | null;
  t: Translate;
  lang: Lang;
  /** BCP 47 locale for dates (navigator.language). */
  locale: string;
  now: () => number;
  openOptions: () => void;
  /**
   * Host access for the tab, where the browser lets users withhold it: without it the content
   * script never runs, so the popup is the one place that can say scanning is off.
   */
  access?: PopupAccess;
}

export interface PopupAccess {
  /** Whether the content script may run on the tab. */
  allowed: () => Promise<boolean>;
  /** Asks for access to all sites (from the click itself: no await before the browser's request). */
  request: () => Promise<boolean>;
}

type Load =
  | { status: 'loading' }
  | { status: 'failed'; error: string }
  | { status: 'ready'; state: PopupState };

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function formatTime(ms: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

interface FindingGroup {
  listId: string;
  entry: string;
  findings: TabFindingView[];
  details?: PopupState['entries'][number];
}

function groupFindings(state: PopupState): FindingGroup[] {
  const groups = new Map<string, FindingGroup>();
  for (const f of state.findings) {
    const key = `${f.listId}\u0000${f.entry}`;
    const group = groups.get(key) ?? {
      listId: f.listId,
      entry: f.entry,
      findings: [],
      details: state.entries.find((e) => e.listId === f.listId && e.entry.id === f.entry),
    };
    group.findings.push(f);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function describeFinding(t: Translate, f: TabFindingView): string {
  if (f.kind === 'fingerprint') return t('whyPassages', [f.strength.matched, f.strength.total]);
  if (f.kind === 'url') return t('whyLink', [f.evidence ?? '']);
  return t('whyHashtag', [f.evidence ?? '']);
}

function EntryCard({ group, t, lang }: { group: FindingGroup; t: Translate; lang: Lang }) {
  const entry: ListEntry | undefined = group.details?.entry;
  return (
    <article class="card card-warn">
      <h3>{entry ? entry.title[lang] : group.entry}</h3>
      <ul class="facts">
        {group.findings.map((f) => (
          <li key={`${f.kind}:${f.evidence ?? ''}`}>{describeFinding(t, f)}</li>
        ))}
      </ul>
      {entry && (
        <>
          <p class="quote">
            <strong>{t('whyWarningLabel', [entry.authority])}</strong>
            <br />
            {entry.warning[lang]}
          </p>
          <details>
            <summary>{t('whyLegalLabel')}</summary>
            <p class="long">{entry.legalNotice[lang]}</p>
          </details>
          {entry.mayIncludeForgeries && <p class="caution">{t('whyForgeriesLikely')}</p>}
          {group.details?.publisher && (
            <p class="muted">{t('popupEntrySource', [group.details.publisher.publisher.name, entry.date])}</p>
          )}
        </>
      )}
    </article>
  );
}

function PageSection({
  state,
  t,
  lang,
  accessOff,
}: {
  state: PopupState;
  t: Translate;
  lang: Lang;
  /** The button asking for access, when the browser withholds it; null when scanning may run. */
  accessOff: ComponentChild | null;
}) {
  const groups = groupFindings(state);
  let status: ComponentChild;
  if (accessOff)
    status = (
      <>
        <p class="state state-warn">{t('popupAccessOff')}</p>
        {accessOff}
      </>
    );
  else if (state.paused) status = <p class="state state-paused">{t('popupPausedHere')}</p>;
  else if (groups.length === 0) status = <p class="state state-ok">{t('popupNothingFound')}</p>;
  else status = <p class="state state-warn">{t('popupFlaggedCount', [state.flaggedBlocks])}</p>;
  return (
    <section aria-labelledby="page-heading">
      <h2 id="page-heading">{t('popupPageHeading')}</h2>
      {status}
      {groups.map((g) => (
        <EntryCard key={`${g.listId}:${g.entry}`} group={g} t={t} lang={lang} />
      ))}
    </section>
  );
}

const STATE_ORDER: Record<ContextState, number> = { active: 0, upcoming: 1, over: 2 };
const STATE_LABEL = { active: 'contextActive', upcoming: 'contextUpcoming', over: 'contextOver' } as const;

function ContextCard({ ctx, props }: { ctx: ListContext; props: PopupProps }) {
  const { t, lang, locale } = props;
  const s = contextStatus(ctx, props.now());
  const at = (ms: number) => formatInstant(ms, locale, ctx.timeZone);
  let when: string;
  if (s.state === 'active') when = t('contextUntil', [at(s.end), formatDuration(s.msUntilEnd ?? 0, locale)]);
  else if (s.state === 'upcoming')
    when = t('contextStarts', [formatDuration(s.msUntilStart ?? 0, locale), at(s.start)]);
  else when = t('contextEnded', [at(s.end)]);
  return (
    <article class={`card card-${s.state}`}>
      <h3>
        {ctx.election[lang]} <span class="muted">({ctx.jurisdiction})</span>
      </h3>
      <p>
        <span class={`badge badge-${s.state}`}>{t(STATE_LABEL[s.state])}</span> {when}
      </p>
      <p class="long">{ctx.text[lang]}</p>
      <details>
        <summary>{t('contextLegalBasis')}</summary>
        <p class="long">{ctx.legalBasis[lang]}</p>
      </details>
    </article>
  );
}

function ContextSection({ state, props }: { state: PopupState; props: PopupProps }) {
  const now = props.now();
  const contexts = [...state.contexts].sort(
    (a, b) =>
      STATE_ORDER[contextStatus(a, now).state] - STATE_ORDER[contextStatus(b, now).state] ||
      Date.parse(a.start) - Date.parse(b.start),
  );
  return (
    <section aria-labelledby="context-heading">
      <h2 id="context-heading">{props.t('contextHeading')}</h2>
      {contexts.length === 0 && <p class="muted">{props.t('contextNone')}</p>}
      {contexts.map((c) => (
        <ContextCard key={c.id} ctx={c} props={props} />
      ))}
    </section>
  );
}

function ListCard({ sub, t, locale }: { sub: SubscriptionView; t: Translate; locale: string }) {
  const a = sub.active;
  return (
    <article class={`card ${sub.expired || sub.lastError ? 'card-warn' : ''}`}>
      <h3>{a ? a.publisher.name : sub.url}</h3>
      {a ? (
        <dl class="grid">
          <dt>{t('listVersion')}</dt>
          <dd>{a.version}</dd>
          <dt>{t('listKey')}</dt>
          <dd>
            <code>{a.keyId}</code>
          </dd>
          <dt>{t('listUpdated')}</dt>
          <dd>{sub.lastSuccess ? formatTime(sub.lastSuccess, locale) : t('listNever')}</dd>
          <dt>{t('listExpires')}</dt>
          <dd>{formatTime(Date.parse(a.expiresAt), locale)}</dd>
        </dl>
      ) : (
        <p class="state state-warn">{t('listNotLoaded')}</p>
      )}
      {sub.expired && <p class="state state-warn">{t('listExpired')}</p>}
      {!sub.expired && sub.stale && <p class="state state-note">{t('listStale')}</p>}
      {sub.lastError && <p class="state state-warn">{t('listLastError', [sub.lastError])}</p>}
    </article>
  );
}

export function Popup(props: PopupProps) {
  const { send, tabId, t, lang, locale } = props;
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [busy, setBusy] = useState<'pause' | 'update' | 'access' | null>(null);
  const [allowed, setAllowed] = useState(true);
  const [notice, setNotice] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    if (tabId === null) {
      setLoad({ status: 'failed', error: t('popupNoTab') });
      return;
    }
    try {
      const [state, mayScan] = await Promise.all([
        send<PopupState>({ type: 'popup-state', tabId }),
        props.access?.allowed() ?? true,
      ]);
      setAllowed(mayScan);
      setLoad({ status: 'ready', state });
    } catch (error) {
      setLoad({ status: 'failed', error: message(error) });
    }
  }, [send, tabId, t, props.access]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const act = async <T,>(
    kind: 'pause' | 'update' | 'access',
    run: () => Promise<T>,
    done: (result: T) => string,
  ) => {
    setBusy(kind);
    setNotice(null);
    try {
      setNotice(done(await run()));
    } catch (error) {
      setNotice(t('popupActionFailed', [message(error)]));
    } finally {
      setBusy(null);
      await refresh();
    }
  };

  const state = load.status === 'ready' ? load.state : null;
  const host = state?.host ?? null;

  return (
    <div class="popup">
      <header>
        <h1>{t('extName')}</h1>
        {host && <p class="muted host">{host}</p>}
      </header>
      {load.status === 'loading' && <p aria-busy="true">{t('loading')}</p>}
      {load.status === 'failed' && (
        <p class="state state-warn" role="alert">
          {load.error}
        </p>
      )}
      {state && (
        <main>
          <PageSection
            state={state}
            t={t}
            lang={lang}
            accessOff={
              allowed || !props.access ? null : (
                <button
                  type="button"
                  disabled={busy !== null}
                  onClick={() => {
                    const request = props.access?.request() ?? Promise.resolve(false);
                    void act(
                      'access',
                      () => request,
                      (granted) => (granted ? t('popupAccessGranted') : t('accessRefused')),
                    );
                  }}
                >
                  {t('accessGrant')}
                </button>
              )
            }
          />
          <ContextSection state={state} props={props} />
          <section aria-labelledby="lists-heading">
            <h2 id="lists-heading">{t('listsHeading')}</h2>
            {state.subscriptions.length === 0 && <p class="state state-warn">{t('listsNone')}</p>}
            {state.subscriptions.map((s) => (
              <ListCard key={s.id} sub={s} t={t} locale={locale} />
            ))}
          </section>
        </main>
      )}
      <footer>
        <p class="notice" role="status">
          {notice}
        </p>
        <div class="actions">
          {state && host && (
            <button
              type="button"
              aria-pressed={state.paused}
              disabled={busy !== null}
              onClick={() =>
                act(
                  'pause',
                  () => send({ type: 'set-site-paused', host, paused: !state.paused }),
                  () => (state.paused ? t('popupResumed') : t('popupPaused')),
                )
              }
            >
              {t('popupPauseSite')}
            </button>
          )}
          <button
            type="button"
            disabled={busy !== null}
            onClick={() =>
              act(
                'update',
                () => send<OptionsState>({ type: 'update-now' }),
                (result) =>
                  result.subscriptions.some((s) => s.lastError) ? t('popupUpdateFailed') : t('popupUpdated'),
              )
            }
          >
            {busy === 'update' ? t('popupUpdating') : t('popupUpdateNow')}
          </button>
          <button type="button" onClick={props.openOptions}>
            {t('popupOptions')}
          </button>
        </div>
      </footer>
    </div>
  );
}
