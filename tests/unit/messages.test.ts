import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  MAX_BLOCKS_PER_LOOKUP,
  MAX_LINK_CHARS,
  MAX_LINKS_PER_BLOCK,
  MAX_LOOKUP_CHARS,
  MAX_TEXT_CHARS,
} from '../../lib/lookup-limits';
import { requestSchema } from '../../lib/messages';

/** The lookup and hello rules as zod schemas: what the hand-written checks must accept, exactly. */
const reference = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello') }),
  z.strictObject({
    type: z.literal('lookup'),
    blocks: z
      .array(
        z.strictObject({
          text: z.string().max(MAX_TEXT_CHARS),
          links: z.array(z.string().min(1).max(MAX_LINK_CHARS)).max(MAX_LINKS_PER_BLOCK),
        }),
      )
      .max(MAX_BLOCKS_PER_LOOKUP)
      .refine((blocks) => blocks.reduce((n, b) => n + b.text.length, 0) <= MAX_LOOKUP_CHARS),
  }),
]);

function expectSameVerdict(raw: unknown): void {
  const expected = reference.safeParse(raw);
  const got = requestSchema.safeParse(raw);
  expect(got.success).toBe(expected.success);
  if (got.success && expected.success) expect(got.data).toEqual(expected.data);
}

/** Anything a hostile page could put where a value is expected. */
const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  fc.string({ maxLength: 5 }),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
);

const link = fc.oneof(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.constant(''),
  fc.constant('l'.repeat(MAX_LINK_CHARS)),
  fc.constant('l'.repeat(MAX_LINK_CHARS + 1)),
  junk,
);

const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 20 }) },
  fc.constant('t'.repeat(MAX_TEXT_CHARS)),
  fc.constant('t'.repeat(MAX_TEXT_CHARS + 1)),
  junk,
);

const block = fc.oneof(
  { weight: 6, arbitrary: fc.record({ text, links: fc.array(link, { maxLength: 3 }) }) },
  fc.record({ text, links: fc.constant(Array.from({ length: MAX_LINKS_PER_BLOCK + 1 }, () => 'x')) }),
  fc.record({ text }),
  fc.record({ text, links: fc.array(link, { maxLength: 2 }), extra: junk }),
  junk,
);

const lookup = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ type: fc.constant('lookup'), blocks: fc.array(block, { maxLength: 4 }) }),
  },
  fc.record({
    type: fc.constant('lookup'),
    blocks: fc.constant(Array.from({ length: MAX_BLOCKS_PER_LOOKUP + 1 }, () => ({ text: '', links: [] }))),
  }),
  fc.record({ type: fc.constant('lookup'), blocks: fc.array(block, { maxLength: 2 }), more: junk }),
  fc.record({ type: fc.constant('lookup') }),
  fc.record({ type: fc.constant('hello'), extra: junk }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.oneof(fc.constant('lookup'), fc.constant('hello'), junk), blocks: junk }),
  junk,
);

describe('requestSchema, hello and lookup', () => {
  it('accepts and refuses exactly what the same rules written in zod do', () => {
    fc.assert(fc.property(lookup, expectSameVerdict), { numRuns: 3_000 });
  });

  it('holds at the limits of the text of one lookup', () => {
    const full = 't'.repeat(MAX_LOOKUP_CHARS - MAX_TEXT_CHARS);
    for (const extra of [0, 1]) {
      const blocks = [
        { text: 't'.repeat(MAX_TEXT_CHARS), links: [] },
        { text: full + 't'.repeat(extra), links: ['https://x.example/'] },
      ];
      expectSameVerdict({ type: 'lookup', blocks });
      expect(requestSchema.safeParse({ type: 'lookup', blocks }).success).toBe(extra === 0);
    }
  });

  it('hands back copies, not the objects it was given', () => {
    const links = ['https://x.example/'];
    const raw = { type: 'lookup', blocks: [{ text: 'a', links }] };
    const parsed = requestSchema.safeParse(raw);
    expect(parsed.success && parsed.data.type === 'lookup' && parsed.data.blocks[0]!.links).not.toBe(links);
  });
});
