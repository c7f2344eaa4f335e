// The CLI is TypeScript that shares utils/ with the extension. Compiling it through tsx on every
// run cost about 0.7 s of CPU before any work (and as much again in each build worker), so it runs
// from one esbuild bundle per entry, written under node_modules/.cache the first time and again
// whenever a source file changes. Without esbuild, or when the cache cannot be written, it runs the
// sources through tsx as before: slower to start, same behaviour.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['cli', 'utils'];
const ENTRIES = { main: 'cli/main.ts', 'build-worker': 'cli/build-worker.ts' };
// Bundled packages (zod, htmlparser2) may call require(): ESM output needs one.
const BANNER =
  "import { createRequire as __leakwatchRequire } from 'node:module'; const require = __leakwatchRequire(import.meta.url);";

/** Names, sizes and modification times of every source the bundle is made of, hashed. */
export function sourceStamp(base = root) {
  const hash = crypto.createHash('sha256');
  const visit = (dir) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.isFile()) {
        const stat = fs.statSync(full);
        hash.update(`${path.relative(base, full)}\0${stat.size}\0${stat.mtimeMs}\n`);
      }
    }
  };
  for (const dir of SOURCE_DIRS) visit(path.join(base, dir));
  hash.update(fs.readFileSync(path.join(base, 'package-lock.json')));
  return hash.digest('hex').slice(0, 16);
}

/**
 * The folder holding main.mjs and build-worker.mjs for the current sources, built if needed; null
 * when it cannot be (no esbuild, read-only cache). Concurrent first runs each build into a folder
 * of their own and rename it into place: the first rename wins, the others use it.
 */
export async function bundleDir({
  base = root,
  cacheDir = path.join(base, 'node_modules', '.cache', 'leakwatch-cli'),
} = {}) {
  const stamp = sourceStamp(base);
  const dir = path.join(cacheDir, stamp);
  if (fs.existsSync(path.join(dir, 'main.mjs'))) return { dir, built: false };
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return null;
  }
  const staging = `${dir}.${process.pid}.partial`;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    await esbuild.build({
      absWorkingDir: base,
      entryPoints: ENTRIES,
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      banner: { js: BANNER },
      logLevel: 'silent',
    });
    try {
      fs.renameSync(staging, dir);
    } catch (err) {
      if (!fs.existsSync(path.join(dir, 'main.mjs'))) throw err;
      fs.rmSync(staging, { recursive: true, force: true });
    }
  } catch {
    fs.rmSync(staging, { recursive: true, force: true });
    return null;
  }
  // Bundles of older sources are of no further use.
  for (const old of fs.readdirSync(cacheDir)) {
    if (old !== stamp && !old.includes('.partial'))
      fs.rmSync(path.join(cacheDir, old), { recursive: true, force: true });
  }
  return { dir, built: true };
}

/** The CLI's main(), from the bundle when there is one, else from the sources through tsx. */
export async function loadCli() {
  const bundle = process.env.LEAKWATCH_CLI_FROM_SOURCES === '1' ? null : await bundleDir().catch(() => null);
  if (bundle) return import(pathToFileURL(path.join(bundle.dir, 'main.mjs')).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(path.join(root, 'cli', 'main.ts')).href);
}
