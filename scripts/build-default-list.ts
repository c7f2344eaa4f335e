import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../cli/main';

/**
 * Builds and signs the list packaged in the extension (public/lists/default.lwl) with the DEMO key
 * in defaults/: the first run works offline. It is rebuilt at every extension build so that its
 * validity period starts then. Production lists are signed elsewhere with keys that never enter
 * this repository (see README, "Keys").
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'public', 'lists');

export async function buildDefaultList(): Promise<void> {
  fs.mkdirSync(out, { recursive: true });
  const unsigned = path.join(out, 'default.unsigned');
  const run = async (args: string[]) => {
    const code = await main(args);
    if (code !== 0) throw new Error(`leakwatch ${args[0]} failed while building the default list`);
  };
  await run([
    'build',
    '--docs',
    path.join(root, 'defaults', 'demo-documents'),
    '--meta',
    path.join(root, 'defaults', 'macronleaks.meta.json'),
    '--out',
    unsigned,
  ]);
  await run([
    'sign',
    unsigned,
    '--key',
    path.join(root, 'defaults', 'demo-key.key'),
    '--out',
    path.join(out, 'default.lwl'),
  ]);
  fs.copyFileSync(path.join(root, 'defaults', 'demo-key.pub'), path.join(out, 'default.pub'));
  fs.rmSync(unsigned);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildDefaultList();
}
