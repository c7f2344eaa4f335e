import type { FingerprintParams } from '../utils/list-schema';
import { type BlockFeatures, extractFeatures, paramsKeyOf } from '../utils/matcher';
import { analyse } from '../utils/normalise';

/**
 * extractFeatures for a long text in steps of about `stepChars` characters, so that a page with a
 * giant block cannot make one slice of the content script long. The generator yields after each
 * step and returns what extractFeatures(text, links, paramSets) returns (fingerprints identical and
 * in order; the same hashtags and links), cut at `maxFingerprints` per parameter set.
 *
 * The text is cut just before an ASCII space, tab or line break, which no token, hashtag or link
 * spans. Each step after the first re-reads the tail of the text before it (at least k - 1 tokens)
 * so that shingles across the cut are fingerprinted, then drops the fingerprints of the shingles
 * that lie wholly in that tail: the step before produced them.
 */
export function* extractFeaturesInSteps(
  text: string,
  links: readonly string[],
  paramSets: readonly FingerprintParams[],
  stepChars: number,
  maxFingerprints: number,
): Generator<void, BlockFeatures, void> {
  if (text.length <= stepChars) return clamp(extractFeatures(text, links, paramSets), maxFingerprints);
  const kOf = new Map(paramSets.map((p) => [paramsKeyOf(p), p.k]));
  const kMax = Math.max(1, ...kOf.values());
  const hashtags = new Set<string>();
  const urls = new Set<string>();
  const fingerprints: Record<string, number[]> = {};
  let start = 0;
  let tailStart = 0;
  while (start < text.length) {
    const end = cutBefore(text, start, stepChars);
    const tail = text.slice(tailStart, start);
    const tailTokens = tail ? analyse(tail).tokens.length : 0;
    const step = tail + text.slice(start, end);
    const f = extractFeatures(step, start === 0 ? links : [], paramSets);
    for (const tag of f.hashtags) hashtags.add(tag);
    for (const url of f.urls) urls.add(url);
    // A text of fewer than k tokens has one shingle of them all (utils/shingle.ts): wanted only
    // when the whole text is that short, which the last step then holds entirely.
    let stepTokens: number | undefined;
    const noTokensBefore = (at: number) => at === 0 || analyse(text.slice(0, at)).tokens.length === 0;
    const tokensOf = () => {
      stepTokens ??= analyse(step).tokens.length;
      return stepTokens;
    };
    let full = kOf.size > 0;
    for (const [key, k] of kOf) {
      const into = fingerprints[key] ?? [];
      fingerprints[key] = into;
      const fresh = f.fingerprints[key] ?? [];
      let from = Math.max(0, tailTokens - k + 1);
      if (fresh.length === 1 && tokensOf() < k)
        from = end === text.length && noTokensBefore(tailStart) ? 0 : 1;
      for (let i = from; i < fresh.length && into.length < maxFingerprints; i++) into.push(fresh[i]!);
      if (into.length < maxFingerprints) full = false;
    }
    if (full) break;
    tailStart = tailBefore(text, end, kMax - 1);
    start = end;
    if (start < text.length) yield;
  }
  return { hashtags: [...hashtags], urls: [...urls], fingerprints };
}

/** Cut in place: the lists are extractFeatures' own, and copying each block's was garbage. */
function clamp(f: BlockFeatures, maxFingerprints: number): BlockFeatures {
  for (const values of Object.values(f.fingerprints))
    if (values.length > maxFingerprints) values.length = maxFingerprints;
  return f;
}

const isCut = (code: number) => code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;

/** End of the step that starts at `start`: before the last cut point within `stepChars`, or further on. */
function cutBefore(text: string, start: number, stepChars: number): number {
  const limit = start + stepChars;
  if (limit >= text.length) return text.length;
  for (let i = limit; i > start; i--) if (isCut(text.charCodeAt(i))) return i;
  // No cut point in the whole step (one enormous word): the next one, wherever it is.
  for (let i = limit + 1; i < text.length; i++) if (isCut(text.charCodeAt(i))) return i;
  return text.length;
}

/**
 * Start of the shortest tail of text[0, end) that begins at a cut point and holds at least `tokens`
 * tokens (or all of it): the words a shingle crossing `end` may start in.
 */
function tailBefore(text: string, end: number, tokens: number): number {
  if (tokens <= 0) return end;
  for (let words = 4 * tokens; ; words *= 4) {
    let at = end;
    for (let seen = 0; at > 0 && seen < words; seen++) {
      at--;
      while (at > 0 && !isCut(text.charCodeAt(at))) at--;
    }
    if (at === 0 || analyse(text.slice(at, end)).tokens.length >= tokens) return at;
  }
}
