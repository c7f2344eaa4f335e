import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractFeaturesInSteps } from '../../lib/features-in-steps';
import type { FingerprintParams } from '../../utils/list-schema';
import { type BlockFeatures, extractFeatures, paramsKeyOf } from '../../utils/matcher';

/**
 * The content script extracts the features of a long block in steps (lib/features-in-steps.ts):
 * the result must be exactly what one extractFeatures call gives, whatever the step size.
 */

const K5: FingerprintParams = {
  algorithm: 'lw-shingle64-v1',
  k: 5,
  w: 2,
  bits: 40,
  threshold: 5,
  minWords: 13,
};
const K3: FingerprintParams = { ...K5, k: 3, bits: 36 };

function run(
  text: string,
  links: string[],
  params: FingerprintParams[],
  step: number,
  max = Number.POSITIVE_INFINITY,
): { features: BlockFeatures; steps: number } {
  const gen = extractFeaturesInSteps(text, links, params, step, max);
  let steps = 1;
  for (let r = gen.next(); ; r = gen.next(), steps++) if (r.done) return { features: r.value, steps };
}

function expectSame(stepped: BlockFeatures, whole: BlockFeatures, max = Number.POSITIVE_INFINITY) {
  expect(Object.keys(stepped.fingerprints).sort()).toEqual(Object.keys(whole.fingerprints).sort());
  for (const [key, values] of Object.entries(whole.fingerprints))
    expect(stepped.fingerprints[key], key).toEqual(values.slice(0, max));
  if (max === Number.POSITIVE_INFINITY) {
    expect(new Set(stepped.hashtags)).toEqual(new Set(whole.hashtags));
    expect(new Set(stepped.urls)).toEqual(new Set(whole.urls));
  }
}

// Words, punctuation-only words, accents, look-alikes, zero-width joins, hashtags and links,
// separated by the whitespace a page has (including runs, tabs, line breaks, no-break spaces).
const word = fc.oneof(
  fc.constantFrom(
    'the',
    'vote',
    'Élection',
    'l’équipe',
    'MACRON',
    'rаpport',
    'pre\u200bview',
    '2017-05-05',
    'é',
  ),
  fc.constantFrom('—', '...', '«', '»', '(ok)', '!!', '-'),
  fc.constantFrom(
    '#MacronLeaks',
    '#Macron\u2060Leaks',
    'https://leaks.example.net/dump/a.zip',
    'www.example.org/x',
  ),
  fc.stringMatching(/^[a-zà-ÿ]{1,9}$/),
);
const gap = fc.constantFrom(' ', ' ', ' ', '  ', '\n', '\t', '\u00a0', ' \n ', '\r\n');
const text = fc
  .array(fc.tuple(word, gap), { minLength: 0, maxLength: 400 })
  .map((parts) => parts.map(([w, g]) => w + g).join(''));

describe('extractFeaturesInSteps', () => {
  it('gives exactly the features of one extractFeatures call, for any step size', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 400 }), (t, step) => {
        const links = ['https://news.example/a', 'https://leaks.example.net/dump/b'];
        const whole = extractFeatures(t, links, [K5, K3]);
        expectSame(run(t, links, [K5, K3], step).features, whole);
      }),
      { numRuns: 300 },
    );
  });

  it('stops at the fingerprint cap with the first fingerprints, in order', () => {
    fc.assert(
      fc.property(
        text,
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 300 }),
        (t, step, max) => {
          const whole = extractFeatures(t, [], [K5]);
          expectSame(run(t, [], [K5], step, max).features, whole, max);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('takes steps of about the given size on a long text, and one on a short one', () => {
    const long = 'the campaign treasurer asked that the transfer be delayed '.repeat(2_000);
    const { features, steps } = run(long, [], [K5], 8_192);
    expect(steps).toBe(Math.ceil(long.length / 8_192));
    expect(features.fingerprints[paramsKeyOf(K5)]).toEqual(
      extractFeatures(long, [], [K5]).fingerprints[paramsKeyOf(K5)],
    );
    expect(run('a short post #MacronLeaks', [], [K5], 8_192).steps).toBe(1);
    // One word longer than a step is not cut.
    const giantWord = `${'x'.repeat(20_000)} then words after it`;
    expectSame(run(giantWord, [], [K5], 1_000).features, extractFeatures(giantWord, [], [K5]));
  });
});
