import { defineConfig } from '@playwright/test';

/**
 * End-to-end scenarios in Firefox ESR (tests/e2e/firefox: the shared scenarios run with the
 * puppeteer driver). Run them with `npm run test:e2e:firefox` (scripts/e2e-firefox.mjs builds the
 * lists, the Firefox builds and the list server first); Playwright Test is only the runner here.
 */
export default defineConfig({
  testDir: 'tests/e2e/firefox',
  testMatch: '*.ts',
  outputDir: `test-results/playwright-firefox-${process.env.LEAKWATCH_E2E_PORT ?? '47821'}`,
  // One browser at a time: each test starts its own Firefox with the extension, on 2 cores.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 20_000 },
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
});
