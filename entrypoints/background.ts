// Evaluated first (a side-effect import keeps its place): the lists' read starts before the rest.
import '../lib/early-read';
import browser, { type Runtime } from 'webextension-polyfill';
import { defineBackground } from 'wxt/utils/define-background';
import { createBackground } from '../lib/background';
import { earlyDb, earlyLists, earlySettings } from '../lib/early-read';
import { openOnboardingIfNeeded } from '../lib/host-access';
import { openLeakwatchDb } from '../lib/store';
import { buildConfigFromEnv } from '../lib/subscriptions';
import { describeError } from '../utils/errors';

function logFailure(task: Promise<void>): void {
  task.catch((err: unknown) => console.error(`Leakwatch: ${describeError(err)}`));
}

export default defineBackground(() => {
  const background = createBackground({
    browser,
    fetch: (url, init) => fetch(url, init),
    now: () => Date.now(),
    random: () => Math.random(),
    openDb: () => earlyDb.catch(() => openLeakwatchDb()),
    earlyRead: earlyLists,
    earlySettings,
    build: buildConfigFromEnv({
      listUrl: import.meta.env.WXT_LEAKWATCH_LIST_URL,
      publicKeys: import.meta.env.WXT_LEAKWATCH_PUBKEYS,
    }),
  });

  // MV3 only wakes the worker for listeners registered synchronously at start-up.
  browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) =>
    background.handleMessage(message, sender),
  );
  browser.runtime.onInstalled.addListener((details) => {
    logFailure(background.onInstalled());
    if (details.reason === 'install') logFailure(openOnboardingIfNeeded(browser).then(() => undefined));
  });
  browser.runtime.onStartup.addListener(() => logFailure(background.onStartup()));
  browser.alarms.onAlarm.addListener((alarm) => logFailure(background.onAlarm(alarm)));
  browser.tabs.onUpdated.addListener((tabId, change) => logFailure(background.onTabUpdated(tabId, change)));
  browser.tabs.onRemoved.addListener((tabId) => logFailure(background.onTabRemoved(tabId)));
  browser.permissions.onAdded.addListener((added) => {
    if (added.origins?.length) logFailure(background.onHostAccessGranted());
  });
  browser.storage.onChanged.addListener((_changes, area) => {
    if (area === 'managed') logFailure(background.onManagedChanged());
  });
  performance.mark('leakwatch:worker-listening');
});
