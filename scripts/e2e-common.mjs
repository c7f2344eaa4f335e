// What both end-to-end runners (scripts/e2e.mjs for Chromium, scripts/e2e-firefox.mjs) need:
// running a command in the repository, an environment free of a developer's build-time list
// settings, and an extension build whose manifest is checked before any test loads it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function run(cmd, args, env, { quiet = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: root,
      env,
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    const forward = (signal) => child.kill(signal);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve({ code: code ?? (signal ? 128 : 1), out });
    });
  });
}

/** Environment without build-time list settings a developer may have exported. */
export function cleanEnv(extra = {}) {
  const env = { ...process.env };
  delete env.WXT_LEAKWATCH_LIST_URL;
  delete env.WXT_LEAKWATCH_PUBKEYS;
  delete env.LEAKWATCH_OUT_DIR;
  return { ...env, ...extra };
}

/**
 * `wxt build` for `browser` ('chrome' or 'firefox', both MV3) into outDir; returns the unpacked
 * extension folder. A stray .env would silently turn the default build into a configured one, so
 * the manifest's host_permissions must be exactly `expectHosts`.
 */
export async function buildExtension(browser, outDir, env, expectHosts) {
  const r = await run(
    'npx',
    ['--no-install', 'wxt', 'build', '-b', browser],
    cleanEnv({ ...env, LEAKWATCH_OUT_DIR: outDir }),
  );
  if (r.code !== 0)
    throw new Error(
      `wxt build -b ${browser} (${outDir}) failed:\n${r.out.split('\n').slice(-30).join('\n')}`,
    );
  const ext = path.join(root, outDir, `${browser}-mv3`);
  const manifestFile = path.join(ext, 'manifest.json');
  if (!fs.existsSync(manifestFile)) throw new Error(`wxt build wrote no ${manifestFile}`);
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  const hosts = manifest.host_permissions ?? [];
  if (manifest.manifest_version !== 3 || JSON.stringify(hosts) !== JSON.stringify(expectHosts)) {
    throw new Error(
      `${manifestFile}: manifest_version ${manifest.manifest_version}, host_permissions ${JSON.stringify(hosts)}; ` +
        `expected 3 and ${JSON.stringify(expectHosts)}`,
    );
  }
  return ext;
}
