import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import {
  extractHashtags,
  normalise,
  normaliseHashtag,
  simpleReplacement,
  tokenise,
} from '../../utils/normalise';
import { check, FuzzCounter } from './helpers/fuzz';

/**
 * Fuzzing of the normaliser beyond normalise.test.ts (which checks 3,000 random strings per
 * property and every single code point): mutations of real evasion spellings, strings built
 * around the 64 KiB chunk boundary of its output buffer, and the promise the fused scanners rely
 * on (a string of "simple" code points normalises to the concatenation of their forms).
 */

const counter = new FuzzCounter();
afterAll(() => console.log(counter.summary('fuzz-normalise')));

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;

/** Well-formed UTF-16: every surrogate is half of a pair. */
function wellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return false;
  }
  return true;
}

function checkNormalForm(text: string): string {
  const once = normalise(text);
  check(normalise(once) === once, () => `not idempotent on ${JSON.stringify(text)}`);
  check(wellFormed(once), () => `ill-formed output for ${JSON.stringify(text)}`);
  check(!IGNORABLE.test(once), () => `ignorable left in the output for ${JSON.stringify(text)}`);
  return once;
}

/** How people spell the hashtag to get past filters, and text around it. */
const SEEDS = [
  '#MacronLeaks',
  '#ＭａｃｒｏｎＬｅａｋｓ',
  '#Macron\u200bLeaks',
  '#МасronLеaks',
  '#M\u0301acronLeaks',
  '#macron_leaks #MacronGate',
  '＃MacronLeaks',
  'Les #MacronLeaks sont là : https://leaks.example.net/dump',
  '𝐌𝐚𝐜𝐫𝐨𝐧𝐋𝐞𝐚𝐤𝐬 𝕄𝕒𝕔𝕣𝕠𝕟',
  'ﬁchiers ǅ İstanbul ΣΑΣ ß ẞ',
  '한국어 텍스트 \u1100\u1161\u11a8',
  'हिन्दी ক্ষ ஒ ொ',
  '\ud83d\ude00 emoji \ud83c\uddeb\ud83c\uddf7 flags',
];

/** Code units that interact: marks, joiners, ignorables, Hangul jamo, both surrogate halves. */
const NASTY = [
  '\u0301',
  '\u0308',
  '\u0338',
  '\u093f',
  '\u094d',
  '\u200b',
  '\u200d',
  '\u00ad',
  '\u2060',
  '\ufeff',
  '\ufe0f',
  '\u180b',
  '\u115f',
  '\u1161',
  '\u11a8',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '#',
  '＃',
  '_',
  ' ',
  '\n',
];

type Edit =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'repeat'; at: number; length: number; times: number }
  | { kind: 'upper' | 'lower' | 'nfd'; at: number; length: number };

const unit = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
);
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 6 }),
    times: fc.integer({ min: 2, max: 5 }),
  }),
  fc.record({
    kind: fc.constantFrom('upper' as const, 'lower' as const, 'nfd' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 12 }),
  }),
);

/** Edits by code unit: they split surrogate pairs and separate marks from their bases on purpose. */
function applyEdits(seed: string, edits: readonly Edit[]): string {
  let text = seed;
  for (const e of edits) {
    const at = e.at % (text.length + 1);
    const before = text.slice(0, at);
    if (e.kind === 'insert') text = before + e.text + text.slice(at);
    else if (e.kind === 'delete') text = before + text.slice(at + e.length);
    else if (e.kind === 'repeat')
      text = before + text.slice(at, at + e.length).repeat(e.times) + text.slice(at + e.length);
    else {
      const part = text.slice(at, at + e.length);
      const changed =
        e.kind === 'upper'
          ? part.toUpperCase()
          : e.kind === 'lower'
            ? part.toLowerCase()
            : part.normalize('NFD');
      text = before + changed + text.slice(at + e.length);
    }
  }
  return text;
}

describe('normaliser fuzzing', () => {
  it('is total, idempotent and well-formed on mutated evasion spellings', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS),
        fc.array(edit, { minLength: 1, maxLength: 8 }),
        counter.count('normalise: mutated evasion spellings', (seed, edits) => {
          const text = applyEdits(seed, edits);
          checkNormalForm(text);
          for (const tag of extractHashtags(text)) {
            check(normaliseHashtag(tag) === tag, () => `hashtag ${JSON.stringify(tag)} not in normal form`);
          }
          tokenise(text);
        }),
      ),
      { numRuns: 20_000, seed: 601 },
    );
  });

  it('is total and idempotent across the 64 KiB boundary of its output buffer', () => {
    // ASCII fills the buffer a byte per unit, so the random tail lands on the chunk boundary.
    const nearBoundary = fc
      .tuple(fc.integer({ min: 65_500, max: 65_540 }), fc.string({ unit, minLength: 1, maxLength: 40 }))
      .map(([fill, tail]) => 'a'.repeat(fill) + tail + 'b'.repeat(8));
    fc.assert(
      fc.property(
        nearBoundary,
        counter.count('normalise: 64 KiB chunk boundary', (text) => {
          checkNormalForm(text);
        }),
      ),
      { numRuns: 100, seed: 602 },
    );
  });

  it('gives a string of simple code points the concatenation of their forms (what fused scanners assume)', () => {
    const codePoint = fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }),
      fc.integer({ min: 0xa0, max: 0x2fff }),
      fc.integer({ min: 0x3000, max: 0xffff }),
      fc.integer({ min: 0x10000, max: 0x10ffff }),
    );
    fc.assert(
      fc.property(
        fc.array(codePoint, { maxLength: 24 }),
        counter.count('simpleReplacement: concatenation matches normalise', (codePoints) => {
          // A high then a low surrogate code point would be one other code point once in a string.
          const simple = codePoints.filter(
            (cp, i) =>
              simpleReplacement(cp) !== null &&
              !(cp >= 0xdc00 && cp <= 0xdfff && codePoints[i - 1]! >= 0xd800 && codePoints[i - 1]! <= 0xdbff),
          );
          const text = String.fromCodePoint(...simple);
          const expected = simple.map((cp) => simpleReplacement(cp)).join('');
          check(normalise(text) === expected, () => `fused form differs for ${JSON.stringify(text)}`);
        }),
      ),
      { numRuns: 15_000, seed: 603 },
    );
  });
});
