#!/usr/bin/env node
// `npm start`: builds the extension subscribed to the signed demo list served from localhost, serves
// a demo feed, and opens Chromium with the extension on it. Without a display it says so and saves
// screenshots of the demo page and the popup instead.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.LEAKWATCH_DEMO_PORT ?? 47812);
const base = `http://127.0.0.1:${port}`;
const outDir = path.join(root, '.output', 'demo');
const extension = path.join(outDir, 'chrome-mv3');
const listFile = path.join(root, 'public', 'lists', 'default.lwl');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

if (!fs.existsSync(chromiumPath))
  fail(`no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', base);
  if (url.pathname === '/list.lwl' && fs.existsSync(listFile)) {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(fs.readFileSync(listFile));
  } else if (url.pathname === '/' || url.pathname === '/feed.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(fs.readFileSync(path.join(root, 'demo', 'feed.html')));
  } else {
    res.writeHead(404).end();
  }
});
await new Promise((resolve, reject) => {
  server.once('error', (err) => reject(err));
  server.listen(port, '127.0.0.1', resolve);
}).catch((err) =>
  fail(`cannot serve the demo on ${base} (${err.code ?? err.message}); set LEAKWATCH_DEMO_PORT`),
);

console.log(`Building the extension, subscribed to ${base}/list.lwl (signed with the demo key)...`);
const build = spawnSync('npx', ['wxt', 'build'], {
  cwd: root,
  encoding: 'utf8',
  env: {
    ...process.env,
    LEAKWATCH_OUT_DIR: outDir,
    WXT_LEAKWATCH_LIST_URL: `${base}/list.lwl`,
    WXT_LEAKWATCH_PUBKEYS: fs.readFileSync(path.join(root, 'defaults', 'demo-key.pub'), 'utf8').trim(),
  },
});
if (build.status !== 0) {
  console.error(build.stdout, build.stderr);
  fail('the extension build failed (see above)');
}

const headed = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-demo-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: !headed,
  viewport: headed ? null : { width: 1000, height: 900 },
  args: [
    `--disable-extensions-except=${extension}`,
    `--load-extension=${extension}`,
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
  ],
});
const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
const extensionId = new URL(worker.url()).host;
const page = context.pages()[0] ?? (await context.newPage());
await page.goto(`${base}/feed.html`);

if (headed) {
  console.log(
    `Chromium is open on ${base}/feed.html with Leakwatch (${extensionId}). Close the window to stop.`,
  );
  await new Promise((resolve) => context.on('close', resolve));
} else {
  const shots = path.join(root, '.output', 'demo-screenshots');
  fs.mkdirSync(shots, { recursive: true });
  await page.waitForSelector('article.status[data-leakwatch-flagged]', { timeout: 30_000 }).catch(() => {});
  await page.waitForTimeout(2500); // the posts that arrive later
  await page.screenshot({ path: path.join(shots, 'demo-feed.png'), fullPage: true });
  const tabId = await worker.evaluate(
    async (url) => (await chrome.tabs.query({ url }))[0]?.id,
    `${base}/feed.html`,
  );
  const popup = await context.newPage();
  await popup.setViewportSize({ width: 380, height: 760 });
  await popup.goto(`chrome-extension://${extensionId}/popup.html?tabId=${tabId}`);
  await popup.waitForTimeout(1500);
  await popup.screenshot({ path: path.join(shots, 'demo-popup.png'), fullPage: true });
  const flagged = await page.locator('[data-leakwatch-flagged]').count();
  console.log(`No display here, so Chromium ran headless: ${flagged} posts flagged on the demo feed.`);
  console.log(`Screenshots: ${path.join(shots, 'demo-feed.png')} and ${path.join(shots, 'demo-popup.png')}`);
  await context.close();
}
server.close();
fs.rmSync(profile, { recursive: true, force: true });
