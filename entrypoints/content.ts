import { defineContentScript } from 'wxt/utils/define-content-script';
import { pickLang, sendToBackground as send, type Translate, translate } from '../components/shared';
import { createDetailsLoader, createWarningMounter } from '../components/warning';
import { createContentScanner } from '../lib/content-scanner';
import { packLookup } from '../lib/lookup-limits';
import type { HelloReply, LookupReply } from '../lib/messages';
import { templatedTranslate } from '../lib/warning-strings';

function logError(error: unknown): void {
  console.debug('[Leakwatch]', error);
}

/** Translations at hand: a warning asks for a dozen strings, and each i18n call crosses into the browser. */
function memoTranslate(t: Translate): Translate {
  const memo = new Map<string, string>();
  return (key, substitutions) => {
    const memoKey = substitutions ? `${key}\u0000${substitutions.join('\u0001')}` : key;
    let text = memo.get(memoKey);
    if (text === undefined) {
      if (memo.size >= 1_000) memo.clear();
      text = t(key, substitutions);
      memo.set(memoKey, text);
    }
    return text;
  };
}

export default defineContentScript({
  matches: ['http://*/*', 'https://*/*'],
  // Frames too: a post embedded from another site is a page of its own, with its own scanner.
  allFrames: true,
  runAt: 'document_idle',
  async main(ctx) {
    let hello: HelloReply;
    try {
      hello = await send<HelloReply>({ type: 'hello' });
    } catch (error) {
      logError(error);
      return;
    }
    if (!hello.scan || ctx.isInvalid) return;
    const templated = templatedTranslate(translate);
    const t = memoTranslate(templated);
    const loadDetails = createDetailsLoader(send, logError);
    const scanner = createContentScanner({
      window,
      lookup: async (blocks) => {
        const reply = await send<LookupReply>({ type: 'lookup', ...packLookup(blocks) });
        loadDetails.remember?.(reply.details);
        if (reply.strings) templated.remember(reply.strings);
        return reply.results;
      },
      report: ({ flaggedBlocks, findings }) => {
        send({ type: 'report', flaggedBlocks, findings }).catch(logError);
      },
      // The warning's texts come with the findings; without them (a worker whose i18n failed) the
      // first translation loads the extension's whole message catalogue, synchronously.
      prepareWarnings: () => t('warningBrand'),
      mountWarning: createWarningMounter({
        t,
        lang: pickLang(navigator.language),
        researchMode: hello.researchMode,
        loadDetails,
        timed: (work) => scanner.timed(work),
      }),
      onError: logError,
    });
    scanner.start();
    ctx.onInvalidated(() => scanner.stop());
  },
});
