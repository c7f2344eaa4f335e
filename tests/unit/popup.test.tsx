// @vitest-environment happy-dom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Popup, type PopupProps } from '../../components/Popup';
import type { SendRequest } from '../../components/shared';
import type { PopupState, Request, SubscriptionView } from '../../lib/messages';
import type { ListContext, ListEntry } from '../../utils/list-schema';
import { catalogTranslate } from './helpers/fake-i18n';

const ENTRY: ListEntry = {
  id: 'macronleaks-2017',
  title: { en: 'MacronLeaks', fr: 'MacronLeaks' },
  summary: { en: 'Documents stolen from the En Marche! campaign.', fr: 'Documents volés.' },
  date: '2017-05-05',
  warning: { en: 'Republishing may be a criminal offence.', fr: 'Republier peut être une infraction.' },
  legalNotice: { en: 'French Electoral Code, L49.', fr: 'Code électoral, L49.' },
  authority: 'CNCCEP',
  references: [],
  mayIncludeForgeries: true,
  hashtags: ['macronleaks'],
  urlPatterns: [],
  fingerprintCount: 10,
};

const ACTIVE: NonNullable<SubscriptionView['active']> = {
  listId: 'demo',
  version: 12,
  keyId: '0123456789abcdef',
  publisher: { name: 'Demo publisher', url: 'https://lists.example/', disputeUrl: 'https://lists.example/d' },
  issuedAt: '2017-05-01T00:00:00Z',
  expiresAt: '2017-06-01T00:00:00Z',
  entries: 1,
  fingerprints: 10,
};

const SUB: SubscriptionView = {
  id: 'bundled',
  url: 'https://lists.example/demo.lwl',
  origin: 'bundled',
  keyIds: ['0123456789abcdef'],
  active: ACTIVE,
  lastSuccess: Date.parse('2017-05-06T08:00:00Z'),
  lastAttempt: Date.parse('2017-05-06T08:00:00Z'),
  lastError: null,
  nextSync: null,
  stale: false,
  expired: false,
};

function context(id: string, start: string, end: string): ListContext {
  return {
    id,
    jurisdiction: 'FR',
    election: { en: `Election ${id}`, fr: `Élection ${id}` },
    start,
    end,
    timeZone: 'Europe/Paris',
    legalBasis: { en: `Basis ${id}`, fr: `Base ${id}` },
    text: { en: `Text ${id}`, fr: `Texte ${id}` },
    entries: ['macronleaks-2017'],
  };
}

const STATE: PopupState = {
  host: 'x.com',
  paused: false,
  researchMode: false,
  flaggedBlocks: 3,
  findings: [
    {
      listId: 'demo',
      entry: 'macronleaks-2017',
      kind: 'hashtag',
      strength: { matched: 1, total: 1 },
      evidence: '#macronleaks',
    },
    { listId: 'demo', entry: 'macronleaks-2017', kind: 'fingerprint', strength: { matched: 5, total: 30 } },
  ],
  subscriptions: [SUB],
  entries: [{ listId: 'demo', entry: ENTRY, publisher: ACTIVE }],
  contexts: [
    context('over', '2017-04-21T22:00:00Z', '2017-04-23T18:00:00Z'),
    context('later', '2017-06-09T22:00:00Z', '2017-06-11T18:00:00Z'),
    context('now', '2017-05-05T22:00:00Z', '2017-05-07T18:00:00Z'),
  ],
};

// Sunday 7 May 2017, 12:00 in Paris: inside the second-round blackout.
const NOW = Date.parse('2017-05-07T10:00:00Z');

let container: HTMLElement;

afterEach(() => {
  render(null, container);
  container.remove();
});

async function show(state: PopupState, overrides: Partial<PopupProps> = {}) {
  const requests: Request[] = [];
  let current = state;
  const send = (async (request: Request) => {
    requests.push(request);
    if (request.type === 'popup-state') return current;
    if (request.type === 'set-site-paused') current = { ...current, paused: request.paused };
    return { subscriptions: current.subscriptions, researchMode: false, pausedSites: [], log: [] };
  }) as SendRequest;
  let opened = 0;
  container = document.createElement('div');
  document.body.append(container);
  await act(async () => {
    render(
      <Popup
        send={send}
        tabId={42}
        t={catalogTranslate('en')}
        lang="en"
        locale="en-GB"
        now={() => NOW}
        openOptions={() => {
          opened++;
        }}
        {...overrides}
      />,
      container,
    );
  });
  await act(async () => {});
  return { requests, opened: () => opened };
}

const buttonNamed = (name: string) =>
  [...container.querySelectorAll('button')].find((b) => b.textContent === name) as HTMLButtonElement;

describe('popup', () => {
  it("asks for this tab's state and explains the findings with the entry's legal texts", async () => {
    const { requests } = await show(STATE);
    expect(requests[0]).toEqual({ type: 'popup-state', tabId: 42 });
    const text = container.textContent ?? '';
    expect(text).toContain('x.com');
    expect(text).toContain('Warnings shown on this page: 3');
    expect(text).toContain('Hashtag #macronleaks, associated with this leak.');
    expect(text).toContain('Passages: 5 of the 30 text fingerprints match the leaked documents.');
    expect(text).toContain('Warning from CNCCEP');
    expect(text).toContain('Republishing may be a criminal offence.');
    expect(text).toContain('French Electoral Code, L49.');
    expect(text).toContain('believed to mix forged documents');
    expect(container.querySelector('h1')?.textContent).toBe('Leakwatch');
  });

  it('shows each blackout as in force, upcoming or over, in force first, with local and Paris times', async () => {
    await show(STATE);
    const cards = [...container.querySelectorAll('section[aria-labelledby="context-heading"] article')];
    expect(cards.map((c) => c.querySelector('.badge')?.textContent)).toEqual([
      'In force',
      'Upcoming',
      'Over',
    ]);
    expect(cards[0]?.textContent).toContain('ends in 8 h');
    expect(cards[0]?.textContent).toMatch(/7 May 2017 at .*20:00 \(Paris\)/);
    expect(cards[0]?.textContent).toContain('Basis now');
    expect(cards[1]?.textContent).toContain('Starts in 33 days 12 h');
    expect(cards[2]?.textContent).toMatch(/Ended on .*23 April 2017/);
  });

  it('shows list status: publisher, version, key id, update time and problems', async () => {
    const troubled: SubscriptionView = { ...SUB, stale: true, lastError: 'signature does not verify' };
    await show({ ...STATE, subscriptions: [troubled] });
    const card = container.querySelector('section[aria-labelledby="lists-heading"] article')!;
    const text = card.textContent ?? '';
    expect(text).toContain('Demo publisher');
    expect(text).toContain('12');
    expect(text).toContain('0123456789abcdef');
    expect(text).toContain('Not updated recently');
    expect(text).toContain('Last update failed: signature does not verify');
  });

  it('says when the page is clean and when the site is paused', async () => {
    await show({ ...STATE, findings: [], flaggedBlocks: 0 });
    expect(container.textContent).toContain('Nothing from your lists was found on this page.');
    render(null, container);
    container.remove();
    await show({ ...STATE, paused: true, findings: [] });
    expect(container.textContent).toContain('Paused on this site');
    expect(buttonNamed('Pause on this site').getAttribute('aria-pressed')).toBe('true');
  });

  it('toggles the pause for this site, updates lists and opens the options', async () => {
    const { requests, opened } = await show(STATE);
    const pause = buttonNamed('Pause on this site');
    expect(pause.getAttribute('aria-pressed')).toBe('false');
    await act(async () => pause.click());
    await act(async () => {});
    expect(requests).toContainEqual({ type: 'set-site-paused', host: 'x.com', paused: true });
    expect(buttonNamed('Pause on this site').getAttribute('aria-pressed')).toBe('true');
    expect(container.querySelector('.notice')?.textContent).toContain('Paused on this site');

    await act(async () => buttonNamed('Update lists now').click());
    await act(async () => {});
    expect(requests).toContainEqual({ type: 'update-now' });
    expect(container.querySelector('.notice')?.textContent).toBe('Lists checked for updates.');

    buttonNamed('Options').click();
    expect(opened()).toBe(1);
  });

  it('shows a background failure as one line', async () => {
    const send = (async () => {
      throw new Error('no list loaded yet');
    }) as SendRequest;
    await show(STATE, { send });
    expect(container.querySelector('[role="alert"]')?.textContent).toBe('no list loaded yet');
  });

  it('speaks French', async () => {
    await show(STATE, { t: catalogTranslate('fr'), lang: 'fr', locale: 'fr-FR' });
    const text = container.textContent ?? '';
    expect(text).toContain('Avertissements affichés sur cette page : 3');
    expect(text).toContain('En vigueur');
    expect(text).toContain('fin dans 8 h');
    expect(text).toContain('Republier peut être une infraction.');
  });
});
