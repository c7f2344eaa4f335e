import type { MessageKey, Translate } from '../components/shared';

/**
 * The texts of a warning, sent by the background with the findings they are for. In a content
 * script the first i18n call loads the extension's whole message catalogue, synchronously, in the
 * page (2.5-5 ms in Chromium 156, on every page that shows a warning); the worker has it loaded.
 */
export const WARNING_MESSAGE_KEYS = [
  'warningBrand',
  'warnPostPassages',
  'warnTextPassages',
  'warnPostLink',
  'warnTextLink',
  'warnPostHashtag',
  'warnTextHashtag',
  'whyButton',
  'showAnywayButton',
  'hideAgainButton',
  'disputeLink',
  'disputeLinkFor',
  'opensInNewTab',
  'whyPassages',
  'whyLink',
  'whyHashtag',
  'whyListLabel',
  'whyListValue',
  'whyEntryLabel',
  'whyEntryValue',
  'whyFoundLabel',
  'whyWarningLabel',
  'whyLegalLabel',
  'whyForgeriesLikely',
  'whyForgeriesGeneral',
] as const satisfies readonly MessageKey[];

/** Messages by key, with SLOT + n where substitution n goes. */
export type WarningTemplates = Partial<Record<MessageKey, string>>;

/** A private-use character: no message text holds one, so where it stands a substitution goes. */
const SLOT = '\uE000';
const SLOTS = Array.from({ length: 9 }, (_, i) => `${SLOT}${i + 1}`);
const SLOT_PATTERN = new RegExp(`${SLOT}([1-9])`, 'g');

/**
 * The templates of WARNING_MESSAGE_KEYS from the worker's own i18n: getMessage with a marker as each
 * substitution (at most nine, as in getMessage) leaves the marker where the substitution goes.
 */
export function warningTemplates(
  getMessage: (key: string, substitutions: string[]) => string,
): WarningTemplates {
  const templates: WarningTemplates = {};
  for (const key of WARNING_MESSAGE_KEYS) templates[key] = getMessage(key, SLOTS);
  return templates;
}

/**
 * Translate that fills the templates it was given (remember) as getMessage fills its messages, and
 * asks `fallback` (the page's own i18n) for the rest.
 */
export function templatedTranslate(
  fallback: Translate,
): Translate & { remember(templates: WarningTemplates): void } {
  const known = new Map<string, string>();
  const t = (key: MessageKey, substitutions?: (string | number)[]) => {
    const template = known.get(key);
    if (template === undefined) return fallback(key, substitutions);
    return template.replace(SLOT_PATTERN, (_, n: string) => String(substitutions?.[Number(n) - 1] ?? ''));
  };
  t.remember = (templates: WarningTemplates) => {
    for (const [key, template] of Object.entries(templates)) {
      // A worker without the message answers '': the page's own i18n is asked then.
      if (typeof template === 'string' && template !== '') known.set(key, template);
    }
  };
  return t;
}
