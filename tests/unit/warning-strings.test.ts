import { describe, expect, it } from 'vitest';
import type { MessageKey } from '../../components/shared';
import { templatedTranslate, WARNING_MESSAGE_KEYS, warningTemplates } from '../../lib/warning-strings';
import en from '../../public/_locales/en/messages.json';
import fr from '../../public/_locales/fr/messages.json';

type Catalogue = Record<string, { message: string; placeholders?: Record<string, { content: string }> }>;

/** chrome.i18n.getMessage as documented: named placeholders, then $1-$9 from the substitutions, $$ is $. */
function getMessageOf(catalogue: Catalogue) {
  return (key: string, substitutions: (string | number)[] = []): string => {
    const entry = catalogue[key];
    if (!entry) return '';
    const named = entry.message.replace(/\$([A-Za-z0-9_@]+)\$/g, (whole, name: string) => {
      const found = Object.entries(entry.placeholders ?? {}).find(
        ([n]) => n.toLowerCase() === name.toLowerCase(),
      );
      return found ? found[1].content : whole;
    });
    return named.replace(/\$(\$|[1-9])/g, (_, c: string) =>
      c === '$' ? '$' : String(substitutions[Number(c) - 1] ?? ''),
    );
  };
}

describe('warning strings from the worker', () => {
  for (const [lang, catalogue] of [
    ['en', en],
    ['fr', fr],
  ] as const) {
    it(`fill every warning message as getMessage does (${lang})`, () => {
      const getMessage = getMessageOf(catalogue as Catalogue);
      const t = templatedTranslate(() => {
        throw new Error('the page i18n must not be asked');
      });
      t.remember(warningTemplates(getMessage));
      const values = ['« Les $1 fichiers »', 42, '$$ and $2', ''];
      for (const key of WARNING_MESSAGE_KEYS) {
        expect(t(key, values)).toBe(getMessage(key, values.map(String)));
        expect(t(key)).toBe(getMessage(key));
      }
    });
  }

  it('asks the page i18n for messages it was not given, or given empty', () => {
    const asked: string[] = [];
    const t = templatedTranslate((key) => {
      asked.push(key);
      return `page:${key}`;
    });
    expect(t('whyButton')).toBe('page:whyButton');
    t.remember({ whyButton: 'Why?', warningBrand: '' });
    expect(t('whyButton')).toBe('Why?');
    expect(t('warningBrand')).toBe('page:warningBrand');
    expect(t('popupTitle' as MessageKey)).toBe('page:popupTitle');
    expect(asked).toEqual(['whyButton', 'warningBrand', 'popupTitle']);
  });
});
