import { render } from 'preact';
import { browser } from 'wxt/browser';
import { Popup } from '../../components/Popup';
import { pickLang, sendToBackground as send, translate as t } from '../../components/shared';
import './style.css';

async function activeTabId(): Promise<number | null> {
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
