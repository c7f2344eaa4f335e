import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests of the built extension in Debian Chromium. Run them with `npm run test:e2e`
 * (scripts/e2e.mjs builds the lists, the two extension builds and the list server first);
 * `npx playwright test` alone has nothing to load.
 */
export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: `test-results/playwright${process.env.LEAKWATCH_E2E_PORT ? `-${process.env.LEAKWATCH_E2E_PORT}` : ''}`,
  // One browser at a time: each test starts its own Chromium with the extension, on 2 cores.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 20_000 },
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
});
