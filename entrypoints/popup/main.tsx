import { render } from 'preact';
import { browser } from 'wxt/browser';
import { Popup, type PopupAccess } from '../../components/Popup';
import { pickLang, sendToBackground as send, translate as t } from '../../components/shared';
import { mayScanTab, requestHostAccess } from '../../lib/host-access';
import './style.css';

/** The popup shows the active tab; opened as a page (tests, screenshots) it may name one: ?tabId=N. */
async function activeTabId(): Promise<number | null> {
  const named = Number(new URLSearchParams(location.search).get('tabId'));
  if (Number.isInteger(named) && named > 0) return named;
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}

/** Host access for the tab; once granted, the tab is reloaded so that the content script runs on it. */
function tabAccess(tabId: number | null): PopupAccess {
  return {
    allowed: async () => {
      const url = tabId === null ? undefined : (await browser.tabs.get(tabId).catch(() => undefined))?.url;
      return mayScanTab(browser, url);
    },
    request: () =>
      requestHostAccess(browser).then(async (granted) => {
        if (granted && tabId !== null) await browser.tabs.reload(tabId);
        return granted;
      }),
  };
}

async function mount(): Promise<void> {
  const locale = navigator.language;
  const lang = pickLang(locale);
  document.documentElement.lang = lang;
  document.title = t('extName');
  const app = document.getElementById('app');
  if (!app) return;
  const tabId = await activeTabId();
  render(
    <Popup
      send={send}
      tabId={tabId}
      access={tabAccess(tabId)}
      t={t}
      lang={lang}
      locale={locale}
      now={Date.now}
      openOptions={() => {
        void browser.runtime.openOptionsPage().then(() => window.close());
      }}
    />,
    app,
  );
}

void mount();
