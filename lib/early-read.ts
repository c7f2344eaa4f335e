import { type EarlyList, LeakwatchStore, openLeakwatchDb, type Settings } from './store';

/**
 * Imported first by the background entry, so that the lists' read is asked for before the worker's
 * other modules are evaluated (~30 ms, zod schemas for the most part). Chromium 156 carries the
 * open on only once that first task of the worker has ended (a reply it waits for is queued behind
 * it), but the reply is there by then: nothing waits for a round trip after it.
 */

// The worker's start-up milestones (these, and in entrypoints/background.ts and lib/background.ts),
// one of each per worker: bench:browser prints them for every cold start it measures.
performance.mark('leakwatch:worker-evaluating');

export const earlyDb = openLeakwatchDb();

export const earlyLists: Promise<EarlyList[]> = earlyDb.then((opened) =>
  new LeakwatchStore(opened).readAllActiveHeads(),
);
/** Read alongside: a restarted worker's first lookup needs them too (is the site paused?). */
export const earlySettings: Promise<Settings> = earlyDb.then((opened) =>
  new LeakwatchStore(opened).getSettings(),
);

// The background falls back to reading these itself; nothing may go unhandled meanwhile.
earlyLists.catch(() => undefined);
earlySettings.catch(() => undefined);
