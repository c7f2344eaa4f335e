import {
  hashtagsInLink,
  hostCandidates,
  parseLink,
  parseUrlPattern,
  pathMatches,
  plainLinkHost,
  urlsInText,
} from './links';
import type { DecodedList, FingerprintParams, ListMeta } from './list-schema';
import { NORMALISER_VERSION, normaliseHashtag } from './normalise';
import { fingerprintsOfLanes, fmix32, shingleCount, shingleProbesInto, topBits } from './shingle';
import { type ScannedText, scanText } from './text-scan';

/**
 * Matching is split in two so that the list never reaches the page and the page text never
 * reaches the background: `extractFeatures` runs where the text is (content script, CLI) and keeps
 * only normalised hashtags, links and fingerprints; `matchFeatures` runs where the lists are.
 */

export interface CompiledList {
  listId: string;
  version: number;
  meta: ListMeta;
  params: FingerprintParams;
  paramsKey: string;
  /**
   * All fingerprints of all entries, sorted; fingerprintEntry[i] is the entry of fingerprints[i],
   * or null when the list has one entry (most do: the array would only hold zeros, and a fresh
   * worker pays for every page of memory it touches while the first lookup waits).
   */
  fingerprints: Float64Array;
  fingerprintEntry: Uint32Array | null;
  /**
   * Bucket directory over the sorted fingerprints: bucket b (the top bits of a fingerprint) spans
   * fingerprints[bucketStart[b] .. bucketStart[b + 1]), about eight fingerprints per bucket, so a
   * lookup reads two directory slots and a few values instead of ~20 binary-search steps. Only
   * values the filter lets through get here, so the directory stays small (0.5 MB for 1M).
   */
  bucketStart: Uint32Array;
  /** 1 / values per bucket: a power of two, so multiplying by it is exact, and cheaper than dividing. */
  inverseBucketWidth: number;
  /**
   * A blocked Bloom filter over the fingerprints (about 16 bits each: 2 MB for 1M): a value's top
   * bits pick one 64-byte block, a remix of its low bits FILTER_PROBES bits in it. One cache line
   * turns away ~99.5 % of absent values; the directory and value reads, two cache misses that cost
   * ten times as much, are left for the rest. A plain bitmap over the top bits let ~6 % through.
   */
  filter: Uint32Array;
  /** Fingerprint values per filter block (a power of two). */
  filterBlockWidth: number;
  /** normaliseHashtag() form -> entries and the list's own spelling. */
  hashtags: Map<string, { entry: number; spelling: string }[]>;
  urlPatterns: Map<string, { path: string; entry: number }[]>;
}

export interface BlockFeatures {
  hashtags: string[];
  urls: string[];
  /** Fingerprints of every shingle of the block in text order, per parameter set (paramsKey). */
  fingerprints: Record<string, number[]>;
}

export type FindingKind = 'hashtag' | 'fingerprint' | 'url';

export interface Finding {
  kind: FindingKind;
  listId: string;
  entry: string;
  /** hashtag/url: matching items out of those in the block; fingerprint: distinct matching passages out of the block's. */
  strength: { matched: number; total: number };
  /** The matching hashtag or link host: never text of the leak. */
  evidence?: string;
}

const paramsKeys = new WeakMap<FingerprintParams, string>();

/** The key of a parameter set; remembered per object, since the scan asks for it once per block. */
export function paramsKeyOf(p: FingerprintParams): string {
  let key = paramsKeys.get(p);
  if (key === undefined) {
    key = `${p.algorithm}:${p.k}:${p.w}:${p.bits}`;
    paramsKeys.set(p, key);
  }
  return key;
}

/**
 * What compileList derives from a list at some cost, kept next to it in IndexedDB: a restarted
 * worker reads it back instead of building it again (lib/store.ts). Building the directory and the
 * filter takes ~25 ms of loops over 1M values in a worker the JIT has not warmed up, and the
 * hashtags' keys ~5 ms more (the normaliser's tables, then a few microseconds per tag).
 */
export interface ListIndex {
  bucketStart: Uint32Array;
  filter: Uint32Array;
  /** normaliseHashtag() of meta.entries[e].hashtags[t], at [e][t]. */
  hashtagKeys: string[][];
}

/**
 * Names the layout of a ListIndex: change it with anything that changes what bucketDirectory or
 * bloomFilter build (sizes, hashing), and stored indexes are built again, not misread. Hashtag keys
 * depend on the normaliser, whose version it carries.
 */
export const INDEX_FORMAT = `lw-index-2/${NORMALISER_VERSION}`;

/** Lengths of the index arrays of `count` fingerprints of `bits` bits: what a stored index must have. */
export function indexLengths(count: number, bits: number): { bucketStart: number; filter: number } {
  return {
    bucketStart: 2 ** directoryBits(count, bits) + 1,
    filter: FILTER_BLOCK_WORDS << filterBlockBits(count, bits),
  };
}

/** What compileList would build from this list, to be stored with it. */
export function indexList(list: DecodedList): ListIndex {
  const { bits } = list.meta.fingerprint;
  const sorted =
    list.fingerprints.length === 1 ? list.fingerprints[0]! : mergeEntries(list.fingerprints).values;
  return {
    bucketStart: bucketDirectory(sorted, bits),
    filter: bloomFilter(sorted, bits),
    hashtagKeys: list.meta.entries.map((entry) => entry.hashtags.map(normaliseHashtag)),
  };
}

function fitsList(index: ListIndex, meta: ListMeta, count: number): boolean {
  const lengths = indexLengths(count, meta.fingerprint.bits);
  return (
    index.bucketStart.length === lengths.bucketStart &&
    index.bucketStart[lengths.bucketStart - 1] === count &&
    index.filter.length === lengths.filter &&
    index.hashtagKeys.length === meta.entries.length &&
    meta.entries.every((entry, e) => index.hashtagKeys[e]?.length === entry.hashtags.length)
  );
}

/** `index`, when given, is taken to be indexList(list) if its lengths fit. */
export function compileList(list: DecodedList, index: ListIndex | null = null): CompiledList {
  const { meta } = list;
  const { bits } = meta.fingerprint;
  const { values: fingerprints, owners: fingerprintEntry } =
    list.fingerprints.length === 1
      ? { values: list.fingerprints[0]!, owners: null }
      : mergeEntries(list.fingerprints);
  const usable = index !== null && fitsList(index, meta, fingerprints.length) ? index : null;
  const hashtags = new Map<string, { entry: number; spelling: string }[]>();
  const urlPatterns = new Map<string, { path: string; entry: number }[]>();
  meta.entries.forEach((entry, i) => {
    entry.hashtags.forEach((tag, t) => {
      const key = usable ? usable.hashtagKeys[i]![t]! : normaliseHashtag(tag);
      if (key) hashtags.set(key, [...(hashtags.get(key) ?? []), { entry: i, spelling: tag }]);
    });
    for (const text of entry.urlPatterns) {
      const pattern = parseUrlPattern(text);
      if (pattern)
        urlPatterns.set(pattern.host, [
          ...(urlPatterns.get(pattern.host) ?? []),
          { path: pattern.path, entry: i },
        ]);
    }
  });
  return {
    listId: meta.listId,
    version: meta.version,
    meta,
    params: meta.fingerprint,
    paramsKey: paramsKeyOf(meta.fingerprint),
    ...fingerprintPart(fingerprints, fingerprintEntry, bits, usable),
    hashtags,
    urlPatterns,
  };
}

type FingerprintPart = Pick<
  CompiledList,
  'fingerprints' | 'fingerprintEntry' | 'bucketStart' | 'inverseBucketWidth' | 'filter' | 'filterBlockWidth'
>;

function fingerprintPart(
  fingerprints: Float64Array,
  fingerprintEntry: Uint32Array | null,
  bits: number,
  index: ListIndex | null,
): FingerprintPart {
  return {
    fingerprints,
    fingerprintEntry,
    bucketStart: index?.bucketStart ?? bucketDirectory(fingerprints, bits),
    inverseBucketWidth: 1 / 2 ** (bits - directoryBits(fingerprints.length, bits)),
    filter: index?.filter ?? bloomFilter(fingerprints, bits),
    filterBlockWidth: 2 ** (bits - filterBlockBits(fingerprints.length, bits)),
  };
}

/**
 * `list` holding only `sorted`, some of its fingerprints (a list of one entry): how a list whose
 * values are read lazily answers before they all are (lib/partial-list.ts). Built in microseconds
 * for the few thousand values a lookup reads.
 */
export function withFingerprints(list: CompiledList, sorted: Float64Array): CompiledList {
  return { ...list, ...fingerprintPart(sorted, null, list.params.bits, null) };
}

/**
 * The positions, in a list's sorted fingerprints, of the bucket of `value` under `bucketStart` (a
 * ListIndex's directory, or its pageDirectory()), or null: the values findFirst may read for it.
 */
export function bucketRange(bucketStart: Uint32Array, bits: number, value: number): [number, number] | null {
  const buckets = bucketStart.length - 1;
  const bucket = Math.floor(value * (buckets / 2 ** bits));
  if (!(bucket >= 0 && bucket < buckets)) return null;
  return [bucketStart[bucket]!, bucketStart[bucket + 1]!];
}

/**
 * Buckets per page of pageDirectory(): 16, about 128 values (1 KB) a page, so the page directory is
 * a sixteenth of the bucket directory (32 KB for 1M fingerprints).
 */
const PAGE_SHIFT = 4;

/**
 * A coarser bucketStart: page p spans the values of buckets [p * 16, (p + 1) * 16), a directory
 * bucketRange() reads as it reads bucketStart. Small enough to be stored beside a list's header, so
 * that a restarted worker finds the values of a fingerprint without first reading the directory.
 */
export function pageDirectory(bucketStart: Uint32Array): Uint32Array {
  const buckets = bucketStart.length - 1;
  const shift = Math.min(PAGE_SHIFT, Math.log2(buckets));
  const pages = new Uint32Array((buckets >> shift) + 1);
  for (let p = 0; p < pages.length; p++) pages[p] = bucketStart[p << shift]!;
  return pages;
}

/** Length of pageDirectory() of the directory of `count` fingerprints of `bits` bits. */
export function pageDirectoryLength(count: number, bits: number): number {
  return 2 ** Math.max(0, directoryBits(count, bits) - PAGE_SHIFT) + 1;
}

interface Run {
  values: Float64Array;
  owners: Uint32Array;
}

/**
 * All entries' fingerprints in one sorted array, with each value's entry. Every entry's array is
 * already sorted (the list format requires it), so merging runs in pairs takes n log(entries)
 * steps, where a comparator sort took seconds at leak scale.
 */
function mergeEntries(entries: readonly Float64Array[]): Run {
  let runs: Run[] = entries.map((values, entry) => ({
    values,
    // A new array is already all zeros: the first entry (often the only one) needs no fill.
    owners: entry === 0 ? new Uint32Array(values.length) : new Uint32Array(values.length).fill(entry),
  }));
  if (runs.length === 0) return { values: new Float64Array(0), owners: new Uint32Array(0) };
  while (runs.length > 1) {
    const merged: Run[] = [];
    for (let r = 0; r + 1 < runs.length; r += 2) merged.push(mergeTwo(runs[r]!, runs[r + 1]!));
    if (runs.length % 2 === 1) merged.push(runs[runs.length - 1]!);
    runs = merged;
  }
  return runs[0]!;
}

function mergeTwo(x: Run, y: Run): Run {
  const values = new Float64Array(x.values.length + y.values.length);
  const owners = new Uint32Array(values.length);
  let i = 0;
  let j = 0;
  let k = 0;
  // Ties keep x first: entries stay in list order among equal fingerprints.
  while (i < x.values.length && j < y.values.length) {
    if (y.values[j]! < x.values[i]!) {
      values[k] = y.values[j]!;
      owners[k++] = y.owners[j++]!;
    } else {
      values[k] = x.values[i]!;
      owners[k++] = x.owners[i++]!;
    }
  }
  values.set(x.values.subarray(i), k);
  owners.set(x.owners.subarray(i), k);
  k += x.values.length - i;
  values.set(y.values.subarray(j), k);
  owners.set(y.owners.subarray(j), k);
  return { values, owners };
}

export function extractFeatures(
  text: string,
  links: readonly string[],
  paramSets: readonly FingerprintParams[],
): BlockFeatures {
  const { hashtags, urls, scanned } = readBlock(text, links);
  const fingerprints: Record<string, number[]> = {};
  for (const p of paramSets) {
    const key = paramsKeyOf(p);
    fingerprints[key] ??= fingerprintsOfLanes(scanned.lanes, scanned.tokenCount, p.k, p.bits);
  }
  return { hashtags, urls, fingerprints };
}

/** A block's hashtags (in its text and its links) and links (given and typed), and its token lanes. */
function readBlock(
  text: string,
  links: readonly string[],
): { hashtags: string[]; urls: string[]; scanned: ScannedText } {
  const scanned = scanText(text);
  const typed = scanned.mayHoldUrl ? urlsInText(text) : [];
  const urls = typed.length === 0 && links.length < 2 ? [...links] : [...new Set([...links, ...typed])];
  let hashtags = scanned.hashtags;
  if (urls.length > 0) {
    const all = new Set(hashtags);
    for (const link of urls) for (const tag of hashtagsInLink(link)) all.add(tag);
    hashtags = [...all];
  }
  return { hashtags, urls, scanned };
}

/** About eight values per bucket, capped at 2^22 slots (16 MB): past 32M fingerprints buckets hold more. */
function directoryBits(count: number, bits: number): number {
  return Math.min(bits, 22, Math.max(1, Math.ceil(Math.log2(count + 1)) - 3));
}

function bucketDirectory(sorted: Float64Array, bits: number): Uint32Array {
  const directory = directoryBits(sorted.length, bits);
  const buckets = 2 ** directory;
  const bucketStart = new Uint32Array(buckets + 1);
  const inverse = 1 / 2 ** (bits - directory);
  for (let i = 0; i < sorted.length; i++) bucketStart[Math.floor(sorted[i]! * inverse) + 1]!++;
  for (let b = 0; b < buckets; b++) bucketStart[b + 1]! += bucketStart[b]!;
  return bucketStart;
}

const FILTER_BLOCK_WORDS = 16;
const FILTER_BITS_PER_VALUE = 16;
/** 2^18 blocks of 64 bytes (16 MB): a 10M list gets ~13 bits per value instead of 16. */
const MAX_FILTER_BLOCK_BITS = 18;

function filterBlockBits(count: number, bits: number): number {
  const wanted = (count * FILTER_BITS_PER_VALUE) / (FILTER_BLOCK_WORDS * 32);
  return Math.min(MAX_FILTER_BLOCK_BITS, bits, Math.max(0, Math.ceil(Math.log2(wanted))));
}

/**
 * What a value's filter bits are cut from: its top 32 bits (all of it below 32 bits), times this
 * (floored). The scan has the top 32 bits of a shingle's value before its last mixing step, and
 * needs that step only for the few shingles the filter lets through.
 */
function filterKeyScale(bits: number): number {
  return bits > 32 ? 1 / 2 ** (bits - 32) : 1;
}

function bloomFilter(sorted: Float64Array, bits: number): Uint32Array {
  const blockBits = filterBlockBits(sorted.length, bits);
  const filter = new Uint32Array(FILTER_BLOCK_WORDS << blockBits);
  const inverse = 1 / 2 ** (bits - blockBits);
  const keyScale = filterKeyScale(bits);
  for (let i = 0; i < sorted.length; i++) {
    const value = sorted[i]!;
    const base = Math.floor(value * inverse) * FILTER_BLOCK_WORDS;
    // The key's bits below the block's pick the bits in it; the multiply spreads them over the probes.
    const h = Math.imul(Math.floor(value * keyScale), FILTER_MUL);
    filter[base + (h >>> 28)]! |= 1 << (h >>> 23);
    filter[base + ((h >>> 19) & 15)]! |= 1 << (h >>> 14);
    filter[base + ((h >>> 10) & 15)]! |= 1 << (h >>> 5);
  }
  return filter;
}

const FILTER_MUL = 0x9e3779b1;

/** Whether the filter may hold `value`: false means it is certainly not in the list. */
function mayHold(filter: Uint32Array, inverseBlockWidth: number, keyScale: number, value: number): boolean {
  const base = Math.floor(value * inverseBlockWidth) * FILTER_BLOCK_WORDS;
  const h = Math.imul(Math.floor(value * keyScale), FILTER_MUL);
  return (
    ((filter[base + (h >>> 28)]! >>> (h >>> 23)) &
      (filter[base + ((h >>> 19) & 15)]! >>> (h >>> 14)) &
      (filter[base + ((h >>> 10) & 15)]! >>> (h >>> 5)) &
      1) ===
    1
  );
}

/**
 * Position of the first of `count` shingles, given by their (hi, b) pairs (shingleProbesInto), whose
 * fingerprint the list holds, or -1. Nearly every block holds none, so this probes the filter with
 * integer arithmetic on hi (the same block and bits mayHold reads), finishes the value of the few
 * that pass, and builds no fingerprint array.
 */
function firstListedShingle(list: CompiledList, hashes: Uint32Array, count: number): number {
  const { bits } = list.params;
  const { filter } = list;
  // Module-level names become vars in a bundle, re-read and checked at each use: take them once.
  const words = FILTER_BLOCK_WORDS;
  const multiplier = FILTER_MUL;
  const find = findFirst;
  const mix = fmix32;
  // A value's filter block is its top bits, and the top 32 bits of a value are `hi` (or hold them).
  const blockBits = Math.round(Math.log2(filter.length / words));
  const blockShift = 32 - blockBits;
  const hiShift = bits >= 32 ? 0 : 32 - bits;
  for (let s = 0, t = 0; s < count; s++, t += 2) {
    const hi = hashes[t]!;
    // The key mayHold reads: the value's top 32 bits, hi, or the value itself below 32 bits.
    const h = Math.imul(hi >>> hiShift, multiplier);
    const base = blockBits === 0 ? 0 : (hi >>> blockShift) * words;
    if (
      ((filter[base + (h >>> 28)]! >>> (h >>> 23)) &
        (filter[base + ((h >>> 19) & 15)]! >>> (h >>> 14)) &
        (filter[base + ((h >>> 10) & 15)]! >>> (h >>> 5)) &
        1) ===
        1 &&
      // Rare (a filter false positive or a hit): the value is finished here, and only here.
      find(list, topBits(hi, mix(hashes[t + 1]! ^ hi), bits)) >= 0
    )
      return s;
  }
  return -1;
}

/** First index of `value` among the list's fingerprints, or -1 (also for values out of range). */
function findFirst(list: CompiledList, value: number): number {
  const bucket = Math.floor(value * list.inverseBucketWidth);
  if (!(bucket >= 0 && bucket < list.bucketStart.length - 1)) return -1;
  for (let i = list.bucketStart[bucket]!, end = list.bucketStart[bucket + 1]!; i < end; i++) {
    const v = list.fingerprints[i]!;
    if (v >= value) return v === value ? i : -1;
  }
  return -1;
}

/**
 * A long block offers more chances of chance matches, so it needs more evidence: one more
 * matching passage per 1,000 distinct fingerprints in the block.
 */
export function requiredMatches(threshold: number, blockFingerprints: number): number {
  return threshold + Math.floor(blockFingerprints / 1000);
}

/** Entry index -> what matched in the block (hashtag spellings or link hosts). */
type Hits = Map<number, string[]>;

function addHit(hits: Hits, entry: number, evidence: string): void {
  hits.set(entry, [...(hits.get(entry) ?? []), evidence]);
}

/** Appends a finding per entry of `hits`; nothing for a block that hit nothing (most). */
function addItemFindings(
  list: CompiledList,
  kind: 'hashtag' | 'url',
  hits: Hits | undefined,
  total: number,
  findings: Finding[],
): void {
  if (hits === undefined) return;
  for (const [e, evidence] of hits) {
    findings.push({
      kind,
      listId: list.listId,
      entry: list.meta.entries[e]!.id,
      strength: { matched: evidence.length, total },
      evidence: kind === 'hashtag' ? `#${evidence[0]}` : evidence[0],
    });
  }
}

export function matchFeatures(lists: readonly CompiledList[], features: BlockFeatures): Finding[] {
  const findings: Finding[] = [];
  for (const list of lists) {
    if (features.hashtags.length > 0) hashtagFindings(list, features.hashtags, findings);
    if (features.urls.length > 0) urlFindings(list, features.urls, findings);
    const fps = features.fingerprints[list.paramsKey];
    if (fps !== undefined && list.fingerprints.length > 0) fingerprintFindings(list, fps, findings);
  }
  return findings;
}

function hashtagFindings(list: CompiledList, hashtags: readonly string[], findings: Finding[]): void {
  let hits: Hits | undefined;
  for (const tag of hashtags) {
    const listed = list.hashtags.get(tag);
    if (listed === undefined) continue;
    hits ??= new Map();
    for (const { entry, spelling } of listed) addHit(hits, entry, spelling);
  }
  addItemFindings(list, 'hashtag', hits, hashtags.length, findings);
}

/** Whether a link of this host (plainLinkHost) can match none of the list's link patterns. */
function noPatternFor(list: CompiledList, host: string): boolean {
  for (const candidate of hostCandidates(host)) if (list.urlPatterns.has(candidate)) return false;
  return true;
}

function urlFindings(list: CompiledList, urls: readonly string[], findings: Finding[]): void {
  if (list.urlPatterns.size === 0) return;
  let hits: Hits | undefined;
  for (const href of urls) {
    // The URL parser costs ~1.5 us a link; most links' hosts are in no pattern of the list.
    const host = plainLinkHost(href);
    if (host !== null && noPatternFor(list, host)) continue;
    const link = parseLink(href);
    if (!link) continue;
    for (const host of hostCandidates(link.host)) {
      for (const p of list.urlPatterns.get(host) ?? []) {
        if (!pathMatches(link.path, p.path)) continue;
        hits ??= new Map();
        addHit(hits, p.entry, link.host);
      }
    }
  }
  addItemFindings(list, 'url', hits, urls.length, findings);
}

function fingerprintFindings(
  list: CompiledList,
  fps: readonly number[],
  findings: Finding[],
  firstHit = 0,
): void {
  // Nearly every block matches nothing: find the first hit before allocating anything.
  const { filter } = list;
  const inverse = 1 / list.filterBlockWidth;
  const keyScale = filterKeyScale(list.params.bits);
  let position = firstHit;
  for (; position < fps.length; position++) {
    const fp = fps[position]!;
    if (mayHold(filter, inverse, keyScale, fp) && findFirst(list, fp) >= 0) break;
  }
  if (position === fps.length) return;

  const evidence = new Map<number, { distinct: Set<number>; words: number; coveredTo: number }>();
  const k = list.params.k;
  for (; position < fps.length; position++) {
    const fp = fps[position]!;
    if (!mayHold(filter, inverse, keyScale, fp)) continue;
    let i = findFirst(list, fp);
    if (i < 0) continue;
    for (; i < list.fingerprints.length && list.fingerprints[i] === fp; i++) {
      const e = list.fingerprintEntry === null ? 0 : list.fingerprintEntry[i]!;
      const seen = evidence.get(e) ?? { distinct: new Set<number>(), words: 0, coveredTo: 0 };
      evidence.set(e, seen);
      seen.distinct.add(fp);
      // Union of the words under matching shingles; positions only grow, so one end suffices.
      const end = position + k;
      seen.words += Math.min(k, end - Math.max(position, seen.coveredTo));
      seen.coveredTo = end;
    }
  }
  const distinctInBlock = new Set(fps).size;
  const needed = requiredMatches(list.params.threshold, distinctInBlock);
  for (const [e, seen] of evidence) {
    if (seen.distinct.size < needed || seen.words < list.params.minWords) continue;
    findings.push({
      kind: 'fingerprint',
      listId: list.listId,
      entry: list.meta.entries[e]!.id,
      strength: { matched: seen.distinct.size, total: distinctInBlock },
    });
  }
}

/** The distinct fingerprint parameters of the lists: what extractFeatures must compute for them. */
export function paramSetsOf(lists: readonly CompiledList[]): FingerprintParams[] {
  return [...new Map(lists.map((l) => [l.paramsKey, l.params])).values()];
}

/**
 * What matchFeatures(lists, extractFeatures(text, links, paramSetsOf(lists))) finds, in the same
 * order, without building the fingerprint array of a block that has no listed fingerprint: the
 * background's and the CLI's way to match one block.
 */
export function scanBlock(
  lists: readonly CompiledList[],
  text: string,
  links: readonly string[] = [],
): Finding[] {
  const { hashtags, urls, scanned } = readBlock(text, links);
  const n = scanned.tokenCount;
  const findings: Finding[] = [];
  let fingerprints: Map<string, number[]> | undefined;
  // Lists of the same k probe the same shingles: hashed once, until fingerprintsOfLanes below
  // writes finished pairs over them (the same scratch).
  let hashedK = -1;
  let hashes: Uint32Array | undefined;
  for (const list of lists) {
    if (hashtags.length > 0) hashtagFindings(list, hashtags, findings);
    if (urls.length > 0) urlFindings(list, urls, findings);
    const { k } = list.params;
    const count = shingleCount(n, k);
    if (list.fingerprints.length === 0 || count === 0) continue;
    if (hashes === undefined || hashedK !== k) {
      hashes = shingleProbesInto(scanned.lanes, n, k);
      hashedK = k;
    }
    const first = firstListedShingle(list, hashes, count);
    if (first < 0) continue;
    fingerprints ??= new Map();
    let fps = fingerprints.get(list.paramsKey);
    if (fps === undefined) {
      fps = fingerprintsOfLanes(scanned.lanes, n, k, list.params.bits);
      fingerprints.set(list.paramsKey, fps);
      hashedK = -1;
    }
    fingerprintFindings(list, fps, findings, first);
  }
  return findings;
}
