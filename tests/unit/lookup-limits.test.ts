import { describe, expect, it } from 'vitest';
import { type BlockText, packLookup, unpackLookup } from '../../lib/lookup-limits';
import { requestSchema } from '../../lib/messages';

describe('lookup wire form', () => {
  it('carries texts in order and links only for the blocks that have any, and unpacks to the same blocks', () => {
    const blocks: BlockText[] = [
      { text: 'first', links: [] },
      { text: '', links: ['https://a.example/1', 'https://a.example/2'] },
      { text: 'third', links: [] },
      { text: 'fourth', links: ['https://b.example/'] },
    ];
    const wire = packLookup(blocks);
    expect(wire).toEqual({
      texts: ['first', '', 'third', 'fourth'],
      links: [
        [1, ['https://a.example/1', 'https://a.example/2']],
        [3, ['https://b.example/']],
      ],
    });
    expect(requestSchema.safeParse({ type: 'lookup', ...wire }).success).toBe(true);
    expect(unpackLookup(wire)).toEqual(blocks);
    expect(unpackLookup(packLookup([]))).toEqual([]);
  });

  it('is refused when links name a block twice, out of order or beyond the texts', () => {
    const link = 'https://a.example/';
    for (const links of [
      [[2, [link]]],
      [
        [1, [link]],
        [0, [link]],
      ],
      [
        [0, [link]],
        [0, [link]],
      ],
      [[-1, [link]]],
      [[0.5, [link]]],
    ]) {
      expect(requestSchema.safeParse({ type: 'lookup', texts: ['a', 'b'], links }).success).toBe(false);
    }
  });
});
