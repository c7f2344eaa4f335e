import 'fake-indexeddb/auto';
import type { StoreNames } from 'idb';
import { type LeakwatchDatabase, type LeakwatchDb, openLeakwatchDb } from '../../../lib/store';

let counter = 0;

/** A fresh database per test; fake-indexeddb keeps databases for the whole test file. */
export function freshDbName(): string {
  counter += 1;
  return `leakwatch-test-${counter}-${Math.random().toString(36).slice(2)}`;
}

export function openFreshDb(): Promise<LeakwatchDatabase> {
  return openLeakwatchDb(freshDbName());
}

function bindAll<T extends object>(target: T, override: (prop: string | symbol) => unknown): T {
  return new Proxy(target, {
    get(t, prop) {
      const replaced = override(prop);
      if (replaced !== undefined) return replaced;
      const value = Reflect.get(t, prop, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

/**
 * The database as the browser behaves when it runs out of quota: after `okPuts` successful puts
 * into `storeName`, the next put fails with QuotaExceededError and its transaction aborts right after
 * the requests issued in the same synchronous run (browsers report request errors asynchronously too).
 */
export function quotaAfter(
  db: LeakwatchDatabase,
  storeName: StoreNames<LeakwatchDb>,
  okPuts: number,
): LeakwatchDatabase {
  let puts = 0;
  return bindAll(db, (prop) => {
    if (prop !== 'transaction') return undefined;
    return (...args: Parameters<LeakwatchDatabase['transaction']>) => {
      const tx = db.transaction(...args);
      return bindAll(tx, (txProp) => {
        if (txProp !== 'objectStore') return undefined;
        return (name: StoreNames<LeakwatchDb>) => {
          const store = tx.objectStore(name);
          if (name !== storeName) return store;
          return bindAll(store, (storeProp) => {
            if (storeProp !== 'put') return undefined;
            return (...putArgs: unknown[]) => {
              puts += 1;
              if (puts <= okPuts) return (store.put as (...a: unknown[]) => Promise<unknown>)(...putArgs);
              if (puts === okPuts + 1) queueMicrotask(() => tx.abort());
              return Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
            };
          });
        };
      });
    };
  });
}

/**
 * Like quotaAfter, for any failure a browser's IndexedDB can report on a write: after `okPuts`
 * successful puts into `storeName`, the next `failCount` puts fail with a DOMException named `error`
 * (and a failing put's transaction aborts, as a browser does), or with `error: 'abort'` the
 * transaction is aborted with no request error at all (what a browser does on shutdown or storage
 * eviction). Puts through transactions and through the database shortcut both count.
 */
export function failingPuts(
  db: LeakwatchDatabase,
  storeName: StoreNames<LeakwatchDb>,
  okPuts: number,
  error: string,
  failCount = 1,
): LeakwatchDatabase {
  let puts = 0;
  const attempt = (put: () => Promise<unknown>, abort: (() => void) | null): Promise<unknown> => {
    puts += 1;
    if (puts <= okPuts || puts > okPuts + failCount) return put();
    if (error === 'abort' && abort) {
      const request = put();
      abort();
      return request;
    }
    if (abort) queueMicrotask(abort);
    return Promise.reject(new DOMException(`simulated ${error}`, error));
  };
  return bindAll(db, (prop) => {
    if (prop === 'put') {
      return (name: StoreNames<LeakwatchDb>, ...rest: unknown[]) => {
        const put = () => (db.put as (...a: unknown[]) => Promise<unknown>)(name, ...rest);
        return name === storeName ? attempt(put, null) : put();
      };
    }
    if (prop !== 'transaction') return undefined;
    return (...args: Parameters<LeakwatchDatabase['transaction']>) => {
      const tx = db.transaction(...args);
      return bindAll(tx, (txProp) => {
        if (txProp !== 'objectStore') return undefined;
        return (name: StoreNames<LeakwatchDb>) => {
          const store = tx.objectStore(name);
          if (name !== storeName) return store;
          return bindAll(store, (storeProp) => {
            if (storeProp !== 'put') return undefined;
            return (...putArgs: unknown[]) =>
              attempt(
                () => (store.put as (...a: unknown[]) => Promise<unknown>)(...putArgs),
                () => tx.abort(),
              );
          });
        };
      });
    };
  });
}
