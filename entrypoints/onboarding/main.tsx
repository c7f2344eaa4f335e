import { render } from 'preact';
import { browser } from 'wxt/browser';
import { Onboarding } from '../../components/Onboarding';
import { pickLang, translate as t } from '../../components/shared';
import { hasHostAccess, requestHostAccess } from '../../lib/host-access';
import './style.css';

document.documentElement.lang = pickLang(navigator.language);
document.title = t('onboardingTitle');
const app = document.getElementById('app');
if (app) {
  render(
    <Onboarding
      t={t}
      hasAccess={() => hasHostAccess(browser)}
      requestAccess={() => requestHostAccess(browser)}
      watchAccess={(onChange) => {
        browser.permissions.onAdded.addListener(onChange);
        browser.permissions.onRemoved.addListener(onChange);
        return () => {
          browser.permissions.onAdded.removeListener(onChange);
          browser.permissions.onRemoved.removeListener(onChange);
        };
      }}
    />,
    app,
  );
}
