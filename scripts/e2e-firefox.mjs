#!/usr/bin/env node
// End-to-end scenarios in Firefox ESR (npm run test:e2e:firefox): the scenarios of the Chromium
// suite (tests/e2e/scenarios), driven by puppeteer-core over WebDriver BiDi.
//  1. builds test keys and signed lists with the admin CLI into a temporary folder;
//  2. starts the list server / page host on 127.0.0.1:47821 (not the Chromium suite's 47813, so
//     both suites can run side by side);
//  3. builds the Firefox extension twice: default (bundled demo list) and configured (list server);
//  4. runs `playwright test -c playwright.firefox.config.ts` (extra arguments are passed on).
// Environment: LEAKWATCH_E2E_FIREFOX (default /usr/bin/firefox-esr), LEAKWATCH_E2E_PORT (default
// 47821), LEAKWATCH_E2E_KEEP=1 keeps the temporary folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { register } from 'tsx/esm/api';
import { buildExtension, cleanEnv, root, run } from './e2e-common.mjs';

process.env.LEAKWATCH_E2E_PORT ||= '47821';
register();
const { makeFixtures } = await import('../tests/e2e/support/make-fixtures.ts');
const { startServer } = await import('../tests/e2e/support/server.ts');
const { FIXTURES_ENV, LIST_URL, ORIGIN, PORT } = await import('../tests/e2e/support/config.ts');

const started = Date.now();
const log = (msg) => console.log(`[e2e firefox ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const firefox = process.env.LEAKWATCH_E2E_FIREFOX || '/usr/bin/firefox-esr';

let server;
let tmp;
let code = 1;
try {
  if (!fs.existsSync(firefox)) {
    throw new Error(
      `no Firefox at ${firefox} (apt-get install -y firefox-esr, or set LEAKWATCH_E2E_FIREFOX)`,
    );
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-e2e-firefox-'));
  const outDefault = path.join('.output', `e2e-firefox-default-${PORT}`);
  const outConfigured = path.join('.output', `e2e-firefox-${PORT}`);
  const builds = {
    default: path.join(root, outDefault, 'firefox-mv3'),
    configured: path.join(root, outConfigured, 'firefox-mv3'),
  };
  log('building test keys and lists with the CLI');
  const fixtures = await makeFixtures(root, tmp, builds);
  fixtures.screenshotDir = path.join(root, 'test-results', `screenshots-firefox-${PORT}`);
  server = await startServer(root, fixtures);
  log(`list server on ${ORIGIN}`);

  log(`building the Firefox extension: default (bundled list) -> ${outDefault}`);
  await buildExtension('firefox', outDefault, {}, []);
  log(`building the Firefox extension: configured (${LIST_URL}) -> ${outConfigured}`);
  await buildExtension(
    'firefox',
    outConfigured,
    { WXT_LEAKWATCH_LIST_URL: LIST_URL, WXT_LEAKWATCH_PUBKEYS: fixtures.keyA.pub },
    [`${ORIGIN}/*`],
  );

  fs.mkdirSync(fixtures.screenshotDir, { recursive: true });
  const fixturesFile = path.join(tmp, 'fixtures.json');
  fs.writeFileSync(fixturesFile, JSON.stringify(fixtures, null, 2));
  log(`running the scenarios in ${firefox}`);
  const r = await run(
    'npx',
    ['--no-install', 'playwright', 'test', '-c', 'playwright.firefox.config.ts', ...process.argv.slice(2)],
    cleanEnv({
      [FIXTURES_ENV]: fixturesFile,
      LEAKWATCH_E2E_FIREFOX: firefox,
      PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
    }),
    { quiet: false },
  );
  code = r.code;
  log(`playwright exited with ${code}; screenshots in ${path.relative(root, fixtures.screenshotDir)}/`);
} catch (err) {
  console.error(`e2e firefox: ${err instanceof Error ? err.message : err}`);
  code = 1;
} finally {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (tmp && !process.env.LEAKWATCH_E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) log(`kept ${tmp}`);
}
process.exit(code);
