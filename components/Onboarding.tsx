import { useEffect, useState } from 'preact/hooks';
import type { Translate } from './shared';

export interface OnboardingProps {
  t: Translate;
  hasAccess: () => Promise<boolean>;
  /** Must reach the browser's permission request without an await before it (user activation). */
  requestAccess: () => Promise<boolean>;
  /** Calls back when access is granted or withdrawn elsewhere (toolbar menu, add-ons manager); returns an unsubscribe. */
  watchAccess: (onChange: () => void) => () => void;
}

type Access = 'checking' | 'missing' | 'refused' | 'granted';

/**
 * Opened on install when the browser withheld host access (Firefox MV3 lets users do that, and
 * may do it by default): says why Leakwatch needs to read pages and asks for it in one click.
 */
export function Onboarding({ t, hasAccess, requestAccess, watchAccess }: OnboardingProps) {
  const [access, setAccess] = useState<Access>('checking');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const check = () => {
      void hasAccess().then((granted) =>
        setAccess((previous) => (granted ? 'granted' : previous === 'refused' ? 'refused' : 'missing')),
      );
    };
    check();
    return watchAccess(check);
  }, [hasAccess, watchAccess]);

  const ask = () => {
    setBusy(true);
    requestAccess()
      .then(
        (granted) => setAccess(granted ? 'granted' : 'refused'),
        () => setAccess('refused'),
      )
      .finally(() => setBusy(false));
  };

  return (
    <main class="onboarding">
      <h1>{t('onboardingTitle')}</h1>
      <p>{t('onboardingIntro')}</p>
      <p class="muted">{t('onboardingPrivacy')}</p>
      {access === 'granted' ? (
        <p class="state state-ok" role="status">
          {t('onboardingGranted')}
        </p>
      ) : (
        <>
          <p>{t('onboardingOneClick')}</p>
          <button
            type="button"
            class="primary"
            disabled={busy || access === 'checking'}
            aria-describedby={access === 'refused' ? 'onboarding-refused' : undefined}
            onClick={ask}
          >
            {t('accessGrant')}
          </button>
          <p id="onboarding-refused" class="state state-warn" role="status">
            {access === 'refused' ? t('onboardingRefused') : null}
          </p>
        </>
      )}
    </main>
  );
}
