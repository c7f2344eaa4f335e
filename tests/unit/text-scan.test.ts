import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractHashtags, tokenise } from '../../utils/normalise';
import { fingerprintsOfLanes, shingleFingerprints, tokenLanesOf } from '../../utils/shingle';
import { scanText } from '../../utils/text-scan';

// Characters whose normal form interacts with neighbours (marks, jamo, surrogates, ignorables), the
// hashtag characters, ASCII letters the normaliser rewrites, and everyday French and Latin letters.
const TRICKY = [
  ...Array.from('aeImM0l1iIo#＃_ \'"`%-.,/wWΣσςİıßẞﬁÅÅКкМмаΜμｍᴍʍǅωー一י가한\u{1d400}\ufdfa\u2126'),
  ...Array.from('éèêàçôùœÉÈÀÇŒ«»’–—…\u00a0\u202f'),
  ...Array.from('\u0301\u0308\u0338\u0345\u093f\u094d\u0b3e\u0b47\u0bbe\u0bc6\u302e'),
  ...Array.from('\u200b\u200c\u200d\u00ad\u2060\ufeff\u{e0041}\ufe0f\u180b\u115f\u3164'),
  ...Array.from('\u1100\u1161\u11a8\u11ab\u1173\u3131'),
  '\ud800',
  '\udc00',
  '\u{1f600}',
];
const tricky = fc.string({ unit: fc.constantFrom(...TRICKY), maxLength: 40 });
const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const words = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'le',
        'mémo',
        'Élysée',
        '#MacronLeaks',
        'a#b',
        '##x',
        'naïve',
        'x_y',
        'WWW.x.fr',
        'a/b',
        '#w.',
      ),
      tricky,
    ),
    {
      maxLength: 30,
    },
  )
  .map((parts) => parts.join(' '));
const anyText = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  codeUnits,
  tricky,
  words,
);

function expectSameAsReference(text: string): void {
  const scanned = scanText(text);
  const tokens = tokenise(text);
  expect(scanned.tokenCount).toBe(tokens.length);
  expect(Array.from(scanned.lanes.subarray(0, scanned.tokenCount * 2))).toEqual(
    Array.from(tokenLanesOf(tokens)),
  );
  expect(scanned.hashtags).toEqual(extractHashtags(text));
  expect(scanned.mayHoldUrl).toBe(/\/|[wW]\./.test(text));
  expect(fingerprintsOfLanes(scanned.lanes, scanned.tokenCount, 5, 41)).toEqual(
    Array.from(shingleFingerprints(tokens, 5, 41)),
  );
}

describe('scanText: the fused scan equals tokenise + extractHashtags + shingleFingerprints', () => {
  it('on examples that exercise each branch', () => {
    for (const text of [
      '',
      'Le mémo de l’Élysée #MacronLeaks #macronleaks ＃ＭａｃｒｏｎＬｅａｋｓ',
      'Mac\u200bron #Ma\u200dcronLeaks rn m MM I l 1 0 O',
      'a#b ##x #_ #é x_y',
      'w. W.x https://a.org/b #w.x #x/y Www. .w /',
      '가한 \u1100\u1161\u11a8 e\u0301 \u093f',
      '\ud800 \udc00 \u{1f600} \u{1d400}',
      'x'.repeat(5000),
      'é'.repeat(3000),
    ]) {
      expectSameAsReference(text);
    }
  });

  // Planes 4 to 13 and 15 to 16 hold no assigned character (and run the same code as plane 3's gaps).
  it('for every code point of planes 0 to 3 and 14, between letters and after a #', () => {
    const starts = [0, 0x10000, 0x20000, 0x30000, 0xe0000];
    for (let from = 0; from < 0xf0000; from += 256) {
      if (!starts.some((plane) => from >= plane && from < plane + 0x10000)) continue;
      let text = '';
      for (let cp = from; cp < from + 256; cp++) {
        const char = String.fromCodePoint(cp);
        text += `x${char}y #${char}z ${char} `;
      }
      expectSameAsReference(text);
    }
  });

  it('on arbitrary strings (property)', () => {
    fc.assert(fc.property(anyText, expectSameAsReference), { numRuns: 3000 });
  });

  it('shingles of short texts and other widths', () => {
    fc.assert(
      fc.property(
        words,
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 24, max: 53 }),
        (text, k, bits) => {
          const scanned = scanText(text);
          expect(fingerprintsOfLanes(scanned.lanes, scanned.tokenCount, k, bits)).toEqual(
            Array.from(shingleFingerprints(tokenise(text), k, bits)),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
