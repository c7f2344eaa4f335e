import { parentPort, workerData } from 'node:worker_threads';
import { FingerprintSetBuilder } from '../utils/builder';
import { describeError } from '../utils/errors';
import { addDocumentFile, type BuildProgress, type FromWorker, type ToWorker } from './build-worker-pool';

/** One thread of `leakwatch build` (cli/build-worker-pool.ts): reads the batches it is sent, then hands back its sorted state. */

const port = parentPort!;
const { k, w } = workerData as { k: number; w: number };
const builder = new FingerprintSetBuilder({ k, w });

port.postMessage({ kind: 'ready' } satisfies FromWorker);
port.on('message', (message: ToWorker) => {
  try {
    if (message.kind === 'batch') {
      const seen: BuildProgress = { documents: 0, bytes: 0, skipped: 0 };
      for (const entry of message.files) addDocumentFile(builder, entry, seen);
      port.postMessage({ kind: 'progress', seen } satisfies FromWorker);
      return;
    }
    const state = builder.takeSortedState();
    // Transferred, not copied: the main thread gets the arrays and this thread gives them up.
    port.postMessage({ kind: 'state', state } satisfies FromWorker, [
      state.documentFingerprints.buffer as ArrayBuffer,
      state.background.buffer as ArrayBuffer,
    ]);
  } catch (err) {
    port.postMessage({ kind: 'failed', message: describeError(err) } satisfies FromWorker);
  }
  port.close();
});
