import type { ComponentChild } from 'preact';
import { useCallback, useEffect, useId, useState } from 'preact/hooks';
import { logToCsv } from '../lib/csv';
import type { LogRecord, OptionsState, SubscriptionView } from '../lib/messages';
import { parsePublicKey } from '../utils/ed25519';
import type { MessageKey, SendRequest, Translate } from './shared';

export type SaveFile = (name: string, type: string, content: string) => void;

export interface OptionsProps {
  send: SendRequest;
  t: Translate;
  /** BCP 47 locale for dates (navigator.language). */
  locale: string;
  saveFile: SaveFile;
  now: () => number;
  /**
   * Asks the browser for permission to download from the list's origin. It must run inside the
   * click that adds the list: browsers only show the prompt for a user gesture.
   */
  requestAccess: (url: string) => Promise<boolean>;
}

/** Offers `content` as a download; the file never leaves the reader's machine. */
export function blobDownload(doc: Document): SaveFile {
  return (name, type, content) => {
    const url = URL.createObjectURL(new Blob([content], { type }));
    const a = doc.createElement('a');
    a.href = url;
    a.download = name;
    doc.body.append(a);
    a.click();
    a.remove();
    // The download has started by now; revoking later frees the blob without cutting it short.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function formatTime(ms: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

/** Lists are fetched by the service worker; plain http would let anyone on the path freeze them. */
function urlProblem(text: string): MessageKey | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return 'optionsUrlInvalid';
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && local)) return null;
  return 'optionsUrlNotHttps';
}

function keyProblem(text: string): MessageKey | null {
  try {
    parsePublicKey(text);
    return null;
  } catch {
    return 'optionsKeyInvalid';
  }
}

const ORIGIN_LABEL = {
  bundled: 'originBundled',
  build: 'originBuild',
  user: 'originUser',
  managed: 'originManaged',
} as const satisfies Record<SubscriptionView['origin'], MessageKey>;

function SubscriptionRow({
  sub,
  t,
  locale,
  onRemove,
}: {
  sub: SubscriptionView;
  t: Translate;
  locale: string;
  onRemove: (sub: SubscriptionView) => void;
}) {
  const a = sub.active;
  let status: ComponentChild;
  if (sub.expired) status = <span class="badge badge-bad">{t('listExpired')}</span>;
  else if (!a) status = <span class="badge badge-bad">{t('listNotLoaded')}</span>;
  else if (sub.lastError) status = <span class="badge badge-warn">{t('listUpdateFailed')}</span>;
  else if (sub.stale) status = <span class="badge badge-warn">{t('listStale')}</span>;
  else status = <span class="badge badge-ok">{t('listUpToDate')}</span>;
  return (
    <li class="card">
      <div class="card-head">
        <h3>{a ? a.publisher.name : sub.url}</h3>
        {status}
      </div>
      <dl class="grid">
        <dt>{t('optionsListUrl')}</dt>
        <dd class="wrap">{sub.url}</dd>
        <dt>{t('optionsOrigin')}</dt>
        <dd>{t(ORIGIN_LABEL[sub.origin])}</dd>
        {a && (
          <>
            <dt>{t('listVersion')}</dt>
            <dd>{a.version}</dd>
            <dt>{t('optionsEntries')}</dt>
            <dd>{a.entries}</dd>
          </>
        )}
        {sub.keyIds.length > 0 && (
          <>
            <dt>{t('optionsKeyIds')}</dt>
            <dd>
              {sub.keyIds.map((k) => (
                <code key={k} class={a?.keyId === k ? 'key key-active' : 'key'}>
                  {k}
                </code>
              ))}
            </dd>
          </>
        )}
        <dt>{t('listUpdated')}</dt>
        <dd>{sub.lastSuccess ? formatTime(sub.lastSuccess, locale) : t('listNever')}</dd>
        {sub.nextSync && (
          <>
            <dt>{t('optionsNextSync')}</dt>
            <dd>{formatTime(sub.nextSync, locale)}</dd>
          </>
        )}
      </dl>
      {sub.lastError && <p class="error">{t('listLastError', [sub.lastError])}</p>}
      {sub.origin === 'user' ? (
        <button type="button" onClick={() => onRemove(sub)}>
          {t('optionsRemoveList', [a ? a.publisher.name : sub.url])}
        </button>
      ) : (
        <p class="muted">{t('optionsNotRemovable')}</p>
      )}
    </li>
  );
}

function AddSubscription({
  send,
  t,
  onAdded,
  requestAccess,
}: {
  send: SendRequest;
  t: Translate;
  onAdded: () => Promise<void>;
  requestAccess: OptionsProps['requestAccess'];
}) {
  const [url, setUrl] = useState('');
  const [key, setKey] = useState('');
  const [errors, setErrors] = useState<{ url?: string; key?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const ids = { url: useId(), key: useId(), urlError: useId(), keyError: useId(), formError: useId() };

  const submit = async (event: Event) => {
    event.preventDefault();
    const urlKey = urlProblem(url);
    const keyKey = keyProblem(key);
    const found = { url: urlKey ? t(urlKey) : undefined, key: keyKey ? t(keyKey) : undefined };
    setErrors(found);
    if (found.url || found.key) return;
    setBusy(true);
    const granted = await requestAccess(url.trim()).catch(() => false);
    if (!granted) {
      setErrors({ form: t('optionsAddFailed', [t('optionsAccessDenied')]) });
      setBusy(false);
      return;
    }
    try {
      await send({ type: 'add-subscription', url: url.trim(), publicKey: key.trim() });
      setUrl('');
      setKey('');
      await onAdded();
    } catch (error) {
      setErrors({ form: t('optionsAddFailed', [message(error)]) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-describedby={errors.form ? ids.formError : undefined}>
      <h3>{t('optionsAddHeading')}</h3>
      <div class="field">
        <label for={ids.url}>{t('optionsListUrl')}</label>
        <input
          id={ids.url}
          type="url"
          inputMode="url"
          autoComplete="off"
          spellcheck={false}
          placeholder="https://"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
          aria-invalid={errors.url ? true : undefined}
          aria-describedby={errors.url ? ids.urlError : undefined}
        />
        {errors.url && (
          <p id={ids.urlError} class="error">
            {errors.url}
          </p>
        )}
      </div>
      <div class="field">
        <label for={ids.key}>{t('optionsPublicKey')}</label>
        <input
          id={ids.key}
          type="text"
          autoComplete="off"
          spellcheck={false}
          placeholder="ed25519:…"
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-invalid={errors.key ? true : undefined}
          aria-describedby={errors.key ? ids.keyError : undefined}
        />
        {errors.key && (
          <p id={ids.keyError} class="error">
            {errors.key}
          </p>
        )}
      </div>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? t('optionsAdding') : t('optionsAdd')}
      </button>
      {errors.form && (
        <p id={ids.formError} class="error" role="alert">
          {errors.form}
        </p>
      )}
    </form>
  );
}

function LogSection({ log, props, onClear }: { log: LogRecord[]; props: OptionsProps; onClear: () => void }) {
  const { t, locale, saveFile } = props;
  const stamp = new Date(props.now()).toISOString().slice(0, 10);
  return (
    <section aria-labelledby="log-heading">
      <h2 id="log-heading">{t('optionsLogHeading')}</h2>
      <p class="muted">{t('optionsLogExplain')}</p>
      <div class="actions">
        <button
          type="button"
          disabled={log.length === 0}
          onClick={() =>
            saveFile(`leakwatch-log-${stamp}.json`, 'application/json', JSON.stringify(log, null, 2))
          }
        >
          {t('optionsExportJson')}
        </button>
        <button
          type="button"
          disabled={log.length === 0}
          onClick={() =>
            saveFile(`leakwatch-log-${stamp}.csv`, 'text/csv;charset=utf-8', `\uFEFF${logToCsv(log)}`)
          }
        >
          {t('optionsExportCsv')}
        </button>
        <button type="button" disabled={log.length === 0} onClick={onClear}>
          {t('optionsClearLog')}
        </button>
      </div>
      {log.length === 0 ? (
        <p>{t('optionsLogEmpty')}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">{t('optionsLogHeading')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('logTime')}</th>
                <th scope="col">{t('logPage')}</th>
                <th scope="col">{t('logEntry')}</th>
                <th scope="col">{t('logKind')}</th>
                <th scope="col">{t('logStrength')}</th>
              </tr>
            </thead>
            <tbody>
              {log.map((r, i) => (
                // Records have no id; the same finding can repeat, so the position is the identity.
                <tr key={i}>
                  <td>{formatTime(r.time, locale)}</td>
                  <td class="wrap">{r.pageUrl}</td>
                  <td>{r.entry}</td>
                  <td>{t(KIND_LABEL[r.kind])}</td>
                  <td>{t('logStrengthValue', [r.matched, r.total])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const KIND_LABEL = {
  hashtag: 'kindHashtag',
  fingerprint: 'kindPassages',
  url: 'kindLink',
} as const satisfies Record<LogRecord['kind'], MessageKey>;

type Load =
  | { status: 'loading' }
  | { status: 'failed'; error: string }
  | { status: 'ready'; state: OptionsState };

export function Options(props: OptionsProps) {
  const { send, t, locale } = props;
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [notice, setNotice] = useState<string | null>(null);
  const researchId = useId();

  const refresh = useCallback(async () => {
    try {
      setLoad({ status: 'ready', state: await send<OptionsState>({ type: 'get-options' }) });
    } catch (error) {
      setLoad({ status: 'failed', error: message(error) });
    }
  }, [send]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  /**
   * Every change goes through the background, then the page shows what the background now holds,
   * and only then says so: a notice announced before the list it speaks of is redrawn describes a
   * page that is not there yet.
   */
  const change = async (run: () => Promise<unknown>, done: string) => {
    let outcome = done;
    try {
      await run();
    } catch (error) {
      outcome = t('optionsActionFailed', [message(error)]);
    }
    await refresh();
    setNotice(outcome);
  };

  if (load.status !== 'ready') {
    return (
      <main class="options">
        <h1>{t('optionsTitle')}</h1>
        {load.status === 'loading' ? (
          <p aria-busy="true">{t('loading')}</p>
        ) : (
          <p class="error" role="alert">
            {load.error}
          </p>
        )}
      </main>
    );
  }
  const state = load.state;

  return (
    <main class="options">
      <h1>{t('optionsTitle')}</h1>
      <p class="notice" role="status">
        {notice}
      </p>

      <section aria-labelledby="subs-heading">
        <h2 id="subs-heading">{t('optionsSubscriptionsHeading')}</h2>
        {state.subscriptions.length === 0 && <p class="error">{t('listsNone')}</p>}
        <ul class="cards">
          {state.subscriptions.map((s) => (
            <SubscriptionRow
              key={s.id}
              sub={s}
              t={t}
              locale={locale}
              onRemove={(sub) =>
                change(
                  () => send({ type: 'remove-subscription', id: sub.id }),
                  t('optionsRemoved', [sub.url]),
                )
              }
            />
          ))}
        </ul>
        <AddSubscription
          send={send}
          t={t}
          requestAccess={props.requestAccess}
          onAdded={async () => {
            await refresh();
            setNotice(t('optionsAdded'));
          }}
        />
      </section>

      <section aria-labelledby="research-heading">
        <h2 id="research-heading">{t('optionsResearchHeading')}</h2>
        <div class="check">
          <input
            id={researchId}
            type="checkbox"
            checked={state.researchMode}
            aria-describedby={`${researchId}-help`}
            onChange={(e) => {
              const on = e.currentTarget.checked;
              void change(
                () => send({ type: 'set-research-mode', on }),
                on ? t('optionsResearchOn') : t('optionsResearchOff'),
              );
            }}
          />
          <label for={researchId}>{t('optionsResearchLabel')}</label>
        </div>
        <p id={`${researchId}-help`} class="muted">
          {t('optionsResearchHelp')}
        </p>
      </section>

      <section aria-labelledby="paused-heading">
        <h2 id="paused-heading">{t('optionsPausedHeading')}</h2>
        {state.pausedSites.length === 0 ? (
          <p>{t('optionsPausedEmpty')}</p>
        ) : (
          <ul class="rows">
            {state.pausedSites.map((host) => (
              <li key={host}>
                <span class="wrap">{host}</span>
                <button
                  type="button"
                  onClick={() =>
                    change(
                      () => send({ type: 'set-site-paused', host, paused: false }),
                      t('optionsResumed', [host]),
                    )
                  }
                >
                  {t('optionsResumeSite', [host])}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>

      <LogSection
        log={state.log}
        props={props}
        onClear={() => change(() => send({ type: 'clear-log' }), t('optionsLogCleared'))}
      />

      <section aria-labelledby="privacy-heading">
        <h2 id="privacy-heading">{t('optionsPrivacyHeading')}</h2>
        <p>{t('optionsPrivacyStores')}</p>
        <p>{t('optionsPrivacyNetwork')}</p>
        <p>{t('optionsPrivacyPages')}</p>
      </section>
    </main>
  );
}
