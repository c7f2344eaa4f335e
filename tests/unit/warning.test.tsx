// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { SendRequest } from '../../components/shared';
import {
  createDetailsLoader,
  createWarningMounter,
  type LoadDetails,
  type WarningOptions,
} from '../../components/warning';
import type { WarningView } from '../../lib/content-scanner';
import { type EntryDetails, type Request, requestSchema } from '../../lib/messages';
import type { Finding } from '../../utils/matcher';
import { catalogTranslate } from './helpers/fake-i18n';

const DETAILS: EntryDetails = {
  listId: 'demo',
  entry: 'macronleaks-2017',
  listVersion: 7,
  title: { en: 'MacronLeaks', fr: 'MacronLeaks (fr)' },
  summary: { en: 'Summary', fr: 'Résumé' },
  date: '2017-05-05',
  warning: {
    en: 'The CNCCEP warned that republishing these documents may be a criminal offence.',
    fr: 'La CNCCEP a averti que republier ces documents peut constituer une infraction pénale.',
  },
  legalNotice: { en: 'Electoral Code L49.', fr: 'Code électoral L49.' },
  authority: 'CNCCEP',
  references: [],
  mayIncludeForgeries: true,
  fingerprintCount: 1000,
  publisher: {
    name: 'Demo publisher',
    url: 'https://lists.example/',
    disputeUrl: 'https://lists.example/dispute',
  },
};

const FINDINGS: Finding[] = [
  {
    kind: 'hashtag',
    listId: 'demo',
    entry: 'macronleaks-2017',
    strength: { matched: 1, total: 2 },
    evidence: '#macronleaks',
  },
  { kind: 'fingerprint', listId: 'demo', entry: 'macronleaks-2017', strength: { matched: 6, total: 40 } },
];

const fixedDetails =
  (details: EntryDetails[]): LoadDetails =>
  async () =>
    details;

interface Mounted {
  block: HTMLElement;
  host: HTMLElement;
  root: ShadowRoot;
  view: WarningView;
}

async function mount(options: Partial<WarningOptions> = {}, blockStyle?: string): Promise<Mounted> {
  document.body.innerHTML = '<div id="block"><p>post text</p></div>';
  const block = document.getElementById('block')!;
  if (blockStyle) block.setAttribute('style', blockStyle);
  const host = document.createElement('leakwatch-warning');
  block.before(host);
  const mountWarning = createWarningMounter({
    t: catalogTranslate('en'),
    lang: 'en',
    researchMode: false,
    loadDetails: fixedDetails([DETAILS]),
    ...options,
  });
  const view = mountWarning(host, block, FINDINGS, { isPost: true });
  await settle();
  return { block, host, root: host.shadowRoot!, view };
}

/** Lets promised details arrive and mutation observers run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

const button = (root: ShadowRoot, name: string) =>
  [...root.querySelectorAll('button')].find((b) => b.textContent === name) as HTMLButtonElement | undefined;

afterEach(() => {
  document.body.innerHTML = '';
});

describe('warning', () => {
  it('says what was found, in a status region inside an open shadow root, and blurs the post', async () => {
    const { block, root } = await mount();
    const status = root.querySelector('[role="status"]')!;
    expect(status.getAttribute('aria-live')).toBe('polite');
    // Passages are the strongest evidence: the headline names them.
    expect(status.textContent).toContain(
      'This post contains passages associated with the leak “MacronLeaks”.',
    );
    expect(status.textContent).toContain(
      'The CNCCEP warned that republishing these documents may be a criminal offence. — CNCCEP',
    );
    expect(root.querySelector('style')?.textContent).toContain('.lw');
    expect(block.style.getPropertyValue('filter')).toBe('blur(8px)');
    expect(block.hasAttribute('inert')).toBe(true);
  });

  it('shows the content with one click on a real button, and can blur it again', async () => {
    const { block, root } = await mount();
    const show = button(root, 'Show anyway')!;
    expect(show.type).toBe('button');
    show.click();
    expect(block.hasAttribute('style')).toBe(false);
    expect(block.hasAttribute('inert')).toBe(false);
    const again = button(root, 'Blur again')!;
    again.click();
    expect(block.hasAttribute('inert')).toBe(true);
  });

  it('gives the page its own inline style back', async () => {
    const { block, view } = await mount({}, 'color: red; filter: contrast(2)');
    expect(block.style.getPropertyValue('filter')).toBe('blur(8px)');
    view.remove();
    expect(block.style.getPropertyValue('color')).toBe('red');
    expect(block.style.getPropertyValue('filter')).toBe('contrast(2)');
    expect(block.style.getPropertyPriority('filter')).toBe('');
    expect(block.style.getPropertyValue('pointer-events')).toBe('');
  });

  it('explains why in a disclosure: list, entry, matches, legal notice, forgeries', async () => {
    const { root } = await mount();
    const why = button(root, 'Why?')!;
    const panel = root.getElementById(why.getAttribute('aria-controls')!)!;
    expect(why.getAttribute('aria-expanded')).toBe('false');
    expect(panel.hidden).toBe(true);
    why.click();
    expect(why.getAttribute('aria-expanded')).toBe('true');
    expect(panel.hidden).toBe(false);
    const text = panel.textContent ?? '';
    expect(text).toContain('Demo publisher, version 7');
    expect(text).toContain('MacronLeaks (2017-05-05)');
    expect(text).toContain('Passages: 6 of the 40 text fingerprints match the leaked documents.');
    expect(text).toContain('Hashtag #macronleaks, associated with this leak.');
    // The authority's warning leads the notice itself; the disclosure does not repeat it.
    expect(text).not.toContain('The CNCCEP warned');
    expect(text).toContain('Electoral Code L49.');
    expect(text).toContain('believed to mix forged documents');
  });

  it('links to the publisher to dispute, in a new tab, sending nothing', async () => {
    const { root } = await mount();
    const links = root.querySelectorAll('a');
    expect(links).toHaveLength(1);
    expect(links[0]?.getAttribute('href')).toBe('https://lists.example/dispute');
    expect(links[0]?.getAttribute('target')).toBe('_blank');
    expect(links[0]?.getAttribute('rel')).toBe('noopener noreferrer');
    expect(links[0]?.textContent).toBe('Not leaked material? (opens in a new tab)');
  });

  it('renders list strings as text only and never links to script', async () => {
    const hostile: EntryDetails = {
      ...DETAILS,
      title: { en: '<img src=x onerror="alert(1)">', fr: 'x' },
      warning: { en: '<b>bold</b><script>alert(2)</script>', fr: 'x' },
      publisher: { ...DETAILS.publisher, disputeUrl: 'javascript:alert(3)' },
    };
    const { root } = await mount({ loadDetails: fixedDetails([hostile]) });
    expect(root.querySelector('img, b, script')).toBeNull();
    expect(root.querySelector('a')).toBeNull();
    expect(root.textContent).toContain('<img src=x onerror="alert(1)">');
  });

  it('draws the details that arrive later inside WarningOptions.timed', async () => {
    document.body.innerHTML = '<div id="block"><p>post text</p></div>';
    const block = document.getElementById('block')!;
    const host = document.createElement('leakwatch-warning');
    block.before(host);
    let timedRuns = 0;
    const mountWarning = createWarningMounter({
      t: catalogTranslate('en'),
      lang: 'en',
      researchMode: false,
      loadDetails: fixedDetails([DETAILS]),
      timed: (work) => {
        timedRuns++;
        work();
      },
    });
    const view = mountWarning(host, block, FINDINGS, { isPost: true });
    const status = () => host.shadowRoot!.querySelector('[role="status"]')?.textContent ?? '';
    expect(status()).toContain('“macronleaks-2017”');
    expect(timedRuns).toBe(0);
    // The redraw with the details, not the request for them: that was part of mounting.
    for (let i = 0; i < 100 && !status().includes('The CNCCEP warned'); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(status()).toContain('The CNCCEP warned');
    expect(timedRuns).toBe(1);
    view.remove();
  });

  it('names the entry by its id until the details arrive', async () => {
    const { root } = await mount({ loadDetails: () => new Promise<EntryDetails[]>(() => {}) });
    expect(root.querySelector('[role="status"]')?.textContent).toContain('“macronleaks-2017”');
    // The disclosure is drawn when opened.
    expect(root.querySelector('.lw-why')?.textContent).toBe('');
    button(root, 'Why?')!.click();
    expect(root.textContent).toContain('Leaked document sets can include forgeries');
  });

  it('in research mode shows a compact line and leaves the post readable', async () => {
    const { block, root } = await mount({ researchMode: true });
    expect(root.querySelector('.lw-compact')).not.toBeNull();
    expect(button(root, 'Show anyway')).toBeUndefined();
    expect(block.hasAttribute('style')).toBe(false);
    expect(block.hasAttribute('inert')).toBe(false);
    expect(root.querySelector('[role="status"]')?.textContent).not.toContain('The CNCCEP warned');
    button(root, 'Why?')!.click();
    expect(root.querySelector('.lw-why')?.textContent).toContain(
      'Warning from CNCCEPThe CNCCEP warned that republishing these documents may be a criminal offence.',
    );
  });

  it('speaks French with French list texts', async () => {
    const { root } = await mount({ t: catalogTranslate('fr'), lang: 'fr' });
    const status = root.querySelector('[role="status"]')!;
    expect(status.textContent).toContain(
      'Cette publication contient des passages associés à la fuite « MacronLeaks (fr) ».',
    );
    expect(status.textContent).toContain('La CNCCEP a averti');
    expect(root.querySelector('.lw')?.getAttribute('lang')).toBe('fr');
    expect(button(root, 'Afficher quand même')).toBeDefined();
  });

  it('redraws only what changed: the same findings again leave the status untouched', async () => {
    const { root, view } = await mount();
    const changes = new MutationObserver(() => {});
    changes.observe(root, { childList: true, subtree: true, characterData: true, attributes: true });
    view.update([...FINDINGS]);
    // A live region whose nodes were replaced, even by equal ones, may be read out again.
    expect(changes.takeRecords()).toEqual([]);
    view.update([{ ...FINDINGS[0]!, entry: 'other-leak' }]);
    await settle();
    const status = root.querySelector('[role="status"]')?.textContent ?? '';
    expect(status).toContain('This post contains a hashtag associated with the leak “other-leak”.');
    expect(status).not.toContain('MacronLeaks');
    changes.disconnect();
  });

  it('draws itself again as the reader left it after the page empties its root', async () => {
    const { block, root } = await mount();
    button(root, 'Why?')!.click();
    button(root, 'Show anyway')!.click();
    root.replaceChildren();
    await settle();
    expect(button(root, 'Why?')?.getAttribute('aria-expanded')).toBe('true');
    expect(root.querySelector('.lw-why')?.textContent).toContain('Electoral Code L49.');
    expect(button(root, 'Blur again')).toBeDefined();
    expect(block.hasAttribute('inert')).toBe(false);
  });

  it("undoes a page's change made just before one of its own", async () => {
    const { root } = await mount();
    root.querySelector('.lw-brand')!.remove();
    // The reader's click redraws part of the warning before the guard has seen the page's change.
    button(root, 'Why?')!.click();
    await settle();
    expect(root.querySelector('.lw-brand')?.textContent).toBe('Leakwatch:');
  });

  it('draws each warning for what it found, also when it copies one drawn before', async () => {
    document.body.innerHTML = ['a', 'b', 'c', 'd'].map((id) => `<div id="${id}">text</div>`).join('');
    // Details become known between two warnings, as when a later lookup brings them.
    const loadDetails = createDetailsLoader((() => new Promise(() => {})) as SendRequest, () => {});
    const mountWarning = createWarningMounter({
      t: catalogTranslate('en'),
      lang: 'en',
      researchMode: false,
      loadDetails,
    });
    const mountAt = (id: string, isPost: boolean) => {
      const block = document.getElementById(id)!;
      const host = document.createElement('leakwatch-warning');
      block.before(host);
      mountWarning(host, block, FINDINGS, { isPost });
      return { block, root: host.shadowRoot! };
    };
    const status = (root: ShadowRoot) => root.querySelector('[role="status"]')?.textContent ?? '';

    const a = mountAt('a', true);
    loadDetails.remember?.([DETAILS]);
    const b = mountAt('b', true);
    const c = mountAt('c', false);
    const d = mountAt('d', true);
    expect(status(a.root)).toContain('“macronleaks-2017”');
    expect(status(b.root)).toContain('This post contains passages associated with the leak “MacronLeaks”.');
    expect(status(b.root)).toContain('The CNCCEP warned');
    expect(status(c.root)).toContain('This text contains passages associated with the leak “MacronLeaks”.');
    expect(status(d.root)).toBe(status(b.root));

    // The copy's buttons are its own.
    button(d.root, 'Show anyway')!.click();
    button(d.root, 'Why?')!.click();
    expect(d.block.hasAttribute('inert')).toBe(false);
    expect(d.root.querySelector('.lw-why')?.textContent).toContain('Electoral Code L49.');
    expect(b.block.hasAttribute('inert')).toBe(true);
    expect(button(b.root, 'Why?')?.getAttribute('aria-expanded')).toBe('false');
  });

  it('copies a drawing when a later answer brings the same details again', () => {
    document.body.innerHTML = '<div id="a">text</div><div id="b">text</div>';
    const loadDetails = createDetailsLoader((() => new Promise(() => {})) as SendRequest, () => {});
    loadDetails.remember?.([DETAILS]);
    const mountWarning = createWarningMounter({
      t: catalogTranslate('en'),
      lang: 'en',
      researchMode: false,
      loadDetails,
    });
    const mountAt = (id: string) => {
      const block = document.getElementById(id)!;
      const host = document.createElement('leakwatch-warning');
      block.before(host);
      mountWarning(host, block, FINDINGS, { isPost: true });
      return host.shadowRoot!;
    };
    const a = mountAt('a');
    // The next lookup's answer: equal details, a new object.
    loadDetails.remember?.([structuredClone(DETAILS)]);
    const createElement = document.createElement;
    let created = 0;
    document.createElement = ((tag: string, options?: ElementCreationOptions) => {
      created++;
      return createElement.call(document, tag, options);
    }) as typeof document.createElement;
    try {
      const b = mountAt('b');
      expect(b.innerHTML).toBe(a.innerHTML);
    } finally {
      document.createElement = createElement;
    }
    // One element: the host made by mountAt itself; the warning is a copy.
    expect(created).toBe(1);
  });

  it('takes the blur off and empties the shadow root when removed', async () => {
    const { block, root, view } = await mount();
    view.remove();
    expect(block.hasAttribute('style')).toBe(false);
    expect(block.hasAttribute('inert')).toBe(false);
    expect(root.querySelector('[role="status"]')).toBeNull();
  });
});

describe('createDetailsLoader', () => {
  it('asks once for entries wanted by many warnings, and asks again after a failure', async () => {
    const requests: Request[] = [];
    let fail = true;
    const send = (async (request: Request) => {
      requests.push(request);
      if (fail) throw new Error('no background');
      return { details: [DETAILS] };
    }) as SendRequest;
    const errors: unknown[] = [];
    const load = createDetailsLoader(send, (e) => errors.push(e));
    const ref = { listId: 'demo', entry: 'macronleaks-2017' };

    expect(await load([ref])).toEqual([]);
    expect(errors).toHaveLength(1);

    fail = false;
    const [a, b] = await Promise.all([load([ref]), load([ref, { listId: 'demo', entry: 'unknown' }])]);
    expect(a).toEqual([DETAILS]);
    expect(b).toEqual([DETAILS]);
    expect(requests).toEqual([
      { type: 'entry-details', entries: [ref] },
      { type: 'entry-details', entries: [ref] },
      { type: 'entry-details', entries: [{ listId: 'demo', entry: 'unknown' }] },
    ]);
    await load([ref]);
    expect(requests).toHaveLength(3);
  });

  /** A background that knows no entry, and the requests it was sent. */
  function recordingSend() {
    const requests: Request[] = [];
    const send = (async (request: Request) => {
      requests.push(request);
      return { details: [] };
    }) as SendRequest;
    return { requests, send };
  }

  it('answers from details that came with the findings, without asking', async () => {
    const { requests, send } = recordingSend();
    const load = createDetailsLoader(send, () => {});
    const ref = { listId: 'demo', entry: 'macronleaks-2017' };
    expect(load.peek?.([ref])).toEqual([]);
    load.remember?.([DETAILS]);
    expect(load.peek?.([ref])).toEqual([DETAILS]);
    expect(await load([ref])).toEqual([DETAILS]);
    expect(requests).toEqual([]);
  });

  it('keeps the details it has when an answer brings the same again, and takes changed ones', () => {
    const { send } = recordingSend();
    const load = createDetailsLoader(send, () => {});
    const ref = { listId: 'demo', entry: 'macronleaks-2017' };
    load.remember?.([DETAILS]);
    load.remember?.([structuredClone(DETAILS)]);
    expect(load.peek?.([ref])[0]).toBe(DETAILS);
    const updated = { ...DETAILS, listVersion: DETAILS.listVersion + 1 };
    load.remember?.([updated]);
    expect(load.peek?.([ref])[0]).toBe(updated);
  });

  it('asks for no more entries at once than the background accepts', async () => {
    const { requests, send } = recordingSend();
    const load = createDetailsLoader(send, () => {});
    await load(Array.from({ length: 150 }, (_, i) => ({ listId: 'demo', entry: `e${i}` })));
    expect(requests).toHaveLength(1);
    expect(requestSchema.safeParse(requests[0]).success).toBe(true);
  });

  it('sends only the entry reference even when the caller passes richer objects', async () => {
    const { requests, send } = recordingSend();
    const load = createDetailsLoader(send, () => {});
    const group = { listId: 'demo', entry: 'macronleaks-2017', findings: [{ kind: 'hashtag' }] };
    await load([group]);
    expect(requestSchema.safeParse(requests[0]).success).toBe(true);
  });
});
