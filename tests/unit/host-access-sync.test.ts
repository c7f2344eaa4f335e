import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { createBackground, type MessageSenderLike } from '../../lib/background';
import type { HelloReply, OptionsState, Reply } from '../../lib/messages';
import { openLeakwatchDb } from '../../lib/store';
import { freshDbName } from './helpers/db';
import { newSigner, signedList, TEST_NOW } from './helpers/lists';

/**
 * Firefox MV3 may install the extension without host access: the first download of the build-time
 * list then fails and backs off for at least 15 minutes. Granting access must not leave the reader
 * without a list for that long.
 */

const LIST_URL = 'http://127.0.0.1:47813/list.lwl';
const page: MessageSenderLike = {
  id: fakeBrowser.runtime.id,
  url: 'https://news.example/story',
  tab: { id: 3, url: 'https://news.example/story' },
};
const options: MessageSenderLike = {
  id: fakeBrowser.runtime.id,
  url: `chrome-extension://${fakeBrowser.runtime.id}/options.html`,
};

async function ask<T>(bg: ReturnType<typeof createBackground>, message: unknown, sender: MessageSenderLike) {
  const reply = (await bg.handleMessage(message, sender)) as Reply<T>;
  if (!reply.ok) throw new Error(reply.error);
  return reply.value;
}

describe('host access granted after install', () => {
  beforeEach(() => fakeBrowser.reset());

  it('downloads a list that failed without access at once, not after its backoff', async () => {
    const signer = await newSigner();
    const body = await signedList(signer);
    let allowed = false;
    const fetched: string[] = [];
    const bg = createBackground({
      browser: fakeBrowser,
      // Without host access the browser refuses the cross-origin download (no CORS headers).
      fetch: async (url) => {
        fetched.push(url);
        if (!allowed) throw new TypeError('NetworkError when attempting to fetch resource.');
        return new Response(new Uint8Array(body));
      },
      now: () => TEST_NOW,
      random: () => 0.5,
      openDb: () => openLeakwatchDb(freshDbName()),
      build: { listUrl: LIST_URL, publicKeys: [signer.publicKeyText] },
    });

    await bg.onInstalled();
    const failed = (await ask<OptionsState>(bg, { type: 'get-options' }, options)).subscriptions[0];
    expect(failed?.active).toBeNull();
    expect(failed?.nextSync).toBeGreaterThanOrEqual(TEST_NOW + 15 * 60_000);
    expect((await ask<HelloReply>(bg, { type: 'hello' }, page)).scan).toBe(false);

    allowed = true;
    await bg.onHostAccessGranted();
    const loaded = (await ask<OptionsState>(bg, { type: 'get-options' }, options)).subscriptions[0];
    expect(loaded?.lastError).toBeNull();
    expect(loaded?.active).not.toBeNull();
    expect((await ask<HelloReply>(bg, { type: 'hello' }, page)).scan).toBe(true);

    // A list that is up to date is not fetched again by a later grant.
    const before = fetched.length;
    await bg.onHostAccessGranted();
    expect(fetched.length).toBe(before);
  });
});
