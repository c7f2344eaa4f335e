#!/usr/bin/env node
// npm run zip:firefox: the Firefox package for addons.mozilla.org and the sources zip its reviewers
// rebuild it from (README, "Firefox"). The packaged demo list is dated by SOURCE_DATE_EPOCH (the
// last commit's time unless set): the file of that name goes into the sources zip, so that
// `npm ci && npm run build:firefox` there signs the same list and yields the same files.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const epochFile = path.join(root, 'SOURCE_DATE_EPOCH');

function releaseEpoch() {
  if (process.env.SOURCE_DATE_EPOCH) return process.env.SOURCE_DATE_EPOCH.trim();
  try {
    return execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return String(Math.floor(Date.now() / 1000));
  }
}

const epoch = releaseEpoch();
fs.writeFileSync(epochFile, `${epoch}\n`);
let status = 1;
try {
  const env = { ...process.env, SOURCE_DATE_EPOCH: epoch };
  delete env.LEAKWATCH_OUT_DIR;
  status =
    spawnSync('npx', ['--no-install', 'wxt', 'zip', '-b', 'firefox'], { cwd: root, env, stdio: 'inherit' })
      .status ?? 1;
} finally {
  fs.rmSync(epochFile, { force: true });
}
if (status === 0)
  console.log(`SOURCE_DATE_EPOCH=${epoch} (in the sources zip as the file SOURCE_DATE_EPOCH)`);
process.exit(status);
