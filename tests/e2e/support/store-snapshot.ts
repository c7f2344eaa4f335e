import fs from 'node:fs';
import { openSignedList, trustedKeysFromText } from '../../../utils/envelope';
import type { ListInfo } from './config';

/**
 * What the extension's IndexedDB holds, summarised so that two generations can be compared with
 * the lists they came from: per entry the number of fingerprints, their exact sum (values are
 * below 2^53 / 2^21, so the sum is exact) and the first and last value, read from the
 * generation's fingerprint Blob (all entries one after the other, then the matcher's index when the
 * record names its format). A generation missing its record, holding another list's, or cut short
 * differs.
 */

export interface EntrySummary {
  count: number;
  sum: number;
  first: number | null;
  last: number | null;
}

export interface GenerationSummary {
  subId: string;
  gen: number;
  version: number;
  digest: string;
  /** Fingerprint counts the header's metadata declares, per entry. */
  declared: number[];
  /** What the fingerprint record holds, per entry (the declared counts split it). */
  entries: EntrySummary[];
  /** What is wrong with the record: missing, or not the declared size (none when complete). */
  partProblems: string[];
}

export interface StoreSnapshot {
  active: { subId: string; gen: number; version: number; digest: string }[];
  generations: GenerationSummary[];
  /** Generation numbers that have a fingerprint record but no header. */
  headerless: number[];
}

/**
 * Reads the store in one read-only transaction. Runs inside the extension (its service worker or
 * one of its pages) through evaluate, so it is self-contained: no imports, no outer names. A
 * database that does not exist yet is not created (the upgrade is aborted): the extension's own
 * first open must create it with its stores.
 */
export function readStoreSnapshot(): Promise<StoreSnapshot | null> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open('leakwatch');
    request.onupgradeneeded = () => request.transaction?.abort();
    request.onerror = () => (request.error?.name === 'AbortError' ? resolve(null) : reject(request.error));
    request.onsuccess = () => {
      const db = request.result;
      const tx = db.transaction(['active', 'generations', 'fingerprints'], 'readonly');
      const results: Record<string, unknown[]> = {};
      for (const store of ['active', 'generations', 'fingerprints']) {
        const all = tx.objectStore(store).getAll();
        all.onsuccess = () => {
          results[store] = all.result;
        };
      }
      tx.onerror = () => reject(tx.error);
      tx.oncomplete = async () => {
        db.close();
        type Stored = { subId: string; gen: number; fingerprints: Blob; index?: string };
        type Header = {
          subId: string;
          gen: number;
          version: number;
          digest: string;
          meta: { entries: { fingerprintCount: number }[] };
        };
        const records = results.fingerprints as Stored[];
        const headers = results.generations as Header[];
        const generations = [];
        for (const h of headers) {
          const record = records.find((r) => r.subId === h.subId && r.gen === h.gen);
          const buffer = record ? await record.fingerprints.arrayBuffer() : null;
          const declared = h.meta.entries.reduce((n, e) => n + e.fingerprintCount, 0);
          const held = buffer ? Math.floor(buffer.byteLength / 8) : 0;
          const values = buffer ? new Float64Array(buffer, 0, Math.min(held, declared)) : null;
          const partProblems = !values
            ? ['no fingerprint record']
            : held < declared || (record?.index === undefined && held !== declared)
              ? [`${held} fingerprints, ${declared} declared`]
              : [];
          let at = 0;
          const entries = h.meta.entries.map(({ fingerprintCount }) => {
            const e = { count: 0, sum: 0, first: null as number | null, last: null as number | null };
            for (const v of values?.subarray(at, at + fingerprintCount) ?? []) {
              if (e.first === null) e.first = v;
              e.last = v;
              e.sum += v;
              e.count++;
            }
            at += fingerprintCount;
            return e;
          });
          generations.push({
            subId: h.subId,
            gen: h.gen,
            version: h.version,
            digest: h.digest,
            declared: h.meta.entries.map((e) => e.fingerprintCount),
            entries,
            partProblems,
          });
        }
        const known = new Set(headers.map((h) => `${h.subId}\u0000${h.gen}`));
        const headerless = [
          ...new Set(records.filter((r) => !known.has(`${r.subId}\u0000${r.gen}`)).map((r) => r.gen)),
        ];
        const active = (results.active as StoreSnapshot['active']).map(({ subId, gen, version, digest }) => ({
          subId,
          gen,
          version,
          digest,
        }));
        resolve({ active, generations, headerless });
      };
    };
  });
}

/** What a complete generation of `list` looks like in the store (verified as the extension does). */
export interface ExpectedGeneration {
  version: number;
  digest: string;
  entries: EntrySummary[];
}

export async function expectedGeneration(list: ListInfo, publicKey: string): Promise<ExpectedGeneration> {
  const verified = await openSignedList(new Uint8Array(fs.readFileSync(list.file)), {
    trustedKeys: await trustedKeysFromText([publicKey]),
    now: Date.now(),
  });
  return {
    version: verified.list.meta.version,
    digest: verified.digest,
    entries: verified.list.fingerprints.map((values) => {
      let sum = 0;
      for (const v of values) sum += v;
      return {
        count: values.length,
        sum,
        first: values.length > 0 ? values[0]! : null,
        last: values.length > 0 ? values[values.length - 1]! : null,
      };
    }),
  };
}

/** True when `generation` holds exactly `expected`: header, declared counts and every record. */
export function isComplete(generation: GenerationSummary, expected: ExpectedGeneration): boolean {
  return (
    generation.version === expected.version &&
    generation.digest === expected.digest &&
    generation.partProblems.length === 0 &&
    JSON.stringify(generation.declared) === JSON.stringify(expected.entries.map((e) => e.count)) &&
    JSON.stringify(generation.entries) === JSON.stringify(expected.entries)
  );
}

/** One line for the report: "gen 2 = v2001 complete (2 entries, 300,318 fingerprints)". */
export function describeGeneration(g: GenerationSummary, known: ExpectedGeneration[]): string {
  const match = known.find((k) => isComplete(g, k));
  const fingerprints = g.entries.reduce((n, e) => n + e.count, 0).toLocaleString('en-US');
  return match
    ? `gen ${g.gen} = v${g.version} complete (${fingerprints} fingerprints)`
    : `gen ${g.gen} = v${g.version} NOT a complete list (${fingerprints} fingerprints, declared ${g.declared.join('+')}, part problems ${g.partProblems.join(' ') || 'none'})`;
}
