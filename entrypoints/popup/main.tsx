import { render } from 'preact';
import { browser } from 'wxt/browser';
import { Popup } from '../../components/Popup';
import { pickLang, sendToBackground as send, translate as t } from '../../components/shared';
import './style.css';

/** The popup shows the active tab; opened as a page (tests, screenshots) it may name one: ?tabId=N. */
async function activeTabId(): Promise<number | null> {
  const named = Number(new URLSearchParams(location.search).get('tabId'));
  if (Number.isInteger(named) && named > 0) return named;
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}

async function mount(): Promise<void> {
  const locale = navigator.language;
  const lang = pickLang(locale);
  document.documentElement.lang = lang;
  document.title = t('extName');
  const app = document.getElementById('app');
  if (!app) return;
  render(
    <Popup
      send={send}
      tabId={await activeTabId()}
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
