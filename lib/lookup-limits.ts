/**
 * Bounds of a lookup request, which the background enforces (lib/messages.ts) by refusing the whole
 * request, and the content script keeps to; and the request's shape on the wire. A module of their
 * own: the content script must not bundle zod with the schemas.
 */
export const MAX_BLOCKS_PER_LOOKUP = 200;
/** Characters of one block's text; the content script stops reading a block there. */
export const MAX_TEXT_CHARS = 200_000;
/** Characters of all the texts of one lookup: one full-size block, with room to spare. */
export const MAX_LOOKUP_CHARS = 256_000;
export const MAX_LINKS_PER_BLOCK = 200;
export const MAX_LINK_CHARS = 2_048;

/** One block as the content script read it. */
export interface BlockText {
  text: string;
  links: string[];
}

/**
 * A lookup as it travels: the texts in one array, and the links of the few blocks that have any,
 * by index. A message is serialised on the page's main thread, and an object per block made that
 * cost a third to a half more than the same texts as plain strings (Chromium 156, ~0.9 MB of
 * paragraphs in 64,000-character messages: 22-47 ms against 13-29 ms).
 */
export interface LookupWire {
  texts: string[];
  /** [index into texts, that block's links], indices increasing; blocks without links are left out. */
  links: [number, string[]][];
}

export function packLookup(blocks: readonly BlockText[]): LookupWire {
  const links: [number, string[]][] = [];
  for (let i = 0; i < blocks.length; i++) {
    const own = blocks[i]!.links;
    if (own.length > 0) links.push([i, own]);
  }
  return { texts: blocks.map((b) => b.text), links };
}

export function unpackLookup(wire: LookupWire): BlockText[] {
  const blocks = wire.texts.map((text): BlockText => ({ text, links: [] }));
  for (const [i, links] of wire.links) {
    const block = blocks[i];
    if (block) block.links = links;
  }
  return blocks;
}
