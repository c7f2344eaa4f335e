import { distinct, mergeSorted } from '../utils/builder';
import {
  bucketRange,
  type CompiledList,
  compileList,
  indexLengths,
  withFingerprints,
} from '../utils/matcher';
import { readStoredValues, type StoredListHead } from './store';

/**
 * A stored list compiled from its head (lib/store.ts) before its values are read: a restarted
 * worker answers the lookup that woke it with the values of the few pages (pageDirectory(): ~128
 * values each) its fingerprints fall in, read as slices of the stored Blob, instead of first
 * reading the whole list (10.5 MB for 1M fingerprints, ~50 ms of a cold start).
 *
 * `compiled` holds every value of the pages read so far, and only those: a lookup gives exactly
 * what the whole list gives as long as fill() was awaited for every fingerprint it looks up, since
 * a fingerprint of the list is in its page. Each fill() compiles a new, larger list (the values
 * read are few: a few thousand, rebuilt in microseconds); `owns` tells them from a list that
 * replaced this one meanwhile.
 */
export class PartialList {
  compiled: CompiledList;
  private readonly produced = new WeakSet<CompiledList>();
  /** The first position of each page read (a non-empty page starts where no other does). */
  private readonly read = new Set<number>();

  constructor(readonly head: StoredListHead) {
    const { meta } = head.header;
    const empty = indexLengths(0, meta.fingerprint.bits);
    this.compiled = compileList(
      { meta, fingerprints: [new Float64Array(0)] },
      {
        bucketStart: new Uint32Array(empty.bucketStart),
        filter: new Uint32Array(empty.filter),
        hashtagKeys: head.hashtagKeys,
      },
    );
    this.produced.add(this.compiled);
  }

  owns(compiled: CompiledList | undefined): boolean {
    return compiled !== undefined && this.produced.has(compiled);
  }

  /** Reads, in one round trip, the pages of `fingerprints` not read yet; then `compiled` holds them. */
  async fill(fingerprints: Iterable<number>): Promise<void> {
    const { pageStart } = this.head;
    const { bits } = this.head.header.meta.fingerprint;
    const wanted = new Map<number, number>();
    for (const fp of fingerprints) {
      const range = bucketRange(pageStart, bits, fp);
      if (range && range[1] > range[0] && !this.read.has(range[0])) wanted.set(range[0], range[1]);
    }
    if (wanted.size === 0) return;
    const ranges: [number, number][] = [];
    for (const start of [...wanted.keys()].sort((a, b) => a - b)) {
      const end = wanted.get(start)!;
      const last = ranges[ranges.length - 1];
      if (last && last[1] === start) last[1] = end;
      else ranges.push([start, end]);
    }
    const values = await readStoredValues(this.head, ranges);
    for (const start of wanted.keys()) this.read.add(start);
    // Another fill may have read some of the same pages meanwhile: equal neighbours are merged.
    this.compiled = withFingerprints(
      this.compiled,
      distinct(mergeSorted(this.compiled.fingerprints, values)),
    );
    this.produced.add(this.compiled);
  }
}
