#!/usr/bin/env node
// End-to-end suite (npm run test:e2e): real Chromium, the built extension, a local list server.
//  1. builds test keys and signed lists with the admin CLI into a temporary folder;
//  2. starts the list server / page host on 127.0.0.1:47813 (tests switch what /list.lwl serves);
//  3. builds the extension twice: default (bundled demo list, .output/e2e-default) and configured
//     (WXT_LEAKWATCH_LIST_URL / WXT_LEAKWATCH_PUBKEYS pointing at the server, .output/e2e);
//  4. runs `playwright test` (extra arguments are passed on: npm run test:e2e -- --grep popup).
// Environment: LEAKWATCH_E2E_CHROMIUM (default /usr/bin/chromium), LEAKWATCH_E2E_KEEP=1 keeps the
// temporary folder, LEAKWATCH_E2E_PORT (default 47813) runs a second suite beside a first one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { register } from 'tsx/esm/api';
import { buildExtension, cleanEnv, root, run } from './e2e-common.mjs';

register();
const { makeFixtures } = await import('../tests/e2e/support/make-fixtures.ts');
const { startServer } = await import('../tests/e2e/support/server.ts');
const { FIXTURES_ENV, LIST_URL, ORIGIN, RUN_SUFFIX } = await import('../tests/e2e/support/config.ts');

const started = Date.now();
const log = (msg) => console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const chromium = process.env.LEAKWATCH_E2E_CHROMIUM || '/usr/bin/chromium';

let server;
let tmp;
let code = 1;
try {
  if (!fs.existsSync(chromium)) {
    throw new Error(
      `no Chromium at ${chromium} (apt-get install -y chromium, or set LEAKWATCH_E2E_CHROMIUM)`,
    );
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-e2e-'));
  const builds = {
    default: path.join(root, '.output', `e2e-default${RUN_SUFFIX}`, 'chrome-mv3'),
    configured: path.join(root, '.output', `e2e${RUN_SUFFIX}`, 'chrome-mv3'),
  };
  log('building test keys and lists with the CLI');
  const fixtures = await makeFixtures(root, tmp, builds);
  server = await startServer(root, fixtures);
  log(`list server on ${ORIGIN}`);

  log(`building the extension: default (bundled list) -> .output/e2e-default${RUN_SUFFIX}`);
  await buildExtension('chrome', path.join('.output', `e2e-default${RUN_SUFFIX}`), {}, []);
  log(`building the extension: configured (${LIST_URL}) -> .output/e2e${RUN_SUFFIX}`);
  await buildExtension(
    'chrome',
    path.join('.output', `e2e${RUN_SUFFIX}`),
    { WXT_LEAKWATCH_LIST_URL: LIST_URL, WXT_LEAKWATCH_PUBKEYS: fixtures.keyA.pub },
    [`${ORIGIN}/*`],
  );

  fs.mkdirSync(fixtures.screenshotDir, { recursive: true });
  const fixturesFile = path.join(tmp, 'fixtures.json');
  fs.writeFileSync(fixturesFile, JSON.stringify(fixtures, null, 2));
  log('running playwright');
  const r = await run(
    'npx',
    ['--no-install', 'playwright', 'test', ...process.argv.slice(2)],
    cleanEnv({
      [FIXTURES_ENV]: fixturesFile,
      LEAKWATCH_E2E_CHROMIUM: chromium,
      PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
    }),
    { quiet: false },
  );
  code = r.code;
  log(`playwright exited with ${code}; screenshots in ${path.relative(root, fixtures.screenshotDir)}/`);
} catch (err) {
  console.error(`e2e: ${err instanceof Error ? err.message : err}`);
  code = 1;
} finally {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (tmp && !process.env.LEAKWATCH_E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) log(`kept ${tmp}`);
}
process.exit(code);
