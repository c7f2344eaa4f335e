import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketRange,
  compileList,
  extractFeatures,
  INDEX_FORMAT,
  indexLengths,
  indexList,
  matchFeatures,
  pageDirectory,
  pageDirectoryLength,
  paramSetsOf,
  scanBlock,
} from '../../utils/matcher';
import { normaliseHashtag, tokenise } from '../../utils/normalise';
import { shingleFingerprints } from '../../utils/shingle';
import { makeList } from './helpers/make-list';

const memo =
  'Since Tuesday about two hundred accounts created in March have been posting the same rumours within seconds of each other and we log them';

function listWithMemo() {
  const base = makeList();
  const bits = base.meta.fingerprint.bits;
  const fps = [...new Set(shingleFingerprints(tokenise(memo), 5, bits))].sort((a, b) => a - b);
  const meta = {
    ...base.meta,
    fingerprint: { ...base.meta.fingerprint, threshold: 5, minWords: 13 },
    entries: [{ ...base.meta.entries[0]!, hashtags: ['MacronLeaks'], fingerprintCount: fps.length }],
  };
  return compileList({ meta, fingerprints: [Float64Array.from(fps)] });
}

describe('matcher', () => {
  const list = listWithMemo();
  const kinds = (text: string, links: string[] = []) => scanBlock([list], text, links).map((f) => f.kind);

  it.each([
    '#MacronLeaks',
    '#macronleaks',
    '#MACRONLEAKS',
    '#МacronLeaks',
    '#Macron\u200bLeaks',
    '＃ＭａｃｒｏｎＬｅａｋｓ',
    '#MacronLe\u0430ks',
    '#Macron\u00adLeaks',
    '#Macron\u2060Leaks',
  ])('catches the hashtag evasion %j', (tag) => {
    const findings = scanBlock([list], `tonight ${tag} everywhere`);
    expect(findings).toEqual([
      expect.objectContaining({ kind: 'hashtag', entry: 'leak-a', evidence: '#MacronLeaks' }),
    ]);
  });

  it.each([
    '#Macron',
    '#Leaks',
    '#EnMarche',
    '#Macron2017',
    '#leak',
    'MacronLeaks without hash',
    'abc#MacronLeaks',
  ])('does not flag the near miss %j', (text) => {
    expect(kinds(text)).toEqual([]);
  });

  it('finds hashtags in hashtag links and mirror links, by whole domain', () => {
    expect(kinds('see this', ['https://x.com/hashtag/MacronLeaks'])).toEqual(['hashtag']);
    expect(kinds('files', ['https://www.leaks.example.net/dump/a.zip'])).toEqual(['url']);
    expect(kinds('files', ['https://notleaks.example.net/dump/a.zip'])).toEqual([]);
    expect(kinds('typed address leaks.example.net/dump/a.zip in text')).toEqual(['url']);
  });

  it('flags a quoted passage inside a longer post, and says how strong the match is', () => {
    const post = `I can't believe it, read this: "${memo.split(' ').slice(2, 20).join(' ')}" shocking`;
    const [finding] = scanBlock([list], post);
    expect(finding?.kind).toBe('fingerprint');
    expect(finding?.strength.matched).toBeGreaterThanOrEqual(5);
    expect(finding?.strength.total).toBe(tokenise(post).length - 4);
  });

  it('does not flag a short common phrase or a few scattered words of the passage', () => {
    expect(kinds('about two hundred accounts created in March')).toEqual([]);
    expect(
      kinds('Since Tuesday about two hundred people came. Posting the same rumours within seconds.'),
    ).toEqual([]);
  });

  it('matches features computed apart from the list (the content script / background split)', () => {
    const features = extractFeatures(memo, [], [list.params]);
    expect(JSON.parse(JSON.stringify(features))).toEqual(features);
    expect(matchFeatures([list], features).map((f) => f.kind)).toEqual(['fingerprint']);
  });
});

describe('scanBlock', () => {
  const vocabulary = [
    'leak',
    'memo',
    'Élysée',
    'campagne',
    'the',
    'of',
    '#MacronLeaks',
    'ﬁn',
    'rn',
    'm',
    'x',
  ];
  const text = fc.array(fc.constantFrom(...vocabulary), { maxLength: 80 }).map((words) => words.join(' '));

  it('finds what matchFeatures finds in extractFeatures, in the same order, for any lists', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            source: text,
            k: fc.integer({ min: 1, max: 6 }),
            bits: fc.constantFrom(24, 31, 32, 33, 40, 53),
            fill: fc.integer({ min: 0, max: 3000 }),
            threshold: fc.integer({ min: 1, max: 4 }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        text,
        fc.array(fc.constantFrom('https://leaks.example.net/dump/a', 'https://example.org/#MacronLeaks'), {
          maxLength: 2,
        }),
        (specs, block, links) => {
          const lists = specs.map((spec, i) => {
            const values = new Set(shingleFingerprints(tokenise(spec.source), spec.k, spec.bits));
            for (let v = 0; values.size < spec.fill; v++)
              values.add(Math.floor(((v * 2654435761) % 2 ** 32) * 2 ** (spec.bits - 32)));
            const base = makeList(
              {},
              [...values].sort((a, b) => a - b),
            );
            const meta = {
              ...base.meta,
              listId: `list-${i}`,
              fingerprint: {
                ...base.meta.fingerprint,
                k: spec.k,
                bits: spec.bits,
                threshold: spec.threshold,
                minWords: 0,
              },
              entries: [
                {
                  ...base.meta.entries[0]!,
                  hashtags: ['MacronLeaks'],
                  urlPatterns: ['leaks.example.net/dump'],
                },
              ],
            };
            return compileList({ meta, fingerprints: base.fingerprints });
          });
          expect(scanBlock(lists, block, links)).toEqual(
            matchFeatures(lists, extractFeatures(block, links, paramSetsOf(lists))),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('scanBlock with several lists', () => {
  it('finds a passage in each list of the same k that holds it, after the first one found it', () => {
    const passage = tokenise(memo);
    const lists = [40, 44].map((bits, i) => {
      const fps = [...new Set(shingleFingerprints(passage, 5, bits))].sort((a, b) => a - b);
      const base = makeList({}, fps);
      const meta = {
        ...base.meta,
        listId: `list-${i}`,
        fingerprint: { ...base.meta.fingerprint, k: 5, bits, threshold: 5, minWords: 13 },
      };
      return compileList({ meta, fingerprints: base.fingerprints });
    });
    const found = scanBlock(lists, `Read this: ${memo}`).filter((f) => f.kind === 'fingerprint');
    expect(found.map((f) => f.listId)).toEqual(['list-0', 'list-1']);
  });
});

describe('fingerprint lookup', () => {
  it('finds exactly the fingerprints of the list, whatever is probed', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 400 }),
        fc.array(
          fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(-1, 2 ** 32, 2 ** 53 - 1, 0.5)),
        ),
        fc.integer({ min: 0, max: 399 }),
        (values, probes, pick) => {
          const base = makeList(
            {},
            values.sort((a, b) => a - b),
          );
          const meta = {
            ...base.meta,
            fingerprint: { ...base.meta.fingerprint, bits: 32, threshold: 1, minWords: 0 },
          };
          const list = compileList({ meta, fingerprints: base.fingerprints });
          const inList = values.length ? [values[pick % values.length]!] : [];
          const block = [...probes, ...inList];
          const expected = new Set(block.filter((v) => values.includes(v))).size;
          const [finding] = matchFeatures([list], {
            hashtags: [],
            urls: [],
            fingerprints: { [list.paramsKey]: block },
          });
          expect(finding?.strength.matched ?? 0).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never turns away a listed value, at every width and list size the filter takes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 32, max: 53 }),
        fc.integer({ min: 0, max: 40_000 }),
        fc.integer(),
        (bits, size, seed) => {
          let state = seed | 0;
          const random = () => {
            state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
            return (state >>> 0) / 2 ** 32;
          };
          const top = 2 ** bits;
          const values = new Set<number>([0, top - 1]);
          while (values.size < size + 2) values.add(Math.floor(random() * top));
          const sorted = [...values].sort((a, b) => a - b);
          const base = makeList({}, sorted);
          const meta = {
            ...base.meta,
            fingerprint: { ...base.meta.fingerprint, bits, threshold: 1, minWords: 0 },
          };
          const list = compileList({ meta, fingerprints: base.fingerprints });
          const absent = [-1, top, top + 1, 0.5, Number.NaN];
          for (let i = 0; i < 200; i++) {
            const v = Math.floor(random() * top);
            if (!values.has(v)) absent.push(v);
          }
          const probe = (block: number[]) =>
            matchFeatures([list], { hashtags: [], urls: [], fingerprints: { [list.paramsKey]: block } })[0]
              ?.strength.matched ?? 0;
          expect(probe(sorted)).toBe(sorted.length);
          expect(probe(absent)).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('lists of several entries', () => {
  it('credits each matching fingerprint to every entry that holds it', () => {
    const base = makeList({}, [1]);
    const shared = [500, 600, 700];
    const own = {
      first: [10, 20, 30, 40, 50],
      second: [15, 25, 35, 45, 55],
    };
    const sets = [own.first, own.second].map((values) =>
      Float64Array.from([...values, ...shared].sort((a, b) => a - b)),
    );
    const meta = {
      ...base.meta,
      fingerprint: { ...base.meta.fingerprint, bits: 32, threshold: 3, minWords: 0 },
      entries: sets.map((set, i) => ({
        ...base.meta.entries[0]!,
        id: `entry-${i}`,
        fingerprintCount: set.length,
      })),
    };
    const list = compileList({ meta, fingerprints: sets });
    const found = (block: number[]) =>
      matchFeatures([list], { hashtags: [], urls: [], fingerprints: { [list.paramsKey]: block } })
        .map((f) => `${f.entry}:${f.strength.matched}`)
        .sort();
    expect(found(own.first)).toEqual(['entry-0:5']);
    expect(found(own.second)).toEqual(['entry-1:5']);
    expect(found([...shared, 10])).toEqual(['entry-0:4', 'entry-1:3']);
  });
});

describe('stored index', () => {
  const bits = 40;
  const entries = [0, 1].map((e) =>
    Float64Array.from({ length: 5_000 }, (_, i) => (i * 2 + e) * 2 ** 26 + ((i * 7919) % 1000)),
  );
  const listOf = (sets: Float64Array[]) => {
    const base = makeList();
    const meta = {
      ...base.meta,
      fingerprint: { ...base.meta.fingerprint, bits },
      entries: sets.map((set, i) => ({
        ...base.meta.entries[0]!,
        id: `e${i}`,
        fingerprintCount: set.length,
      })),
    };
    return { meta, fingerprints: sets };
  };

  it.each([
    ['one entry', [entries[0]!]],
    ['two entries', entries],
  ])('compiles %s from a stored index to what it would build', (_name, sets) => {
    const list = listOf(sets);
    const index = indexList(list);
    const compiled = compileList(list, index);
    expect(compiled).toEqual(compileList(list));
    expect(compiled.filter).toBe(index.filter);
    expect(compiled.bucketStart).toBe(index.bucketStart);
    const tagged = compiled.hashtags.get(normaliseHashtag('#MACRONLEAKS'));
    expect(tagged?.map((hit) => hit.entry)).toEqual(sets.map((_set, e) => e));
  });

  it('rebuilds an index that does not fit the list', () => {
    const list = listOf([entries[0]!]);
    const other = indexList(listOf([entries[0]!.subarray(0, 100)]));
    const short = { ...indexList(list), filter: new Uint32Array(16) };
    const tagless = { ...indexList(list), hashtagKeys: [[]] };
    for (const index of [other, short, tagless]) {
      expect(compileList(list, index)).toEqual(compileList(list));
      expect(compileList(list, index).filter).not.toBe(index.filter);
    }
  });

  it('pages the directory: the page of a value holds its whole bucket, and pages hold 16 buckets', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 20 - 1 }), { maxLength: 3_000 }),
        fc.array(fc.integer({ min: 0, max: 2 ** 20 - 1 }), { maxLength: 20 }),
        (raw, probes) => {
          const sorted = Float64Array.from(raw.map((v) => v * 2 ** 20)).sort();
          const { bucketStart } = indexList(listOf([sorted]));
          const pages = pageDirectory(bucketStart);
          expect(pages.length).toBe(pageDirectoryLength(sorted.length, bits));
          expect(pages.length).toBe(
            Math.max(2, (indexLengths(sorted.length, bits).bucketStart - 1) / 16 + 1),
          );
          expect(pages[pages.length - 1]).toBe(sorted.length);
          for (const value of [...sorted, ...probes.map((p) => p * 2 ** 20)]) {
            const [start, end] = bucketRange(bucketStart, bits, value)!;
            const [pageStart, pageEnd] = bucketRange(pages, bits, value)!;
            expect(pageStart <= start && end <= pageEnd).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  // Indexes stored by one version are read by the next: what they hold may only change with INDEX_FORMAT.
  it('builds the index of INDEX_FORMAT', () => {
    const index = indexList(listOf(entries));
    const digest = createHash('sha256').update(index.bucketStart).update(index.filter).digest('hex');
    expect([INDEX_FORMAT, index.bucketStart.length, index.filter.length, digest]).toEqual([
      'lw-index-2/1',
      2049,
      8192,
      '60fa1d95eae38fb4d85a04f2949d0a2665d4b80f9bf14e19a4b7de6a81c54a44',
    ]);
  });
});
