import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared/data beside the project; tests that need it skip with a message when it is absent. */
export const SHARED_DATA = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/data',
);

export function sharedDataPath(...parts: string[]): string | null {
  const p = path.join(SHARED_DATA, ...parts);
  if (fs.existsSync(p)) return p;
  console.warn(`skipping: ${p} is absent (it lives in ../shared/data beside the project)`);
  return null;
}
