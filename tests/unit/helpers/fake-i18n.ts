import type { MessageKey, Translate } from '../../../components/shared';
import en from '../../../public/_locales/en/messages.json';
import fr from '../../../public/_locales/fr/messages.json';

interface CatalogMessage {
  message: string;
  placeholders?: Record<string, { content: string }>;
}

/** browser.i18n.getMessage over the real catalogs: named placeholders, then $1..$9 substitutions. */
export function catalogTranslate(lang: 'en' | 'fr'): Translate {
  const catalog = (lang === 'fr' ? fr : en) as Record<MessageKey, CatalogMessage>;
  return (key, substitutions = []) => {
    const entry = catalog[key];
    if (!entry) return '';
    const named = entry.message.replace(/\$([A-Za-z0-9_]+)\$/g, (_, name: string) => {
      return entry.placeholders?.[name.toLowerCase()]?.content ?? '';
    });
    return named.replace(/\$(\d)/g, (_, n: string) => String(substitutions[Number(n) - 1] ?? ''));
  };
}
