import fs from 'node:fs';
import path from 'node:path';
import { htmlToBlocks } from '../utils/blocks';
import { emlToParagraphs } from '../utils/eml';

/** Readable text of one document file, by extension; null for a type the CLI does not read. */
export function documentText(file: string, content: string): string | null {
  const ext = path.extname(file).toLowerCase();
  switch (ext) {
    case '.txt':
    case '.md':
    case '.text':
      return content;
    case '.eml':
      return emlToParagraphs(content).join('\n\n');
    case '.html':
    case '.htm':
      return htmlToBlocks(content)
        .map((b) => b.text)
        .join('\n\n');
    default:
      return null;
  }
}

/** Every file below `dir`, sorted so that builds are reproducible. Symlinked folders are not followed. */
export function* walkFiles(dir: string): Generator<string> {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new Error(`cannot read folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) yield* walkFiles(full);
    else if (e.isFile()) yield full;
  }
}
