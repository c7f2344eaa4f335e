import { browser } from 'wxt/browser';
import type { Reply, Request } from '../lib/messages';
import type en from '../public/_locales/en/messages.json';

/**
 * What the UI components need from the extension, passed in so that they render in unit tests
 * with a fake: translated strings and the message channel to the background.
 */

export type MessageKey = keyof typeof en;

/** browser.i18n.getMessage semantics: `$1`... placeholders filled from `substitutions`. */
export type Translate = (key: MessageKey, substitutions?: (string | number)[]) => string;

/** Sends one request and resolves with the unwrapped reply value (see unwrapReply). */
export type SendRequest = <T>(request: Request) => Promise<T>;

export type Lang = 'en' | 'fr';

/** Lists carry their texts in English and French only; every other language reads English. */
export function pickLang(language: string): Lang {
  return language.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/**
 * List texts are signed, but a compromised or careless publisher must not be able to make a warning
 * run script: only web and mail links are rendered as links.
 */
export function safeHref(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' || u.protocol === 'mailto:' ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * The value of a `Reply`, or an Error carrying its one-line message (also for a missing reply).
 * It lives here rather than in lib/messages.ts, whose zod schemas would otherwise be bundled into
 * the content script of every page.
 */
export function unwrapReply<T>(reply: unknown): T {
  if (typeof reply !== 'object' || reply === null || !('ok' in reply)) {
    throw new Error('no answer from the extension background');
  }
  const r = reply as Reply<T>;
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** The extension's own wiring of SendRequest, for entrypoints; components receive it as a prop. */
export const sendToBackground: SendRequest = async (request) =>
  unwrapReply(await browser.runtime.sendMessage(request));

export const translate: Translate = (key, substitutions) =>
  browser.i18n.getMessage(key, substitutions?.map(String));
