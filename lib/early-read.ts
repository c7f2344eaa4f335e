import { LeakwatchStore, openLeakwatchDb, type StoredList } from './store';

/**
 * Imported first by the background entry, so that this runs before the worker's other modules are
 * evaluated: a restarted service worker spends ~15 ms on those and on registering its listeners,
 * time during which the browser can already be reading the lists from IndexedDB.
 */

export const earlyDb = openLeakwatchDb();

export const earlyLists: Promise<StoredList[]> = earlyDb.then((opened) =>
  new LeakwatchStore(opened).readAllActive(),
);
// The background falls back to reading the lists itself; nothing may go unhandled meanwhile.
earlyLists.catch(() => undefined);
