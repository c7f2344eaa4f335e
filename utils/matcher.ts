import { hashtagsInLink, hostCandidates, parseLink, parseUrlPattern, pathMatches, urlsInText } from './links';
import type { DecodedList, FingerprintParams, ListMeta } from './list-schema';
import { analyse, normaliseHashtag } from './normalise';
import { shingleFingerprints } from './shingle';

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
  /** All fingerprints of all entries, sorted; fingerprintEntry[i] is the entry of fingerprints[i]. */
  fingerprints: Float64Array;
  fingerprintEntry: Uint32Array;
  /**
   * Bucket directory over the sorted fingerprints: bucket b (the top bits of a fingerprint) spans
   * fingerprints[bucketStart[b] .. bucketStart[b + 1]), about one fingerprint per bucket, so a
   * lookup reads two directory slots and one or two values instead of ~20 binary-search steps.
   */
  bucketStart: Uint32Array;
  bucketWidth: number;
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

export function paramsKeyOf(p: FingerprintParams): string {
  return `${p.algorithm}:${p.k}:${p.w}:${p.bits}`;
}

export function compileList(list: DecodedList): CompiledList {
  const { meta } = list;
  const total = list.fingerprints.reduce((s, f) => s + f.length, 0);
  const pairs = new Float64Array(total);
  const owners = new Uint32Array(total);
  let at = 0;
  list.fingerprints.forEach((fps, entry) => {
    pairs.set(fps, at);
    owners.fill(entry, at, at + fps.length);
    at += fps.length;
  });
  const order = sortedOrder(pairs);
  const fingerprints = new Float64Array(total);
  const fingerprintEntry = new Uint32Array(total);
  order.forEach((from, to) => {
    fingerprints[to] = pairs[from]!;
    fingerprintEntry[to] = owners[from]!;
  });

  const { bucketStart, bucketWidth } = bucketDirectory(fingerprints, meta.fingerprint.bits);
  const hashtags = new Map<string, { entry: number; spelling: string }[]>();
  const urlPatterns = new Map<string, { path: string; entry: number }[]>();
  meta.entries.forEach((entry, i) => {
    for (const tag of entry.hashtags) {
      const key = normaliseHashtag(tag);
      if (key) hashtags.set(key, [...(hashtags.get(key) ?? []), { entry: i, spelling: tag }]);
    }
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
    fingerprints,
    fingerprintEntry,
    bucketStart,
    bucketWidth,
    hashtags,
    urlPatterns,
  };
}

function sortedOrder(values: Float64Array): Uint32Array {
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => values[a]! - values[b]!);
}

export function extractFeatures(
  text: string,
  links: readonly string[],
  paramSets: readonly FingerprintParams[],
): BlockFeatures {
  const allLinks = [...new Set([...links, ...urlsInText(text)])];
  const { tokens, hashtags: inText } = analyse(text);
  const hashtags = new Set(inText);
  for (const link of allLinks) for (const tag of hashtagsInLink(link)) hashtags.add(tag);
  const fingerprints: Record<string, number[]> = {};
  if (paramSets.length > 0) {
    for (const p of paramSets) {
      const key = paramsKeyOf(p);
      if (!fingerprints[key]) fingerprints[key] = Array.from(shingleFingerprints(tokens, p.k, p.bits));
    }
  }
  return { hashtags: [...hashtags], urls: allLinks, fingerprints };
}

function bucketDirectory(
  sorted: Float64Array,
  bits: number,
): { bucketStart: Uint32Array; bucketWidth: number } {
  // Capped at 2^22 slots (16 MB): past 4M fingerprints buckets hold a few values each.
  const directoryBits = Math.min(bits, 22, Math.max(1, Math.ceil(Math.log2(sorted.length + 1))));
  const bucketWidth = 2 ** (bits - directoryBits);
  const buckets = 2 ** directoryBits;
  const bucketStart = new Uint32Array(buckets + 1);
  for (const fp of sorted) bucketStart[Math.floor(fp / bucketWidth) + 1]!++;
  for (let b = 0; b < buckets; b++) bucketStart[b + 1]! += bucketStart[b]!;
  return { bucketStart, bucketWidth };
}

/** First index of `value` among the list's fingerprints, or -1 (also for values out of range). */
function findFirst(list: CompiledList, value: number): number {
  const bucket = Math.floor(value / list.bucketWidth);
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

function itemFindings(list: CompiledList, kind: 'hashtag' | 'url', hits: Hits, total: number): Finding[] {
  return [...hits].map(([e, evidence]) => ({
    kind,
    listId: list.listId,
    entry: list.meta.entries[e]!.id,
    strength: { matched: evidence.length, total },
    evidence: kind === 'hashtag' ? `#${evidence[0]}` : evidence[0],
  }));
}

export function matchFeatures(lists: readonly CompiledList[], features: BlockFeatures): Finding[] {
  const findings: Finding[] = [];
  for (const list of lists) {
    const entries = list.meta.entries;
    const tagHits: Hits = new Map();
    for (const tag of features.hashtags) {
      for (const { entry, spelling } of list.hashtags.get(tag) ?? []) addHit(tagHits, entry, spelling);
    }
    findings.push(...itemFindings(list, 'hashtag', tagHits, features.hashtags.length));

    const urlHits: Hits = new Map();
    for (const href of features.urls) {
      const link = parseLink(href);
      if (!link) continue;
      for (const host of hostCandidates(link.host)) {
        for (const p of list.urlPatterns.get(host) ?? []) {
          if (pathMatches(link.path, p.path)) addHit(urlHits, p.entry, link.host);
        }
      }
    }
    findings.push(...itemFindings(list, 'url', urlHits, features.urls.length));

    const fps = features.fingerprints[list.paramsKey] ?? [];
    if (fps.length === 0 || list.fingerprints.length === 0) continue;
    const evidence = new Map<number, { distinct: Set<number>; words: number; coveredTo: number }>();
    const k = list.params.k;
    fps.forEach((fp, position) => {
      let i = findFirst(list, fp);
      if (i < 0) return;
      for (; i < list.fingerprints.length && list.fingerprints[i] === fp; i++) {
        const e = list.fingerprintEntry[i]!;
        const seen = evidence.get(e) ?? { distinct: new Set<number>(), words: 0, coveredTo: 0 };
        evidence.set(e, seen);
        seen.distinct.add(fp);
        // Union of the words under matching shingles; positions only grow, so one end suffices.
        const end = position + k;
        seen.words += Math.min(k, end - Math.max(position, seen.coveredTo));
        seen.coveredTo = end;
      }
    });
    const distinctInBlock = new Set(fps).size;
    const needed = requiredMatches(list.params.threshold, distinctInBlock);
    for (const [e, seen] of evidence) {
      if (seen.distinct.size < needed || seen.words < list.params.minWords) continue;
      findings.push({
        kind: 'fingerprint',
        listId: list.listId,
        entry: entries[e]!.id,
        strength: { matched: seen.distinct.size, total: distinctInBlock },
      });
    }
  }
  return findings;
}

/** Convenience for the CLI and tests: extract and match one block in one call. */
export function scanBlock(
  lists: readonly CompiledList[],
  text: string,
  links: readonly string[] = [],
): Finding[] {
  const params = [...new Map(lists.map((l) => [l.paramsKey, l.params])).values()];
  return matchFeatures(lists, extractFeatures(text, links, params));
}
