import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper of the bin script, without type declarations
import { bundleDir } from '../../bin/cli-bundle.mjs';

const repo = path.resolve(__dirname, '../..');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-bundle-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('CLI bundle cache (bin/cli-bundle.mjs)', () => {
  // A copy of the sources, so that the test can change one without touching the checkout.
  for (const dir of ['cli', 'utils'])
    fs.cpSync(path.join(repo, dir), path.join(base, dir), { recursive: true });
  fs.copyFileSync(path.join(repo, 'package-lock.json'), path.join(base, 'package-lock.json'));
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(base, 'node_modules'));
  const cacheDir = path.join(base, 'cache');

  it('builds once, reuses the bundle, and rebuilds when a source changes', async () => {
    const first = await bundleDir({ base, cacheDir });
    expect(first).toMatchObject({ built: true });
    expect(fs.readdirSync(first.dir).sort()).toEqual(['build-worker.mjs', 'main.mjs']);
    const cli = await import(pathToFileURL(path.join(first.dir, 'main.mjs')).href);
    expect(typeof cli.main).toBe('function');

    expect(await bundleDir({ base, cacheDir })).toEqual({ dir: first.dir, built: false });

    const source = path.join(base, 'utils', 'errors.ts');
    const later = new Date(fs.statSync(source).mtimeMs + 5_000);
    fs.utimesSync(source, later, later);
    const second = await bundleDir({ base, cacheDir });
    expect(second.built).toBe(true);
    expect(second.dir).not.toBe(first.dir);
    // The bundle of the old sources is removed.
    expect(fs.readdirSync(cacheDir)).toEqual([path.basename(second.dir)]);
  }, 60_000);
});
