// @vitest-environment happy-dom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Options } from '../../components/Options';
import type { SendRequest } from '../../components/shared';
import type { LogRecord, OptionsState, Request, SubscriptionView } from '../../lib/messages';
import { formatPublicKey, generateKeyPair } from '../../utils/ed25519';
import { catalogTranslate } from './helpers/fake-i18n';

const BUNDLED: SubscriptionView = {
  id: 'bundled',
  url: 'https://lists.example/demo.lwl',
  origin: 'bundled',
  keyIds: ['0123456789abcdef', 'fedcba9876543210'],
  active: {
    listId: 'demo',
    version: 12,
    keyId: '0123456789abcdef',
    publisher: {
      name: 'Demo publisher',
      url: 'https://lists.example/',
      disputeUrl: 'https://lists.example/d',
    },
    issuedAt: '2017-05-01T00:00:00Z',
    expiresAt: '2017-06-01T00:00:00Z',
    entries: 4,
    fingerprints: 1000,
  },
  lastSuccess: Date.parse('2017-05-06T08:00:00Z'),
  lastAttempt: Date.parse('2017-05-06T08:00:00Z'),
  lastError: null,
  nextSync: Date.parse('2017-05-06T14:00:00Z'),
  stale: false,
  expired: false,
};

const USER: SubscriptionView = {
  ...BUNDLED,
  id: 'user-1',
  url: 'https://other.example/list.lwl',
  origin: 'user',
  keyIds: ['aaaaaaaaaaaaaaaa'],
  active: null,
  lastSuccess: null,
  lastError: 'the server answered 404',
};

const LOG: LogRecord[] = [
  {
    time: Date.parse('2017-05-06T09:00:00Z'),
    pageUrl: 'https://x.com/someone/status/1',
    listId: 'demo',
    entry: 'macronleaks-2017',
    kind: 'hashtag',
    matched: 1,
    total: 2,
  },
];

const STATE: OptionsState = {
  subscriptions: [BUNDLED, USER],
  researchMode: false,
  pausedSites: ['example.com'],
  log: LOG,
};

let validKey = '';
let container: HTMLElement;

beforeAll(async () => {
  validKey = formatPublicKey((await generateKeyPair()).publicKey);
});

afterEach(() => {
  render(null, container);
  container.remove();
});

async function show(failAdd?: string, refreshAfterAdd?: Promise<void>) {
  const requests: Request[] = [];
  const saved: { name: string; type: string; content: string }[] = [];
  const accessAsked: string[] = [];
  let state = STATE;
  const send = (async (request: Request) => {
    requests.push(request);
    if (request.type === 'get-options') {
      if (refreshAfterAdd && requests.some((r) => r.type === 'add-subscription')) await refreshAfterAdd;
      return state;
    }
    if (request.type === 'add-subscription' && failAdd) throw new Error(failAdd);
    if (request.type === 'set-research-mode') state = { ...state, researchMode: request.on };
    if (request.type === 'clear-log') state = { ...state, log: [] };
    return {};
  }) as SendRequest;
  container = document.createElement('div');
  document.body.append(container);
  await act(async () => {
    render(
      <Options
        send={send}
        t={catalogTranslate('en')}
        locale="en-GB"
        now={() => Date.parse('2017-05-08T00:00:00Z')}
        saveFile={(name, type, content) => saved.push({ name, type, content })}
        requestAccess={async (url) => {
          accessAsked.push(url);
          return !url.includes('denied.example');
        }}
      />,
      container,
    );
  });
  await act(async () => {});
  return { requests, saved, accessAsked };
}

const buttonNamed = (name: string) =>
  [...container.querySelectorAll('button')].find((b) => b.textContent === name) as HTMLButtonElement;

function input(labelText: string): HTMLInputElement {
  const label = [...container.querySelectorAll('label')].find((l) => l.textContent === labelText)!;
  return container.querySelector(`#${CSS.escape(label.htmlFor)}`) as HTMLInputElement;
}

async function type(el: HTMLInputElement, value: string) {
  await act(async () => {
    el.value = value;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function submit() {
  await act(async () => {
    container.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  });
  await act(async () => {});
}

describe('options', () => {
  it('lists subscriptions with status and key ids; only lists added by the reader can be removed', async () => {
    const { requests } = await show();
    const cards = [...container.querySelectorAll('.cards > li')];
    expect(cards).toHaveLength(2);
    expect(cards[0]?.textContent).toContain('Demo publisher');
    expect(cards[0]?.textContent).toContain('Up to date');
    expect(cards[0]?.textContent).toContain('0123456789abcdef');
    expect(cards[0]?.textContent).toContain('fedcba9876543210');
    expect(cards[0]?.querySelector('button')).toBeNull();
    expect(cards[1]?.textContent).toContain('Not loaded yet');
    expect(cards[1]?.textContent).toContain('Last update failed: the server answered 404');

    await act(async () => buttonNamed('Remove https://other.example/list.lwl').click());
    await act(async () => {});
    expect(requests).toContainEqual({ type: 'remove-subscription', id: 'user-1' });
    expect(container.querySelector('.notice')?.textContent).toBe('Removed https://other.example/list.lwl.');
  });

  it('validates a new subscription on the spot, with one-line errors tied to their fields', async () => {
    const { requests } = await show();
    await type(input('List address (URL)'), 'http://lists.example/x');
    await type(input('Publisher’s public key (ed25519:…)'), 'ed25519:short');
    await submit();
    const url = input('List address (URL)');
    const key = input('Publisher’s public key (ed25519:…)');
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(
      container.querySelector(`#${CSS.escape(url.getAttribute('aria-describedby')!)}`)?.textContent,
    ).toBe('The address must start with https://.');
    expect(key.getAttribute('aria-invalid')).toBe('true');
    expect(
      container.querySelector(`#${CSS.escape(key.getAttribute('aria-describedby')!)}`)?.textContent,
    ).toContain('ed25519: followed by 43 characters');
    expect(requests.some((r) => r.type === 'add-subscription')).toBe(false);

    await type(url, 'not a url');
    await submit();
    expect(container.textContent).toContain('Enter a full address starting with https://.');
  });

  it('adds a valid subscription and clears the form', async () => {
    let refreshed = () => {};
    const { requests } = await show(
      undefined,
      new Promise((resolve) => {
        refreshed = resolve;
      }),
    );
    await type(input('List address (URL)'), '  https://other.example/new.lwl ');
    await type(input('Publisher’s public key (ed25519:…)'), validKey);
    await submit();
    expect(requests).toContainEqual({
      type: 'add-subscription',
      url: 'https://other.example/new.lwl',
      publicKey: validKey,
    });
    expect(input('List address (URL)').value).toBe('');
    // Announced once the page shows the lists as they now are, not while they are being fetched.
    expect(requests.at(-1)?.type).toBe('get-options');
    expect(container.querySelector('.notice')?.textContent).toBe('');
    await act(async () => refreshed());
    await act(async () => {});
    expect(container.querySelector('.notice')?.textContent).toBe('List added.');
  });

  it('asks the browser for access to the list host first, and adds nothing when it is refused', async () => {
    const { requests, accessAsked } = await show();
    await type(input('List address (URL)'), 'https://denied.example/new.lwl');
    await type(input('Publisher’s public key (ed25519:…)'), validKey);
    await submit();
    expect(accessAsked).toEqual(['https://denied.example/new.lwl']);
    expect(requests.some((r) => r.type === 'add-subscription')).toBe(false);
    expect(container.querySelector('[role="alert"]')?.textContent).toBe(
      'The list was not added: the browser did not allow Leakwatch to download from this site',
    );
  });

  it("shows the background's refusal as a one-line alert", async () => {
    await show('list signature does not verify with the given key');
    await type(input('List address (URL)'), 'https://other.example/new.lwl');
    await type(input('Publisher’s public key (ed25519:…)'), validKey);
    await submit();
    expect(container.querySelector('[role="alert"]')?.textContent).toBe(
      'The list was not added: list signature does not verify with the given key',
    );
  });

  it('toggles research mode and resumes paused sites', async () => {
    const { requests } = await show();
    const box = input('Show a one-line notice and leave flagged content readable');
    expect(box.type).toBe('checkbox');
    expect(box.checked).toBe(false);
    await act(async () => box.click());
    await act(async () => {});
    expect(requests).toContainEqual({ type: 'set-research-mode', on: true });
    expect(input('Show a one-line notice and leave flagged content readable').checked).toBe(true);

    await act(async () => buttonNamed('Resume checking example.com').click());
    expect(requests).toContainEqual({ type: 'set-site-paused', host: 'example.com', paused: false });
  });

  it('shows the findings log and exports it as JSON and CSV files, then clears it', async () => {
    const { requests, saved } = await show();
    const row = container.querySelector('tbody tr')!;
    expect(row.textContent).toContain('https://x.com/someone/status/1');
    expect(row.textContent).toContain('macronleaks-2017');
    expect(row.textContent).toContain('Hashtag');
    expect(row.textContent).toContain('1 of 2');
    expect([...container.querySelectorAll('th')].every((th) => th.getAttribute('scope') === 'col')).toBe(
      true,
    );

    buttonNamed('Export as JSON').click();
    buttonNamed('Export as CSV').click();
    expect(saved[0]?.name).toBe('leakwatch-log-2017-05-08.json');
    expect(JSON.parse(saved[0]?.content ?? '')).toEqual(LOG);
    expect(saved[1]?.name).toBe('leakwatch-log-2017-05-08.csv');
    expect(saved[1]?.type).toBe('text/csv;charset=utf-8');
    expect(saved[1]?.content).toBe(
      '\uFEFFtime,page_url,entry,kind,strength\r\n' +
        '2017-05-06T09:00:00.000Z,https://x.com/someone/status/1,macronleaks-2017,hashtag,1 of 2\r\n',
    );

    await act(async () => buttonNamed('Clear log').click());
    await act(async () => {});
    expect(requests).toContainEqual({ type: 'clear-log' });
    expect(container.textContent).toContain('No findings recorded.');
  });

  it('says plainly what is stored and that nothing is sent', async () => {
    await show();
    const section = container.querySelector('section[aria-labelledby="privacy-heading"]')!;
    expect(section.textContent).toContain('Stored on this device');
    expect(section.textContent).toContain('Sent: nothing.');
  });
});
