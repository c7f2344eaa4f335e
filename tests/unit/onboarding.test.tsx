// @vitest-environment happy-dom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Onboarding } from '../../components/Onboarding';
import { Popup, type PopupAccess } from '../../components/Popup';
import type { SendRequest } from '../../components/shared';
import type { PopupState } from '../../lib/messages';
import { catalogTranslate } from './helpers/fake-i18n';

/** Host access withheld by the browser: the onboarding page and the popup say so and ask once. */

let container: HTMLElement;

afterEach(() => {
  render(null, container);
  container.remove();
});

async function mount(node: preact.ComponentChild) {
  container = document.createElement('div');
  document.body.append(container);
  await act(async () => {
    render(node, container);
  });
  await act(async () => {});
}

const buttonNamed = (name: string) =>
  [...container.querySelectorAll('button')].find((b) => b.textContent === name) as HTMLButtonElement;

/** A permission store: request() answers with `answer` and grants when it is true. */
function permissionStore(answer: boolean) {
  let granted = false;
  let requests = 0;
  const listeners = new Set<() => void>();
  return {
    hasAccess: async () => granted,
    requestAccess: async () => {
      requests++;
      granted = answer;
      return answer;
    },
    watchAccess: (onChange: () => void) => {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    grantElsewhere() {
      granted = true;
      for (const l of listeners) l();
    },
    requests: () => requests,
  };
}

describe('onboarding page', () => {
  it('asks for access in one click and says that it is done', async () => {
    const store = permissionStore(true);
    await mount(<Onboarding t={catalogTranslate('en')} {...store} />);
    expect(container.querySelector('h1')?.textContent).toBe('Leakwatch needs your permission to check pages');
    expect(container.textContent).toContain('never sent anywhere');
    await act(async () => buttonNamed('Allow Leakwatch on all sites').click());
    await act(async () => {});
    expect(store.requests()).toBe(1);
    expect(container.querySelector('[role="status"]')?.textContent).toContain('Done: Leakwatch now checks');
    expect(buttonNamed('Allow Leakwatch on all sites')).toBeUndefined();
  });

  it('says what a refusal means and keeps the button', async () => {
    const store = permissionStore(false);
    await mount(<Onboarding t={catalogTranslate('fr')} {...store} />);
    await act(async () => buttonNamed('Autoriser Leakwatch sur tous les sites').click());
    await act(async () => {});
    expect(container.querySelector('#onboarding-refused')?.textContent).toContain(
      'n’a pas été autorisé à lire les pages',
    );
    expect(buttonNamed('Autoriser Leakwatch sur tous les sites').disabled).toBe(false);
  });

  it('follows a grant made elsewhere (toolbar menu, add-ons manager)', async () => {
    const store = permissionStore(true);
    await mount(<Onboarding t={catalogTranslate('en')} {...store} />);
    expect(buttonNamed('Allow Leakwatch on all sites')).toBeDefined();
    await act(async () => store.grantElsewhere());
    await act(async () => {});
    expect(container.textContent).toContain('Done: Leakwatch now checks');
  });
});

const CLEAN: PopupState = {
  host: null,
  paused: false,
  researchMode: false,
  flaggedBlocks: 0,
  findings: [],
  subscriptions: [],
  entries: [],
  contexts: [],
};

describe('popup without host access', () => {
  async function showPopup(access: PopupAccess) {
    const send = (async () => CLEAN) as SendRequest;
    await mount(
      <Popup
        send={send}
        tabId={7}
        t={catalogTranslate('en')}
        lang="en"
        locale="en-GB"
        now={() => 0}
        openOptions={() => {}}
        access={access}
      />,
    );
  }

  it('says that scanning is off instead of "nothing found", and asks for access', async () => {
    let allowed = false;
    await showPopup({
      allowed: async () => allowed,
      request: async () => {
        allowed = true;
        return true;
      },
    });
    expect(container.textContent).toContain('Scanning is off: Leakwatch is not allowed to read this site');
    expect(container.textContent).not.toContain('Nothing from your lists was found');
    await act(async () => buttonNamed('Allow Leakwatch on all sites').click());
    await act(async () => {});
    expect(container.querySelector('.notice')?.textContent).toBe(
      'Allowed. The page is reloaded and checked.',
    );
    expect(container.textContent).not.toContain('Scanning is off');
    expect(container.textContent).toContain('Nothing from your lists was found');
  });

  it('keeps saying so when the request is refused', async () => {
    await showPopup({ allowed: async () => false, request: async () => false });
    await act(async () => buttonNamed('Allow Leakwatch on all sites').click());
    await act(async () => {});
    expect(container.querySelector('.notice')?.textContent).toBe(
      'Not allowed: the browser still keeps Leakwatch from reading pages.',
    );
    expect(container.textContent).toContain('Scanning is off');
  });
});
