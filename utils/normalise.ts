import { DEFAULT_IGNORABLE_RANGES, SKELETON_GROUPS } from './generated/confusables';

/**
 * Lists record the normaliser version they were built with; bump this whenever normalise() can return a
 * different string for some input (including a regenerated table), so stale lists are rejected, not mismatched.
 */
export const NORMALISER_VERSION = 1;

/** Marks an ASCII code that has no one- or two-byte ASCII replacement and takes the general path. */
const GENERAL = 0xff;
/** Output is decoded to a string in chunks of this many bytes, so scratch memory stays small. */
const CHUNK_BYTES = 1 << 16;
/** Memoised code points are forgotten past this, so a page of every code point cannot grow memory unbounded. */
const MAX_CACHED = 1 << 14;

interface Tables {
  /** Folded, mark-free character -> its final skeleton. */
  skeleton: Map<string, string>;
  /** Per ASCII code: first byte of its replacement, or GENERAL. */
  asciiFirst: Uint8Array;
  /** Per ASCII code: second byte of its replacement, or 0 for none. */
  asciiSecond: Uint8Array;
  /** UTF-8 replacement of each non-ASCII code point seen so far. */
  cache: Map<number, Uint8Array>;
  scratch: Uint8Array;
  encoder: TextEncoder;
  decoder: TextDecoder;
}

let tables: Tables | undefined;

// Decoded on first use, so importing the module (every content script does) costs nothing until a page is read.
function load(): Tables {
  const skeleton = new Map<string, string>();
  for (let g = 0; g < SKELETON_GROUPS.length; g += 2) {
    const target = SKELETON_GROUPS[g]!;
    for (const source of SKELETON_GROUPS[g + 1]!) skeleton.set(source, target);
  }
  const t: Tables = {
    skeleton,
    asciiFirst: new Uint8Array(0x80),
    asciiSecond: new Uint8Array(0x80),
    cache: new Map(),
    scratch: new Uint8Array(CHUNK_BYTES),
    encoder: new TextEncoder(),
    decoder: new TextDecoder('utf-8', { ignoreBOM: true }),
  };
  for (let code = 0; code < 0x80; code++) {
    const target = replacement(t, code);
    const ascii = target.every((byte) => byte < 0x80);
    t.asciiFirst[code] = ascii && target.length >= 1 && target.length <= 2 ? target[0]! : GENERAL;
    t.asciiSecond[code] = ascii && target.length === 2 ? target[1]! : 0;
  }
  return t;
}

function isIgnorable(cp: number): boolean {
  for (let i = 0; i < DEFAULT_IGNORABLE_RANGES.length; i += 2) {
    if (cp < DEFAULT_IGNORABLE_RANGES[i]!) return false;
    if (cp <= DEFAULT_IGNORABLE_RANGES[i + 1]!) return true;
  }
  return false;
}

const MARKS = /\p{Mn}+/gu;

/**
 * The whole pipeline for one code point. Doing it per code point rather than per string is what makes the
 * ASCII fast path exact: the only cross-character effects of string-wide NFKC are compositions, whose marks are
 * stripped anyway, and Hangul and similar recompositions, which the final NFC restores.
 */
function replacement(t: Tables, cp: number): Uint8Array {
  let out = '';
  if (!isIgnorable(cp)) {
    const char = cp >= 0xd800 && cp <= 0xdfff ? '\ufffd' : String.fromCodePoint(cp);
    for (const c of char.normalize('NFKC').toLowerCase().normalize('NFD').replace(MARKS, '')) {
      out += t.skeleton.get(c) ?? c;
    }
  }
  return t.encoder.encode(out);
}

/**
 * The matching form of a text: NFKC, default-ignorable code points removed, lower-cased, marks stripped, and
 * every character replaced by its confusable skeleton. Punctuation and whitespace are kept. Idempotent, never
 * throws; lone surrogates become U+FFFD.
 */
export function normalise(text: string): string {
  if (tables === undefined) tables = load();
  const t = tables;
  const { asciiFirst, asciiSecond, cache, scratch, decoder } = t;
  let result = '';
  let j = 0;
  let wide = false;
  for (let i = 0; i < text.length; i++) {
    if (j > CHUNK_BYTES - 2) {
      result += decoder.decode(scratch.subarray(0, j));
      j = 0;
    }
    let cp = text.charCodeAt(i);
    if (cp < 0x80 && asciiFirst[cp] !== GENERAL) {
      scratch[j++] = asciiFirst[cp]!;
      const second = asciiSecond[cp]!;
      if (second !== 0) scratch[j++] = second;
    } else {
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = ((cp - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
          i++;
        }
      }
      let bytes = cache.get(cp);
      if (bytes === undefined) {
        if (cache.size >= MAX_CACHED) cache.clear();
        bytes = replacement(t, cp);
        cache.set(cp, bytes);
      }
      if (j + bytes.length > CHUNK_BYTES) {
        result += decoder.decode(scratch.subarray(0, j));
        j = 0;
      }
      for (let k = 0; k < bytes.length; k++) scratch[j++] = bytes[k]!;
      wide = true;
    }
  }
  result += decoder.decode(scratch.subarray(0, j));
  // Recomposes what per-character NFD split but no mark was stripped from (Hangul syllables, some Indic vowels).
  return wide ? result.normalize('NFC') : result;
}

// Hangul vowel and final jamo recompose with the syllable before them under NFC although they are letters.
const JAMO_SECOND = /[\u1161-\u1175\u11a8-\u11c2]/;
const ANY_MARK = /\p{M}/u;

/**
 * What normalise() turns the code point `cp` into, when that never depends on its neighbours; null
 * when it may (the NFC that ends normalise() could compose it with the character before: marks that
 * survive, Hangul jamo). A string made only of code points with a non-null answer normalises to the
 * concatenation of their answers: the per-character pipeline makes every answer NFC-stable on its
 * own, and NFC only joins a starter with a following mark or jamo. Fused scanners (utils/text-scan.ts)
 * rely on this to skip building the normalised string.
 */
export function simpleReplacement(cp: number): string | null {
  if (tables === undefined) tables = load();
  // Not memoised here: its one caller on a hot path (utils/text-scan.ts) keeps the forms it builds.
  const out = tables.decoder.decode(replacement(tables, cp));
  return ANY_MARK.test(out) || JAMO_SECOND.test(out) || out.normalize('NFC') !== out ? null : out;
}

/**
 * Per ASCII code: its normalised form as one or two ASCII codes packed as first | second << 8, or
 * -1 when it needs simpleReplacement().
 */
export function asciiReplacements(): Int32Array {
  if (tables === undefined) tables = load();
  const out = new Int32Array(0x80);
  for (let code = 0; code < 0x80; code++) {
    const first = tables.asciiFirst[code]!;
    out[code] = first === GENERAL ? -1 : first | (tables.asciiSecond[code]! << 8);
  }
  return out;
}

// Marks other than Mn survive normalisation (Indic vowel signs are Mc) and belong to the word they sit in.
const WORD_RUN = /[\p{L}\p{N}\p{M}]+/gu;
const ASCII_WORD_RUN = /[a-z0-9]+/g;
const NON_ASCII = /[^\0-\x7f]/;

/** Word tokens of the normalised text: maximal runs of letters, digits and (non-stripped) marks. */
export function tokenise(text: string): string[] {
  return tokensOf(normalise(text));
}

function tokensOf(normal: string): string[] {
  return normal.match(NON_ASCII.test(normal) ? WORD_RUN : ASCII_WORD_RUN) ?? [];
}

const TAG_BODY = '[\\p{L}\\p{N}\\p{M}_]';
// A '#' preceded by a word character is inside a word or URL fragment, not a hashtag.
const HASHTAG = new RegExp(`(?<!${TAG_BODY})#(${TAG_BODY}+)`, 'gu');
const WHOLE_TAG_BODY = new RegExp(`^${TAG_BODY}+$`, 'u');

/** Bodies (normalised, without '#') of the hashtags in a text, deduplicated, in order of first appearance. */
export function extractHashtags(text: string): string[] {
  return hashtagsOf(normalise(text));
}

function hashtagsOf(normal: string): string[] {
  const seen = new Set<string>();
  for (const match of normal.matchAll(HASHTAG)) seen.add(match[1]!);
  return [...seen];
}

/** tokenise() and extractHashtags() of one text from a single normalisation: the scan's hot path. */
export function analyse(text: string): { tokens: string[]; hashtags: string[] } {
  const normal = normalise(text);
  return { tokens: tokensOf(normal), hashtags: hashtagsOf(normal) };
}

/**
 * A list's or link's hashtag, with or without its '#', in the form extractHashtags() yields; '' when what is
 * left is not a hashtag body (empty, or holding a space or punctuation no hashtag can contain), so a malformed
 * tag is refused rather than stored where it could never match, or cut short where it would match too much.
 */
export function normaliseHashtag(tag: string): string {
  const normal = normalise(tag);
  const body = normal.startsWith('#') ? normal.slice(1) : normal;
  return WHOLE_TAG_BODY.test(body) ? body : '';
}
