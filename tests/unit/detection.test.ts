import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { htmlToBlocks } from '../../utils/blocks';
import { scanBlock } from '../../utils/matcher';
import { buildList, evaluate, loadDocs, rng, split } from './helpers/enron-eval';
import { sharedDataPath } from './helpers/shared-data';

const enronDir = sharedDataPath('enron-sample');
const feedDir = sharedDataPath('feed-pages');

describe.skipIf(!enronDir)('detection on the Enron sample', () => {
  it('meets the recall and false-positive targets on three splits', () => {
    const rows = [1, 2, 3].map((seed) => ({ seed, ...evaluate(enronDir!, seed) }));
    console.table(rows);
    const mean = (key: keyof (typeof rows)[number]) =>
      rows.reduce((s, r) => s + Number(r[key]), 0) / rows.length;
    console.log(
      `mean false positives on 50-word same-mailbox windows: ${(mean('negative50') * 100).toFixed(2)} %`,
    );
    expect(mean('negative50')).toBeLessThanOrEqual(0.005);
    for (const r of rows) {
      expect(r.verbatim20).toBeGreaterThanOrEqual(0.99);
      expect(r.verbatim30).toBeGreaterThanOrEqual(0.99);
      expect(r.edit1in10_30).toBeGreaterThanOrEqual(0.95);
      expect(r.lookalike_zw_30).toBeGreaterThanOrEqual(0.95);
      expect(r.restyled_html_30).toBeGreaterThanOrEqual(0.95);
      expect(r.verbatim15).toBeGreaterThanOrEqual(0.9);
      expect(r.negative50).toBeLessThanOrEqual(0.01);
    }
  });

  it.skipIf(!feedDir)('flags nothing in real saved feed pages', () => {
    const { leak, background } = split(loadDocs(enronDir!), rng(1));
    const list = buildList(leak, background);
    for (const f of fs.readdirSync(feedDir!)) {
      const blocks = htmlToBlocks(fs.readFileSync(path.join(feedDir!, f), 'utf8'));
      expect(blocks.length).toBeGreaterThan(0);
      const hits = blocks.filter((b) => scanBlock([list], b.text, b.links).length > 0);
      expect(
        hits.map((b) => b.text.slice(0, 80)),
        f,
      ).toEqual([]);
    }
  });
});
