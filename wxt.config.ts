import fs from 'node:fs';
import path from 'node:path';
import preact from '@preact/preset-vite';
import { defineConfig } from 'wxt';
import { buildDefaultList } from './scripts/build-default-list';

const PACKAGED_LIST = ['lists/default.lwl', 'lists/default.pub'];
const LOCK = path.resolve('public', '.lists.lock');
const STALE_LOCK_MS = 120_000;

/**
 * The release time, for a rebuild from the sources zip to produce the same packaged list: the
 * SOURCE_DATE_EPOCH variable, or the file of that name that `npm run zip:firefox` puts in the
 * sources (see README, "Firefox").
 */
function sourceDateEpoch(): number | null {
  const text =
    process.env.SOURCE_DATE_EPOCH ??
    (fs.existsSync('SOURCE_DATE_EPOCH') ? fs.readFileSync('SOURCE_DATE_EPOCH', 'utf8') : '');
  if (text.trim() === '') return null;
  const seconds = Number(text.trim());
  if (!Number.isInteger(seconds) || seconds <= 0)
    throw new Error(`SOURCE_DATE_EPOCH is not a count of seconds: ${text.trim()}`);
  return seconds * 1000;
}

/** Builds run side by side (the e2e suites): one at a time may write public/lists. */
async function withListsLock<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A build killed while holding the lock leaves it behind.
      const heldSince = fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - heldSince > STALE_LOCK_MS) fs.rmSync(LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Builds and signs the packaged list (dated by SOURCE_DATE_EPOCH when given: the list build reads
 * the clock) and keeps a private copy for this build, which another build may not overwrite
 * before WXT copies the public folder.
 */
async function packagedList(outDir: string): Promise<Map<string, string>> {
  const copies = path.join(outDir, '.packaged-list');
  return withListsLock(async () => {
    const epoch = sourceDateEpoch();
    const realNow = Date.now;
    if (epoch !== null) Date.now = () => epoch;
    try {
      await buildDefaultList();
    } finally {
      Date.now = realNow;
    }
    fs.mkdirSync(copies, { recursive: true });
    return new Map(
      PACKAGED_LIST.map((file) => {
        const copy = path.join(copies, path.basename(file));
        fs.copyFileSync(path.resolve('public', file), copy);
        return [file, copy];
      }),
    );
  });
}

/** The build-time subscription's origin needs host permission: a static host rarely sends CORS headers. */
function listOrigins(): string[] {
  const url = process.env.WXT_LEAKWATCH_LIST_URL;
  if (!url) return [];
  try {
    return [`${new URL(url).origin}/*`];
  } catch {
    throw new Error(`WXT_LEAKWATCH_LIST_URL is not a URL: ${url}`);
  }
}

export default defineConfig({
  modules: ['@wxt-dev/webextension-polyfill'],
  // Every module says what it imports. Auto-imports had turned a free name in the content script
  // into an import of the list schemas, with zod's messages, into every page.
  imports: false,
  outDir: process.env.LEAKWATCH_OUT_DIR ?? '.output',
  // MV3 for Firefox too: one manifest version and one tested behaviour (README, "Firefox").
  manifestVersion: 3,
  vite: () => ({
    plugins: [preact()],
    // Readable function names in profiles of the browser bench (bench:browser --profile); only there.
    ...(process.env.LEAKWATCH_BENCH_UNMINIFIED === '1' ? { build: { minify: false } } : {}),
  }),
  hooks: (() => {
    let copies = new Map<string, string>();
    return {
      'build:before': async (wxt) => {
        copies = await packagedList(wxt.config.outBaseDir);
      },
      'build:publicAssets': (_wxt, files) => {
        for (const file of files) {
          const copy = copies.get(file.relativeDest);
          if (copy && 'absoluteSrc' in file) file.absoluteSrc = copy;
        }
      },
    };
  })(),
  zip: {
    // What AMO reviewers need to rebuild the extension, and nothing else (no tests, bench, demo).
    includeSources: [
      'SOURCE_DATE_EPOCH',
      'README.md',
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'wxt.config.ts',
      'entrypoints/**',
      'components/**',
      'lib/**',
      'utils/**',
      'cli/**',
      'defaults/**',
      'public/**',
      'scripts/build-default-list.ts',
    ],
    excludeSources: ['public/lists/**'],
  },
  manifest: ({ browser }) => ({
    name: '__MSG_extName__',
    description: '__MSG_extDescription__',
    default_locale: 'en',
    permissions: ['storage', 'alarms'],
    host_permissions: listOrigins(),
    optional_host_permissions: ['https://*/*', 'http://127.0.0.1/*', 'http://localhost/*'],
    storage: { managed_schema: 'managed-schema.json' },
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: {
              id: 'leakwatch@leakwatch.example',
              // 140: data_collection_permissions (Ed25519 in WebCrypto needs 129).
              strict_min_version: '140.0',
              data_collection_permissions: { required: ['none'] },
            },
            gecko_android: { strict_min_version: '142.0' },
          },
        }
      : {}),
  }),
});
