import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DocumentFile, fingerprintDocuments } from '../../cli/build-worker-pool';
import { main } from '../../cli/main';
import { FingerprintSetBuilder, sortFingerprints } from '../../utils/builder';
import { decodeList } from '../../utils/list-format';
import { rng } from './helpers/enron-eval';
import { sharedDataPath } from './helpers/shared-data';

/**
 * `leakwatch build` with worker threads must write the very list one thread writes: the merge of
 * sorted runs replaces one sort of everything, and how the files are shared must not show.
 */

const WORDS = (
  'the a of and to in that memo meeting budget campaign press minister draft note call team vote ' +
  'le la les des une pour avec dans réunion équipe projet élection sondage presse ministre lettre ' +
  'après déjà été où ça mémo financement donateurs tribune conseil'
).split(' ');

function sentence(random: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const r = random();
    // Rare pseudo-words make most shingles unique, as in real text.
    out.push(r < 0.3 ? `w${Math.floor(random() * 1e6).toString(36)}` : WORDS[Math.floor(r * WORDS.length)]!);
  }
  return `${out.join(' ')}.`;
}

const DISCLAIMER =
  'This message and any attachments are confidential and intended solely for the addressee; ' +
  'if you received it in error please notify the sender and delete it without reading further.';
const SHARED_WITH_BACKGROUND =
  'Quarterly figures for the regional offices were circulated to every department head on Monday morning';

/**
 * A leak folder with what the builder treats differently: a disclaimer in more than 10 documents
 * (dropped as boilerplate), a passage also in the background (dropped as background), mail
 * headers, HTML and .eml files, a file type that is skipped, nested folders, and sizes from a few
 * words to 100 KB so that no split of the bytes is even.
 */
function writeLeak(root: string): { docs: string; background: string } {
  const random = rng(20170505);
  const docs = path.join(root, 'docs');
  const background = path.join(root, 'background');
  fs.mkdirSync(path.join(docs, 'inbox', 'sent'), { recursive: true });
  fs.mkdirSync(background, { recursive: true });
  for (let i = 0; i < 36; i++) {
    const words = i % 9 === 0 ? 16_000 : 40 + Math.floor(random() * 1_500);
    let text = sentence(random, words);
    if (i % 3 === 0) text = `From: a${i}@example.fr\nTo: b@example.fr\nSubject: note ${i}\n\n${text}`;
    if (i < 14) text += `\n\n${DISCLAIMER}`;
    if (i % 5 === 0) text += `\n${SHARED_WITH_BACKGROUND}`;
    const folder = i % 4 === 0 ? path.join(docs, 'inbox', 'sent') : i % 2 ? path.join(docs, 'inbox') : docs;
    fs.writeFileSync(path.join(folder, `doc${i}.txt`), text);
  }
  fs.writeFileSync(
    path.join(docs, 'page.html'),
    `<html><body><article><p>${sentence(random, 300)}</p><p>${sentence(random, 200)}</p></article></body></html>`,
  );
  fs.writeFileSync(
    path.join(docs, 'inbox', 'mail.eml'),
    `From: x@example.fr\r\nSubject: budget\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${sentence(random, 400)}\r\n`,
  );
  fs.writeFileSync(path.join(docs, 'scan.pdf'), '%PDF-1.4 not read');
  for (let i = 0; i < 4; i++)
    fs.writeFileSync(
      path.join(background, `ordinary${i}.txt`),
      `${sentence(random, 600)}\n${SHARED_WITH_BACKGROUND}\n${sentence(random, 300)}`,
    );
  return { docs, background };
}

/** Whole-array equality in one call: element-wise toEqual on 10^5 numbers takes seconds. */
function bytesOf(values: Float64Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

let root: string;
let leak: { docs: string; background: string };

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-build-parallel-'));
  leak = writeLeak(root);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('leakwatch build --jobs', () => {
  let stdout: string[];
  let stderr: string[];

  beforeEach(() => {
    stdout = [];
    stderr = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr.push(String(chunk));
      return true;
    });
    // Only the clock: issuedAt and expiresAt come from it, and everything else must match byte for byte.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-05-05T12:00:00Z') });
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  async function build(jobs: number, docs = leak.docs): Promise<{ payload: Buffer; summary: string }> {
    const out = path.join(root, `list-${jobs}-${path.basename(docs)}.lwl`);
    stderr.length = 0;
    const code = await main([
      'build',
      '--docs',
      docs,
      '--background',
      leak.background,
      '--hashtag',
      'MacronLeaks',
      '--list-version',
      '42',
      '--jobs',
      String(jobs),
      '--out',
      out,
    ]);
    expect(code, stderr.join('')).toBe(0);
    return { payload: fs.readFileSync(out), summary: stderr.join('') };
  }

  it('writes the same bytes with 1, 2 and 3 threads', async () => {
    const one = await build(1);
    const two = await build(2);
    const three = await build(3);
    expect(one.summary).toContain('one thread');
    expect(two.summary).toMatch(/, 2 threads \([1-9]\d* \+ [1-9]\d* documents\)\n$/);
    expect(three.summary).toMatch(/, 3 threads \([1-9]\d* \+ [1-9]\d* \+ [1-9]\d* documents\)\n$/);
    const counts = (s: string) => s.replace(/, [\d.]+ s, .*$/s, '');
    expect(counts(two.summary)).toBe(counts(one.summary));
    expect(counts(three.summary)).toBe(counts(one.summary));
    // The folder exercises both drops and the skipped file, or the equality would prove less.
    expect(one.summary).toMatch(
      /^38 documents \([\d.]+ MB, \d+ words, 1 other files skipped\), \d+ fingerprints \([1-9]\d* dropped as background, [1-9]\d* as boilerplate\)/,
    );
    const list = decodeList(new Uint8Array(one.payload));
    expect(list.fingerprints[0]!.length).toBeGreaterThan(10_000);
    expect(two.payload.equals(one.payload)).toBe(true);
    expect(three.payload.equals(one.payload)).toBe(true);
  });

  it('writes the same bytes on real mail (../shared/data/enron-sample)', async () => {
    const enron = sharedDataPath('enron-sample');
    if (!enron) return;
    const one = await build(1, enron);
    const two = await build(2, enron);
    expect(decodeList(new Uint8Array(one.payload)).fingerprints[0]!.length).toBeGreaterThan(50_000);
    expect(two.payload.equals(one.payload)).toBe(true);
  });

  it('reports a file a worker cannot read as one line, exit 2, and leaves the old list in place', async () => {
    // With two threads and two files, the main thread reads a.txt and the worker b.txt.
    const docs = path.join(root, 'vanishing');
    fs.mkdirSync(docs);
    fs.writeFileSync(path.join(docs, 'a.txt'), sentence(rng(1), 50));
    const victim = path.join(docs, 'b.txt');
    fs.writeFileSync(victim, sentence(rng(2), 50));
    const out = path.join(root, 'kept.lwl');
    fs.writeFileSync(out, 'the previous good list');
    // main() first yields once it has walked the folder and read a.txt; the worker is still starting.
    const running = main(['build', '--docs', docs, '--jobs', '2', '--out', out]);
    fs.rmSync(victim);
    expect(await running).toBe(2);
    expect(stderr).toEqual([`leakwatch build: cannot read ${victim}: no such file\n`]);
    expect(fs.readFileSync(out, 'utf8')).toBe('the previous good list');
    expect(fs.readdirSync(root).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('refuses a --jobs that is not a count of threads', async () => {
    for (const bad of ['0', '65', 'two', '-1']) {
      stderr.length = 0;
      const code = await main([
        'build',
        '--docs',
        leak.docs,
        '--jobs',
        bad,
        '--out',
        path.join(root, 'x.lwl'),
      ]);
      expect(code).toBe(2);
      expect(stderr.join('')).toMatch(/^leakwatch build: .*--jobs/);
    }
    expect(fs.existsSync(path.join(root, 'x.lwl'))).toBe(false);
  });
});

describe('fingerprintDocuments', () => {
  function documentFiles(dir: string, background = false): DocumentFile[] {
    return fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const file = path.join(e.parentPath, e.name);
        return { file, bytes: fs.statSync(file).size, background };
      });
  }

  it('gives the same stats and fingerprints in the main thread and in 3 workers', async () => {
    const files = [...documentFiles(leak.background, true), ...documentFiles(leak.docs)];
    const inline = await fingerprintDocuments(files, { k: 5, w: 2, jobs: 1 });
    const pooled = await fingerprintDocuments(files, { k: 5, w: 2, jobs: 3 });
    expect(inline.documentsByThread).toEqual([38]);
    expect(pooled.documentsByThread).toHaveLength(3);
    for (const documents of pooled.documentsByThread) expect(documents).toBeGreaterThan(0);
    expect({ ...pooled, builder: null, documentsByThread: null }).toEqual({
      ...inline,
      builder: null,
      documentsByThread: null,
    });
    const a = inline.builder.finish();
    const b = pooled.builder.finish();
    expect(b.params).toEqual(a.params);
    expect(bytesOf(b.fingerprints).equals(bytesOf(a.fingerprints))).toBe(true);
    expect(pooled.builder.stats).toEqual(inline.builder.stats);
  });

  it('fails with the same message in a worker as in the main thread', async () => {
    const present = documentFiles(leak.docs)[0]!;
    const missing: DocumentFile = { file: path.join(root, 'no-such.txt'), bytes: 10, background: false };
    const message = `cannot read ${missing.file}: no such file`;
    await expect(fingerprintDocuments([present, missing], { k: 5, w: 2, jobs: 1 })).rejects.toMatchObject({
      message,
    });
    // Each of two threads has one file of its own: the worker gets the missing one.
    await expect(fingerprintDocuments([present, missing], { k: 5, w: 2, jobs: 2 })).rejects.toMatchObject({
      message,
    });
    // From the shared part of the queue: whichever thread takes it stops the build the same way.
    const many = [...documentFiles(leak.docs), missing];
    await expect(fingerprintDocuments(many, { k: 5, w: 2, jobs: 3 })).rejects.toMatchObject({ message });
  });
});

describe('FingerprintSetBuilder.absorb', () => {
  it('finishes any split of the documents into the same list as one builder', () => {
    const random = rng(7);
    const common = sentence(random, 40);
    const texts = Array.from({ length: 60 }, (_, i) => {
      const body = sentence(random, 20 + Math.floor(random() * 400));
      return i % 4 === 0 ? `${body} ${common}` : body;
    });
    const background = [sentence(random, 300), `${texts[3]!.slice(0, 400)}`];
    const whole = new FingerprintSetBuilder({ k: 5, w: 2 });
    for (const t of background) whole.addBackground(t);
    for (const t of texts) whole.addDocument(t);
    const expected = whole.finish();
    expect(whole.stats.droppedBackground).toBeGreaterThan(0);
    expect(whole.stats.droppedCommon).toBeGreaterThan(0);
    for (let trial = 0; trial < 20; trial++) {
      const parts = Array.from({ length: 1 + (trial % 5) }, () => new FingerprintSetBuilder({ k: 5, w: 2 }));
      const pick = () => parts[Math.floor(random() * parts.length)]!;
      for (const t of background) pick().addBackground(t);
      for (const t of texts) pick().addDocument(t);
      const [first, ...rest] = parts;
      // Odd trials give each share room for the others, as the CLI's main thread does: merged in place.
      for (const part of rest) first!.absorb(part.takeSortedState(trial % 2 === 1 ? parts.length : 0));
      const split = first!.finish();
      expect(split.params).toEqual(expected.params);
      expect(bytesOf(split.fingerprints).equals(bytesOf(expected.fingerprints))).toBe(true);
      expect(first!.stats).toEqual(whole.stats);
    }
  });
});

describe('sortFingerprints', () => {
  it('sorts like the built-in sort, for uniform, clustered and repeated 53-bit values', () => {
    const random = rng(11);
    const draw = {
      uniform: () => Math.floor(random() * 2 ** 53),
      // All in one top-bits bucket: the bucket is too big for insertion sort.
      clustered: () => 2 ** 52 + Math.floor(random() * 1e6),
      repeated: () => Math.floor(random() * 50) * 2 ** 40,
      // Buckets of a few dozen holding two values each: the split path with duplicates.
      pairs: () => Math.floor(random() * 2000) * 2 ** 41,
      small: () => Math.floor(random() * 1000),
    };
    for (const [name, value] of Object.entries(draw)) {
      for (const n of [0, 1, 2, 4095, 4096, 4097, 70_000]) {
        const values = Float64Array.from({ length: n }, value);
        const expected = values.slice().sort();
        const sorted = sortFingerprints(values);
        expect(sorted.length, `${name} ${n}`).toBe(n);
        expect(bytesOf(sorted).equals(bytesOf(expected)), `${name} ${n}`).toBe(true);
      }
    }
  });
});
