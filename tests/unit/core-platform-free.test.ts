import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * utils/ is shared unchanged by the CLI (Node) and the extension (service worker and content
 * script), so it may use only what all three have: no extension APIs, no DOM, no Node modules.
 */
const FORBIDDEN: [RegExp, string][] = [
  [/\bbrowser\.\w/, 'extension API (browser.*)'],
  [/\bchrome\.\w/, 'extension API (chrome.*)'],
  [/\b(?:document|window|navigator|localStorage|indexedDB)\b(?!['"])/, 'DOM global'],
  [/from ['"]node:|require\(['"]node:|from ['"](?:fs|path|os|crypto|child_process)['"]/, 'Node module'],
  [/\bBuffer\b|\bprocess\.\w/, 'Node global'],
  [/from ['"](?:webextension-polyfill|wxt\/|idb)/, 'extension-only package'],
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : /\.tsx?$/.test(e.name) ? [full] : [];
  });
}

function withoutComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('utils/ is platform-free', () => {
  const files = sourceFiles(path.resolve(__dirname, '../../utils'));
  it('has files to check', () => expect(files.length).toBeGreaterThan(5));
  it.each(files.map((f) => [path.relative(process.cwd(), f), f]))(
    '%s uses no platform-specific API',
    (_name, file) => {
      const code = withoutComments(fs.readFileSync(file, 'utf8'));
      for (const [pattern, what] of FORBIDDEN) expect(code, what).not.toMatch(pattern);
    },
  );
});
