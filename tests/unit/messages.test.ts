import { describe, expect, it } from 'vitest';
import {
  MAX_BLOCKS_PER_LOOKUP,
  MAX_LINK_CHARS,
  MAX_LINKS_PER_BLOCK,
  MAX_LOOKUP_CHARS,
  MAX_TEXT_CHARS,
} from '../../lib/lookup-limits';
import { requestSchema } from '../../lib/messages';

const accepts = (raw: unknown) => requestSchema.safeParse(raw).success;
const lookup = (texts: unknown, links: unknown = []) => ({ type: 'lookup', texts, links });

describe('requestSchema, hello and lookup', () => {
  it('accepts a hello and a lookup in the wire form of lookup-limits.ts', () => {
    expect(accepts({ type: 'hello' })).toBe(true);
    expect(
      accepts(
        lookup(
          ['a', 'b', 'c'],
          [
            [0, ['https://x.example/']],
            [2, ['https://y.example/']],
          ],
        ),
      ),
    ).toBe(true);
    expect(accepts(lookup([]))).toBe(true);
  });

  it.each([
    ['a hello with another key', { type: 'hello', extra: 1 }],
    ['a lookup with another key', { ...lookup(['a']), more: 1 }],
    ['a lookup without links', { type: 'lookup', texts: ['a'] }],
    ['a text that is not a string', lookup([1])],
    ['too many texts', lookup(Array.from({ length: MAX_BLOCKS_PER_LOOKUP + 1 }, () => ''))],
    ['a text over its limit', lookup(['t'.repeat(MAX_TEXT_CHARS + 1)])],
    ['links of a block that is not in the lookup', lookup(['a'], [[1, ['https://x.example/']]])],
    [
      'links of one block twice',
      lookup(
        ['a', 'b'],
        [
          [1, ['l']],
          [1, ['m']],
        ],
      ),
    ],
    [
      'links out of order',
      lookup(
        ['a', 'b'],
        [
          [1, ['l']],
          [0, ['m']],
        ],
      ),
    ],
    ['a negative or fractional index', lookup(['a', 'b'], [[0.5, ['l']]])],
    ['an empty list of links', lookup(['a'], [[0, []]])],
    ['an empty link', lookup(['a'], [[0, ['']]])],
    ['a link over its limit', lookup(['a'], [[0, ['l'.repeat(MAX_LINK_CHARS + 1)]]])],
    ['too many links', lookup(['a'], [[0, Array.from({ length: MAX_LINKS_PER_BLOCK + 1 }, () => 'l')]])],
    ['links as a third item', lookup(['a'], [[0, ['l'], 'x']])],
    ['the former one-object-per-block form', { type: 'lookup', blocks: [{ text: 'a', links: [] }] }],
    ['an unknown type', { type: 'nothing' }],
    ['a type that is an object key', { type: 'toString' }],
    ['no object at all', 'lookup'],
    ['null', null],
  ])('refuses %s', (_what, raw) => {
    expect(accepts(raw)).toBe(false);
  });

  it('holds at the limit of the text of one lookup', () => {
    const full = 't'.repeat(MAX_LOOKUP_CHARS - MAX_TEXT_CHARS);
    for (const extra of [0, 1]) {
      const raw = lookup(
        ['t'.repeat(MAX_TEXT_CHARS), full + 't'.repeat(extra)],
        [[1, ['https://x.example/']]],
      );
      expect(accepts(raw)).toBe(extra === 0);
    }
  });

  it('hands back copies, not the objects it was given', () => {
    const links = ['https://x.example/'];
    const parsed = requestSchema.safeParse(lookup(['a'], [[0, links]]));
    expect(parsed.success && parsed.data.type === 'lookup' && parsed.data.links[0]![1]).not.toBe(links);
  });
});
