import { render } from 'preact';
import { browser } from 'wxt/browser';
import { blobDownload, Options } from '../../components/Options';
import { pickLang, sendToBackground as send, translate as t } from '../../components/shared';
import './style.css';

const locale = navigator.language;
document.documentElement.lang = pickLang(locale);
document.title = t('optionsTitle');
const app = document.getElementById('app');
if (app) {
  const requestAccess = (url: string) =>
    browser.permissions.request({ origins: [`${new URL(url).origin}/*`] });
  render(
    <Options
      send={send}
      t={t}
      locale={locale}
      saveFile={blobDownload(document)}
      now={Date.now}
      requestAccess={requestAccess}
    />,
    app,
  );
}
