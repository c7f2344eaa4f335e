/**
 * Bounds of a lookup request, which the background enforces (lib/messages.ts) by refusing the whole
 * request, and the content script keeps to. A module of their own: the content script must not
 * bundle zod with the schemas.
 */
export const MAX_BLOCKS_PER_LOOKUP = 200;
/** Characters of one block's text; the content script stops reading a block there. */
export const MAX_TEXT_CHARS = 200_000;
/** Characters of all the texts of one lookup: one full-size block, with room to spare. */
export const MAX_LOOKUP_CHARS = 256_000;
export const MAX_LINKS_PER_BLOCK = 200;
export const MAX_LINK_CHARS = 2_048;
