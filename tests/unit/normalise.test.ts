import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  extractHashtags,
  NORMALISER_VERSION,
  normalise,
  normaliseHashtag,
  tokenise,
} from '../../utils/normalise';

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const TOKEN = /^[\p{L}\p{N}\p{M}]+$/u;

// Characters that interact across boundaries: ignorables between a base and its mark, Hangul jamo that
// (re)compose, final sigma, dotted I, Indic split vowels, confusables, and the hashtag characters themselves.
const TRICKY = [
  ...Array.from('aeImM0l1iIo#＃_ \'"`%-.ΣσςİıßẞﬁÅÅКкМмаΜμｍᴍʍǅωー一י가한\u{1d400}\ufdfa\u2126'),
  ...Array.from('\u0301\u0308\u0338\u0345\u093f\u094d\u0b3e\u0b47\u0bbe\u0bc6\u302e'),
  ...Array.from('\u200b\u200c\u200d\u00ad\u2060\ufeff\u{e0041}\ufe0f\u180b\u115f\u3164'),
  ...Array.from('\u1100\u1161\u11a8\u11ab\u1173\u3131'),
  '\ud800',
  '\udc00',
];
const tricky = fc.string({ unit: fc.constantFrom(...TRICKY), maxLength: 12 });
const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const anyText = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), codeUnits, tricky);

describe('normalise', () => {
  it('is version 1', () => {
    expect(NORMALISER_VERSION).toBe(1);
  });

  // A failure here means published lists no longer match: bump NORMALISER_VERSION with the change.
  it('pins the output for a fixed sample', () => {
    expect(normalise('Élection présidentielle 2017: #MacronLeaks!')).toBe(
      'electlon presldentlelle 2ol7: #rnacronleaks!',
    );
    expect(normalise('Straße ΣΟΦΙΑ Кремль 한국 ｆｕｌｌ')).toBe('strasse ooɸla kpernʌb 한국 full');
  });

  it('folds case, width, accents and ignorables', () => {
    expect(normalise('Élection')).toBe(normalise('election'));
    expect(normalise('ÉLECTION')).toBe(normalise('election'));
    expect(normalise('e\u0301lection')).toBe(normalise('election'));
    expect(normalise('ｅｌｅｃｔｉｏｎ')).toBe(normalise('election'));
    expect(normalise('elec\u200btion')).toBe(normalise('election'));
    expect(normalise('Köln')).toBe('koln');
    expect(normalise('Straße')).toBe(normalise('STRASSE'));
    expect(normalise('ΟΔΟΣ')).toBe(normalise('οδος'));
  });

  it('maps confusables to one skeleton', () => {
    const same = (a: string, b: string) => expect(normalise(a), `${a} ~ ${b}`).toBe(normalise(b));
    for (const c of ['I', 'i', '1', 'İ', 'ı', 'Ι', 'І', 'і']) same(c, 'l');
    same('0', 'o');
    same('O', 'o');
    same('m', 'rn');
    same('раура1', 'paypal'); // Cyrillic р, а, у
    same('ԁоg', 'dog');
    same('𝐇𝐞𝐥𝐥𝐨', 'hello');
    expect(normalise('bird')).not.toBe(normalise('bjrd'));
  });

  it('keeps punctuation, whitespace and hashtags', () => {
    expect(normalise('a, b;\tc\n#d_e')).toBe('a, b;\tc\n#d_e');
    expect(normalise('＃tag')).toBe('#tag');
    expect(normalise('%')).toBe('%');
  });

  it('turns lone surrogates into U+FFFD', () => {
    expect(normalise('\ud800')).toBe('\ufffd');
    expect(normalise('\udc00x')).toBe('\ufffdx');
    expect(normalise('a\ud83d')).toBe('a\ufffd');
    expect(normalise('\u{1f600}')).toBe('\u{1f600}');
  });

  it('removes every Default_Ignorable code point', () => {
    for (const c of Array.from('\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\u180e\ufe0f')) {
      expect(normalise(`a${c}b`), c.codePointAt(0)!.toString(16)).toBe('ab');
    }
    expect(normalise('a\u{e0041}\u{e007f}b\u{e01ef}')).toBe('ab');
  });

  it('handles long text across internal chunk boundaries', () => {
    const text = `${'Mm'.repeat(40_000)}é${'x'.repeat(70_000)}Ş한`;
    const out = normalise(text);
    expect(out === `${'rnrn'.repeat(40_000)}e${'x'.repeat(70_000)}s한`).toBe(true);
    expect(normalise(out) === out).toBe(true);
  });

  it('is idempotent for every single code point', () => {
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const once = normalise(String.fromCodePoint(cp));
      if (normalise(once) !== once || IGNORABLE.test(once)) {
        expect.fail(`U+${cp.toString(16)} -> ${JSON.stringify(once)} -> ${JSON.stringify(normalise(once))}`);
      }
    }
  });

  it('is idempotent, total and ignorable-free for any string', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const once = normalise(text);
        expect(normalise(once)).toBe(once);
        expect(once).not.toMatch(IGNORABLE);
        expect(once.isWellFormed()).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('is case-insensitive on ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii' }), (text) => {
        expect(normalise(text.toUpperCase())).toBe(normalise(text.toLowerCase()));
      }),
    );
  });
});

describe('tokenise', () => {
  it('splits on everything but letters and digits', () => {
    expect(tokenise("Don't")).toEqual(['don', 't']);
    expect(tokenise('élection, 2017!')).toEqual([normalise('election'), normalise('2017')]);
    expect(tokenise('#tag_with_underscores  a-b')).toEqual(['tag', 'wlth', 'underscores', 'a', 'b']);
    expect(tokenise('')).toEqual([]);
    expect(tokenise(' ,.!? ')).toEqual([]);
  });

  it('keeps words of scripts whose vowel signs are spacing marks whole', () => {
    expect(tokenise('मोदी सरकार')).toHaveLength(2);
    expect(tokenise('한국어 문서')).toHaveLength(2);
  });

  it('gives the same tokens for a text and its normal form, and only word characters', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const tokens = tokenise(text);
        expect(tokenise(normalise(text))).toEqual(tokens);
        for (const token of tokens) expect(token).toMatch(TOKEN);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('hashtags', () => {
  const LIST_TAG = normaliseHashtag('MacronLeaks');

  it.each([
    '#MacronLeaks',
    '#macronleaks',
    '#MACRONLEAKS',
    '#МacronLeaks', // Cyrillic М
    '#Macron\u200bLeaks',
    '＃ＭａｃｒｏｎＬｅａｋｓ',
    '#MacronLe\u0430ks', // Cyrillic а
    '#Macron\u00adLeaks',
    '#ΜacronLeaks', // Greek Μ
    '#Macron\u2060Leaks',
    '#Macron\ufeffLeaks',
    '#Macron\u{e0041}Leaks', // tag character
    '#Macron\u200c\u200dLeaks',
    '#МАСRОNLЕАKS', // Cyrillic М, А, С, О, Е, А
    '#MacronLeaks\ufe0f',
    'Read this: #MacronLeaks.',
  ])('finds the list tag in %j', (text) => {
    expect(extractHashtags(text)).toContain(LIST_TAG);
  });

  it.each([
    '#Macron',
    '#Leaks',
    '#EnMarche',
    '#Macron2017',
    '#leak',
    '#MacronLeak',
    '#MacronLeaks2',
    '#Macron_Leaks',
  ])('does not take %j for the list tag', (text) => {
    expect(extractHashtags(text)).not.toContain(LIST_TAG);
    expect(normaliseHashtag(text)).not.toBe(LIST_TAG);
  });

  it('only counts a # that starts a word', () => {
    expect(extractHashtags('abc#def')).toEqual([]);
    expect(extractHashtags('_#def')).toEqual([]);
    expect(extractHashtags('é#def')).toEqual([]);
    expect(extractHashtags('(#def) ##ghi #')).toEqual(['def', 'ghl']);
    expect(extractHashtags('#a_b-c #d.e')).toEqual(['a_b', 'd']);
  });

  it('deduplicates in order of first appearance', () => {
    expect(extractHashtags('#Beta #alpha #BETA #ＡＬＰＨＡ #gamma')).toEqual(['beta', 'alpha', 'garnrna']);
  });

  it('normalises a list tag with or without its #', () => {
    expect(LIST_TAG).toBe('rnacronleaks');
    expect(normaliseHashtag('#MacronLeaks')).toBe(LIST_TAG);
    expect(normaliseHashtag('＃MacronLeaks')).toBe(LIST_TAG);
    expect(normaliseHashtag('macron_leaks')).toBe('rnacron_leaks');
    expect(normaliseHashtag('')).toBe('');
    expect(normaliseHashtag('#')).toBe('');
    expect(normaliseHashtag('#\u200b')).toBe('');
    expect(normaliseHashtag('Macron Leaks')).toBe('');
    expect(normaliseHashtag('##MacronLeaks')).toBe('');
  });

  it('yields bodies that normaliseHashtag maps to themselves', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const tags = extractHashtags(text);
        expect(new Set(tags).size).toBe(tags.length);
        expect(extractHashtags(normalise(text))).toEqual(tags);
        for (const tag of tags) {
          expect(normaliseHashtag(tag)).toBe(tag);
          expect(normaliseHashtag(`#${tag}`)).toBe(tag);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
