import fs from 'node:fs';
import path from 'node:path';
import { buildMeta } from '../../../cli/meta';
import { htmlToBlocks, textToBlocks } from '../../../utils/blocks';
import { DEFAULT_K, DEFAULT_W, FingerprintSetBuilder } from '../../../utils/builder';
import { type CompiledList, compileList, scanBlock } from '../../../utils/matcher';

/**
 * Detection quality on real mail (../shared/data/enron-sample): a list is built from part of two
 * mailboxes (the "leak"), a background from other messages, and generated posts that embed
 * excerpts in unrelated text are scanned. Messages of one thread quote each other, so messages
 * sharing a 12-word run are kept on the same side of the split.
 */

export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Doc {
  name: string;
  text: string;
  words: string[];
}

export const ROUTING =
  /^\s*(?:(?:from|to|cc|bcc|sent|date|subject)\s*:|.*\bforwarded by\b|.*\boriginal message\b)/i;
const isWord = (t: string) => /[a-z0-9]/i.test(t);

export function loadDocs(dir: string): Doc[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((name) => {
      const text = fs.readFileSync(path.join(dir, name), 'utf8');
      const body = text
        .split('\n')
        .slice(1)
        .filter((l) => !ROUTING.test(l))
        .join('\n');
      return { name, text, words: body.split(/\s+/).filter(isWord) };
    });
}

export function split(docs: Doc[], rand: () => number) {
  const rich = docs.filter((d) => d.words.length >= 60);
  for (let i = rich.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [rich[i], rich[j]] = [rich[j]!, rich[i]!];
  }
  const parent = rich.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i]!;
    return i;
  };
  const owner = new Map<string, number>();
  rich.forEach((d, i) => {
    for (let j = 0; j + 12 <= d.words.length; j++) {
      const key = d.words.slice(j, j + 12).join(' ');
      const o = owner.get(key);
      if (o === undefined) owner.set(key, i);
      else parent[find(i)] = find(o);
    }
  });
  const groups = new Map<number, Doc[]>();
  rich.forEach((d, i) => {
    groups.set(find(i), [...(groups.get(find(i)) ?? []), d]);
  });
  const leak: Doc[] = [];
  const background: Doc[] = [];
  const negatives: Doc[] = [];
  for (const g of groups.values())
    (leak.length < 260 ? leak : background.length < 140 ? background : negatives).push(...g);
  return { leak, background, negatives };
}

export function buildList(leak: Doc[], background: Doc[]): CompiledList {
  const builder = new FingerprintSetBuilder({ k: DEFAULT_K, w: DEFAULT_W });
  for (const d of background) builder.addBackground(d.text);
  for (const d of leak) builder.addDocument(d.text);
  const { params, fingerprints } = builder.finish();
  const meta = buildMeta({
    input: undefined,
    params,
    fingerprintCount: fingerprints.length,
    hashtags: ['MacronLeaks'],
    urls: [],
    version: 1,
    validDays: 30,
    now: Date.parse('2026-01-01T00:00:00Z'),
  });
  return compileList({ meta, fingerprints: [fingerprints] });
}

const HOMO: Record<string, string> = { a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', x: 'х', i: 'і', y: 'у' };
const ZW = ['\u200b', '\u200c', '\u200d', '\u2060', '\u00ad', '\ufeff'];

export function evaluate(enronDir: string, seed: number) {
  const rand = rng(seed);
  const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)]!;
  const { leak, background, negatives } = split(loadDocs(enronDir), rand);
  const list = buildList(leak, background);
  const flagged = (text: string) => scanBlock([list], text).length > 0;
  const flaggedHtml = (html: string) =>
    htmlToBlocks(html).some((b) => scanBlock([list], b.text, b.links).length > 0);
  const excerpt = (n: number) => {
    for (;;) {
      const w = pick(leak).words;
      if (w.length < n + 2) continue;
      const s = Math.floor(rand() * (w.length - n));
      return w.slice(s, s + n);
    }
  };
  const filler = (n: number) => {
    const w = pick(negatives).words;
    const s = Math.floor(rand() * Math.max(1, w.length - n));
    return w.slice(s, s + n);
  };
  const rate = (n: number, make: () => boolean) => {
    let hits = 0;
    for (let i = 0; i < n; i++) if (make()) hits++;
    return hits / n;
  };
  const wrap = (ex: string[], pad = 20) => [...filler(pad), ...ex, ...filler(pad)].join(' ');
  const edit = (ex: string[]) =>
    ex.map((t, i) => (i % 10 === 4 ? pick(['market', 'today', 'north', 'volume']) : t));
  const disguise = (ex: string[]) =>
    ex.map((t, i) => {
      let s = t;
      if (i % 3 === 1) s = [...s].map((ch) => (HOMO[ch] && rand() < 0.7 ? HOMO[ch] : ch)).join('');
      if (i % 4 === 2 && s.length > 2) s = s[0] + pick(ZW) + s.slice(1);
      return s;
    });
  const restyle = (ex: string[]) =>
    ex
      .map((t, i) =>
        i % 11 === 3 ? `<b>${t[0]!.toUpperCase()}${t.slice(1)}</b>` : i % 13 === 7 ? `${t}<br>` : t,
      )
      .join(' ');
  return {
    verbatim15: rate(150, () => flagged(wrap(excerpt(15)))),
    verbatim20: rate(150, () => flagged(wrap(excerpt(20)))),
    verbatim30: rate(150, () => flagged(wrap(excerpt(30)))),
    edit1in10_30: rate(150, () => flagged(wrap(edit(excerpt(30))))),
    lookalike_zw_30: rate(150, () => flagged(wrap(disguise(excerpt(30))))),
    restyled_html_30: rate(100, () =>
      flaggedHtml(`<article><p>${filler(12).join(' ')} ${restyle(excerpt(30))}</p></article>`),
    ),
    negative50: rate(2000, () => flagged(filler(50).join(' '))),
    negativeWhole:
      negatives.filter((d) => textToBlocks(d.text).some((b) => flagged(b.text))).length / negatives.length,
  };
}
