#!/usr/bin/env node
// npm run check:firefox-sources: does the sources zip rebuild the Firefox package? Unzips both
// zips of `npm run zip:firefox` into a temporary folder, runs `npm ci` and `npm run build:firefox`
// in the unzipped sources (what an addons.mozilla.org reviewer does, README "Firefox"), and
// compares the rebuilt .output/firefox-mv3 with the package, file by file and byte for byte.
// Needs the npm registry (npm ci) and `unzip`. Prints every difference; exits 1 if there is one.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const packageZip = path.join(root, '.output', `leakwatch-${version}-firefox.zip`);
const sourcesZip = path.join(root, '.output', `leakwatch-${version}-sources.zip`);

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed in ${cwd}:\n${(r.stdout + r.stderr).split('\n').slice(-25).join('\n')}`,
    );
  }
}

function digests(dir) {
  const out = new Map();
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const file = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(file);
      else
        out.set(
          file,
          crypto
            .createHash('sha256')
            .update(fs.readFileSync(path.join(dir, file)))
            .digest('hex'),
        );
    }
  };
  walk('');
  return out;
}

for (const zip of [packageZip, sourcesZip]) {
  if (!fs.existsSync(zip)) {
    console.error(`check-firefox-sources: no ${path.relative(root, zip)}; run 'npm run zip:firefox' first`);
    process.exit(1);
  }
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-amo-'));
let code = 1;
try {
  const shipped = path.join(tmp, 'package');
  const sources = path.join(tmp, 'sources');
  run('unzip', ['-q', packageZip, '-d', shipped], tmp);
  run('unzip', ['-q', sourcesZip, '-d', sources], tmp);
  const started = Date.now();
  console.log('npm ci in the unzipped sources...');
  run('npm', ['ci', '--no-audit', '--no-fund'], sources);
  console.log('npm run build:firefox...');
  run('npm', ['run', 'build:firefox'], sources);
  const rebuilt = digests(path.join(sources, '.output', 'firefox-mv3'));
  const expected = digests(shipped);
  const differences = [];
  for (const [file, sum] of expected) {
    if (!rebuilt.has(file)) differences.push(`missing from the rebuild: ${file}`);
    else if (rebuilt.get(file) !== sum) differences.push(`different bytes: ${file}`);
  }
  for (const file of rebuilt.keys())
    if (!expected.has(file)) differences.push(`only in the rebuild: ${file}`);
  console.log(
    `${expected.size} files in the package, ${rebuilt.size} rebuilt in ${((Date.now() - started) / 1000).toFixed(0)} s: ` +
      (differences.length === 0 ? 'all identical, byte for byte' : `${differences.length} differences`),
  );
  for (const d of differences) console.log(`  ${d}`);
  code = differences.length === 0 ? 0 : 1;
} catch (err) {
  console.error(`check-firefox-sources: ${err instanceof Error ? err.message : err}`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
