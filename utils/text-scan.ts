import { analyse, asciiReplacements, simpleReplacement } from './normalise';
import { fmix32, LANE_MUL_A, LANE_MUL_B, SEED_A, SEED_B, tokenLanesOf } from './shingle';

/**
 * The scan's hot path in one pass: what tokenise() and extractHashtags() give, but as token hash
 * lanes (utils/shingle.ts) instead of strings, without building the normalised text. Text holding a code point whose normal form depends on its neighbours
 * (simpleReplacement() === null: surviving marks, Hangul jamo) takes the string path instead, so
 * the result is always exactly that of the reference functions (property-tested against them).
 */

export interface ScannedText {
  /** Two 32-bit lanes per token, interleaved; only the first 2 * tokenCount are meaningful. */
  lanes: Uint32Array;
  tokenCount: number;
  /** Normalised hashtag bodies, deduplicated, in order of first appearance. */
  hashtags: string[];
  /**
   * False when the text holds neither '/' nor "w." or "W.", so no URL typed in it (urlsInText()
   * finds none); read in the same pass, where three substring searches per block cost ~3 % of the
   * scan.
   */
  mayHoldUrl: boolean;
}

const SLASH = 0x2f;
const DOT = 0x2e;
/** A code unit c is 'w' or 'W' when (c | LOWER) === LOWER_W. */
const LOWER = 0x20;
const LOWER_W = 0x77;

const WORD = 1;
const TAG_BODY = 2;
const HASH = 4;

const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u;

let ascii: Int32Array | undefined;
/** Class bits of each ASCII code unit of normalised text. */
let asciiClass: Uint8Array | undefined;
/** Forms of the ASCII codes that become two ('m' -> 'rn'), indexed by code. */
let asciiPairs: (Form | undefined)[] = [];
/** Code units of each simple non-ASCII code point's normal form, and their class bits. */
type Form = { units: Uint16Array; classes: Uint8Array };
const wide = new Map<number, Form | null>();
const MAX_WIDE = 1 << 14;
/**
 * Forms of the code points below U+2100 (Latin, Greek, Cyrillic, general punctuation: the accents
 * and quotes of French text) in an array, since a Map lookup per accented letter is a cost the
 * scan notices; undefined until first seen.
 */
const NEAR = 0x2100;
const near: (Form | null | undefined)[] = new Array(NEAR).fill(undefined);

/**
 * What the fast loop of scanText needs to know of a code unit below NEAR, filled for ASCII at load
 * and for other code points once the general step has met them: FAST_SEPARATOR, FAST_IGNORED, the
 * first code unit of a normal form made of one or two word characters (fastSecond holds the second,
 * as for 'm' -> 'rn'), or FAST_NONE for everything the general step must see ('#', '_', marks that
 * combine, forms of three units...). Word units are letters and digits, never below U+0030.
 */
// Indexed by any code unit, so that the fast loop needs no range test (the engine knows a code
// unit is below 2^16 and drops the bounds check too); units from NEAR up stay FAST_NONE.
const fastFirst = new Uint16Array(0x10000);
const fastSecond = new Uint16Array(0x10000);
const FAST_NONE = 0;
const FAST_SEPARATOR = 1;
const FAST_IGNORED = 2;

function classOf(char: string): number {
  if (char === '#') return HASH;
  if (char === '_') return TAG_BODY;
  return WORD_CHAR.test(char) ? WORD | TAG_BODY : 0;
}

function wideForm(cp: number): Form | null {
  if (cp < NEAR) {
    const known = near[cp];
    if (known !== undefined) return known;
    const form = formOf(cp);
    near[cp] = form;
    if (form !== null) learnFast(cp, form.units, form.classes);
    return form;
  }
  let form = wide.get(cp);
  if (form !== undefined) return form;
  form = formOf(cp);
  // Bounded, so a page holding every code point cannot grow memory without limit.
  if (wide.size >= MAX_WIDE) wide.clear();
  wide.set(cp, form);
  return form;
}

function formOf(cp: number): Form | null {
  const text = simpleReplacement(cp);
  if (text === null) return null;
  const units = new Uint16Array(text.length);
  const classes = new Uint8Array(text.length);
  let i = 0;
  for (const char of text) {
    const cls = classOf(char);
    for (let u = 0; u < char.length; u++, i++) {
      units[i] = char.charCodeAt(u);
      classes[i] = cls;
    }
  }
  return { units, classes };
}

function learnFast(code: number, units: Uint16Array, classes: Uint8Array): void {
  const word = WORD | TAG_BODY;
  if (units.length === 0) fastFirst[code] = FAST_IGNORED;
  else if (classes.every((c) => c === 0)) fastFirst[code] = FAST_SEPARATOR;
  else if (units.length <= 2 && classes.every((c) => c === word)) {
    fastFirst[code] = units[0]!;
    fastSecond[code] = units[1] ?? 0;
  }
}

// Scratch reused across calls: a feed scans thousands of small blocks.
let lanes = new Uint32Array(1 << 10);

function ensureLanes(tokens: number): void {
  if (tokens * 2 <= lanes.length) return;
  const grown = new Uint32Array(Math.max(tokens * 2, lanes.length * 2));
  grown.set(lanes);
  lanes = grown;
}

function loadAscii(): void {
  ascii = asciiReplacements();
  asciiClass = new Uint8Array(0x80);
  for (let c = 0; c < 0x80; c++) asciiClass[c] = classOf(String.fromCharCode(c));
  asciiPairs = Array.from(ascii, (r) => {
    if (r <= 0xff) return undefined;
    const units = Uint16Array.of(r & 0xff, r >>> 8);
    return { units, classes: Uint8Array.from(units, (u) => asciiClass![u]!) };
  });
  for (let c = 0; c < 0x80; c++) {
    const r = ascii[c]!;
    if (r < 0) continue;
    const units = r > 0xff ? Uint16Array.of(r & 0xff, r >>> 8) : Uint16Array.of(r);
    learnFast(
      c,
      units,
      Uint8Array.from(units, (u) => asciiClass![u]!),
    );
  }
}

/**
 * Token lanes and hashtags of `text`. The returned lanes array is scratch, overwritten by the next
 * call: read or copy it before scanning again.
 *
 * One loop over the text's code units: each yields normalised code units (an ASCII letter almost
 * always exactly one, read from a table; other code points their memoised form, queued in
 * `pending`), and each normalised unit goes through the same token/hashtag step. The step is
 * written once, inline, because this loop is the scan's whole cost.
 */
export function scanText(text: string): ScannedText {
  if (ascii === undefined) loadAscii();
  const table = ascii!;
  const cls8 = asciiClass!;
  const first = fastFirst;
  const second = fastSecond;
  const n = text.length;
  // Module-level names are bindings that optimised code may read again, checked, at each use (an
  // import always; a const once a bundler has made it a var): the loop's constants and helper are
  // taken into locals, which stay in registers. | 0 keeps LANE_MUL_B, above 2^31, a 32-bit integer.
  const mulA = LANE_MUL_A | 0;
  const mulB = LANE_MUL_B | 0;
  const seedA = SEED_A | 0;
  const seedB = SEED_B | 0;
  const ignored = FAST_IGNORED;
  const separator = FAST_SEPARATOR;
  const none = FAST_NONE;
  const mix = fmix32;
  const slash = SLASH;
  const dot = DOT;
  const lower = LOWER;
  const lowerW = LOWER_W;
  let mayHoldUrl = false;
  // A token takes at least one code unit and one separator; the rare code point whose normal
  // form holds more words than it has units grows the array below.
  ensureLanes((n >> 1) + 2);
  let out = lanes;
  let tokens = 0;
  let hashtags: Set<string> | undefined;
  let a = 0;
  let b = 0;
  let length = 0;
  let tag = '';
  let inTag = false;
  let previous = 0;
  let pending: Form | null = null;
  let next = 0;
  let i = 0;
  for (;;) {
    // Most of any text is letters and spaces, most of the rest accented letters and punctuation:
    // they get a loop of their own, which hands everything else (a '#', a code point not met yet,
    // a form the table does not hold) to the general step below.
    if (pending === null && !inTag) {
      while (i < n) {
        let c = text.charCodeAt(i);
        let r = first[c]!;
        if (r > ignored) {
          if (length === 0) {
            a = seedA;
            b = seedB;
          }
          // The rest of the word in a loop of its own: one hard-to-predict branch per word, at
          // its end, instead of one per character.
          for (;;) {
            a = Math.imul(a ^ r, mulA);
            b = Math.imul(b ^ r, mulB) ^ (b >>> 15);
            length++;
            const r2 = second[c]!;
            if (r2 !== 0) {
              a = Math.imul(a ^ r2, mulA);
              b = Math.imul(b ^ r2, mulB) ^ (b >>> 15);
              length++;
            }
            if (++i === n) break;
            c = text.charCodeAt(i);
            r = first[c]!;
            if (r <= ignored) break;
          }
          previous = WORD | TAG_BODY;
          // The unit that ended the word is most often a separator: taken here, not read again.
          if (r !== separator) continue;
        } else if (r !== separator) {
          if (r === none) break;
          i++;
          continue;
        }
        // '/' and '.' are separators: the word loop above never meets them.
        if (c === slash || (c === dot && i > 0 && (text.charCodeAt(i - 1) | lower) === lowerW))
          mayHoldUrl = true;
        if (length > 0) {
          if (tokens * 2 + 2 > out.length) {
            ensureLanes(tokens + 1);
            out = lanes;
          }
          out[tokens * 2] = mix(a ^ length);
          out[tokens * 2 + 1] = mix(b + length);
          tokens++;
          length = 0;
        }
        previous = 0;
        i++;
      }
    }
    let code: number;
    let cls: number;
    if (pending !== null) {
      code = pending.units[next]!;
      cls = pending.classes[next++]!;
      if (next === pending.units.length) pending = null;
    } else if (i < n) {
      code = text.charCodeAt(i++);
      if (code === slash || (code === dot && i > 1 && (text.charCodeAt(i - 2) | lower) === lowerW))
        mayHoldUrl = true;
      const r = code < 0x80 ? table[code]! : -1;
      if (r >= 0 && r <= 0xff) {
        code = r;
        cls = cls8[r]!;
      } else if (r > 0xff) {
        pending = asciiPairs[code]!;
        next = 1;
        code = r & 0xff;
        cls = cls8[code]!;
      } else {
        let cp = code;
        if (cp >= 0xd800 && cp <= 0xdbff && i < n) {
          const low = text.charCodeAt(i);
          if (low >= 0xdc00 && low <= 0xdfff) {
            cp = ((cp - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
            i++;
          }
        }
        const form = wideForm(cp);
        if (form === null) return scanTextSlowly(text);
        if (form.units.length === 0) continue;
        pending = form.units.length > 1 ? form : null;
        next = 1;
        code = form.units[0]!;
        cls = form.classes[0]!;
      }
    } else {
      // One separator after the end closes the last token and hashtag.
      code = 0;
      cls = 0;
      i++;
    }

    if (cls & WORD) {
      if (length === 0) {
        a = seedA;
        b = seedB;
      }
      a = Math.imul(a ^ code, mulA);
      b = Math.imul(b ^ code, mulB) ^ (b >>> 15);
      length++;
    } else if (length > 0) {
      if (tokens * 2 + 2 > out.length) {
        ensureLanes(tokens + 1);
        out = lanes;
      }
      out[tokens * 2] = mix(a ^ length);
      out[tokens * 2 + 1] = mix(b + length);
      tokens++;
      length = 0;
    }
    if (inTag) {
      if (cls & TAG_BODY) tag += String.fromCharCode(code);
      else {
        if (tag.length > 0) {
          hashtags ??= new Set();
          hashtags.add(tag);
        }
        inTag = false;
      }
    }
    // A '#' after a hashtag character is inside a word or a URL fragment, not a hashtag.
    if (cls & HASH && !(previous & TAG_BODY)) {
      inTag = true;
      tag = '';
    }
    previous = cls;
    if (i > n) break;
  }
  return { lanes: out, tokenCount: tokens, hashtags: hashtags ? [...hashtags] : [], mayHoldUrl };
}

function scanTextSlowly(text: string): ScannedText {
  const { tokens, hashtags } = analyse(text);
  return {
    lanes: tokenLanesOf(tokens),
    tokenCount: tokens.length,
    hashtags,
    mayHoldUrl: text.includes('/') || text.includes('w.') || text.includes('W.'),
  };
}
