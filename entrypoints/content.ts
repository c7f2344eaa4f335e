import { defineContentScript } from 'wxt/utils/define-content-script';
import { pickLang, sendToBackground as send, translate as t } from '../components/shared';
import { createDetailsLoader, createWarningMounter } from '../components/warning';
import { createContentScanner } from '../lib/content-scanner';
import type { HelloReply, LookupReply } from '../lib/messages';

function logError(error: unknown): void {
  console.debug('[Leakwatch]', error);
}

export default defineContentScript({
  matches: ['http://*/*', 'https://*/*'],
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
    const scanner = createContentScanner({
      window,
      paramSets: hello.paramSets,
      lookup: async (blocks) => (await send<LookupReply>({ type: 'lookup', blocks })).results,
      report: ({ flaggedBlocks, findings }) => {
        send({ type: 'report', flaggedBlocks, findings }).catch(logError);
      },
      mountWarning: createWarningMounter({
        t,
        lang: pickLang(navigator.language),
        researchMode: hello.researchMode,
        loadDetails: createDetailsLoader(send, logError),
      }),
      onError: logError,
    });
    scanner.start();
    ctx.onInvalidated(() => scanner.stop());
  },
});
