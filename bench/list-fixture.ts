/**
 * The benchmarks' 1M-fingerprint list, made the same way every time: the winnowed fingerprints of
 * 2 MB of generated "leaked" prose, topped up with seeded random fingerprints, plus a leak's worth
 * of hashtags and one link pattern. Passages of the leak prose (`leakQuotes`) are what generated
 * pages quote so that the hit path runs too. Shared by bench/run.ts and bench/browser.
 */
import { buildMeta } from '../cli/meta';
import { bitsFor, DEFAULT_K, DEFAULT_W } from '../utils/builder';
import type { DecodedList, FingerprintParams } from '../utils/list-schema';
import { tokenise } from '../utils/normalise';
import { shingleFingerprints, winnow } from '../utils/shingle';
import { makeCorpus, makeHashtags, rng, u32 } from './corpus';

export const LIST_SIZE = 1_000_000;
export const HASHTAG_COUNT = 300;
export const LEAK_URL_PATTERN = 'leaks.example.net/dump';
/** The seeds bench/run.ts uses for the same pieces, so both benches see the same list. */
export const LIST_SEEDS = { leak: 3, list: 4, hashtags: 5 } as const;

export function paramsFor(count: number): FingerprintParams {
  return {
    algorithm: 'lw-shingle64-v1',
    k: DEFAULT_K,
    w: DEFAULT_W,
    bits: bitsFor(count),
    threshold: 5,
    minWords: 13,
  };
}

/** Sorted distinct random fingerprints below 2^bits, `count` of them, including every value of `include`. */
export function randomFingerprints(
  count: number,
  bits: number,
  seed: number,
  include?: Float64Array,
): Float64Array {
  const random = rng(seed);
  const high = 2 ** (bits - 32);
  const draw = () => Math.floor(random() * high) * 4294967296 + u32(random);
  const base = include ?? new Float64Array(0);
  let values = new Float64Array(count);
  values.set(base.subarray(0, count));
  for (let i = base.length; i < count; i++) values[i] = draw();
  for (;;) {
    values.sort();
    let n = 0;
    for (let i = 0; i < values.length; i++)
      if (i === 0 || values[i] !== values[n - 1]) values[n++] = values[i]!;
    if (n === count) return values.subarray(0, n);
    // collisions (about n^2 / 2^(bits+1)): top up and sort again
    const more = new Float64Array(count);
    more.set(values.subarray(0, n));
    for (let i = n; i < count; i++) more[i] = draw();
    values = more;
  }
}

export function makeList(
  fingerprints: Float64Array,
  params: FingerprintParams,
  hashtags: string[],
  version = 1,
): DecodedList {
  const meta = buildMeta({
    input: undefined,
    params,
    fingerprintCount: fingerprints.length,
    hashtags,
    urls: [LEAK_URL_PATTERN],
    version,
    validDays: 90,
    now: Date.now(),
  });
  return { meta, fingerprints: [fingerprints] };
}

export interface LeakList {
  list: DecodedList;
  hashtags: string[];
  /** 500 passages of 40-120 words of the leak prose: quoting one gets a block flagged. */
  leakQuotes: string[];
  leakFingerprints: Float64Array;
}

export function makeLeakList(size = LIST_SIZE, version = 1): LeakList {
  const hashtags = makeHashtags(LIST_SEEDS.hashtags, HASHTAG_COUNT);
  const params = paramsFor(size);
  const leak = makeCorpus(2e6, { seed: LIST_SEEDS.leak });
  const leakFps = new Set<number>();
  for (const b of leak.blocks) {
    for (const fp of winnow(shingleFingerprints(tokenise(b), params.k, params.bits), params.w))
      leakFps.add(fp);
  }
  const random = rng(LIST_SEEDS.leak + 100);
  const leakQuotes = leak.blocks.slice(0, 500).map((b) => {
    const words = b.split(' ');
    const len = Math.min(words.length, 40 + Math.floor(random() * 80));
    const at = Math.floor(random() * (words.length - len + 1));
    return words.slice(at, at + len).join(' ');
  });
  const leakFingerprints = Float64Array.from(leakFps).sort();
  const fingerprints = randomFingerprints(size, params.bits, LIST_SEEDS.list, leakFingerprints);
  return { list: makeList(fingerprints, params, hashtags, version), hashtags, leakQuotes, leakFingerprints };
}
