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
  z
    .strictObject({
      type: z.literal('lookup'),
      texts: z
        .array(z.string().max(MAX_TEXT_CHARS))
        .max(MAX_BLOCKS_PER_LOOKUP)
        .refine((texts) => texts.reduce((n, t) => n + t.length, 0) <= MAX_LOOKUP_CHARS),
      links: z
        .array(
          z.tuple([
            z.number().int().min(0),
            z.array(z.string().min(1).max(MAX_LINK_CHARS)).min(1).max(MAX_LINKS_PER_BLOCK),
          ]),
        )
        .max(MAX_BLOCKS_PER_LOOKUP),
    })
    .refine(({ texts, links }) =>
      links.every(([index], i) => index < texts.length && (i === 0 || index > links[i - 1]![0])),
    ),
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

const index = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) },
  fc.constant(-1),
  fc.constant(0.5),
  junk,
);

const blockLinks = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(index, fc.array(link, { minLength: 1, maxLength: 3 })) },
  fc.tuple(index, fc.constant([])),
  fc.tuple(index, fc.constant(Array.from({ length: MAX_LINKS_PER_BLOCK + 1 }, () => 'x'))),
  fc.tuple(index, fc.array(link, { maxLength: 2 }), junk),
  fc.tuple(index),
  junk,
);

const lookup = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('lookup'),
      texts: fc.array(text, { maxLength: 4 }),
      links: fc.array(blockLinks, { maxLength: 3 }),
    }),
  },
  fc.record({
    type: fc.constant('lookup'),
    texts: fc.constant(Array.from({ length: MAX_BLOCKS_PER_LOOKUP + 1 }, () => '')),
    links: fc.constant([]),
  }),
  fc.record({
    type: fc.constant('lookup'),
    texts: fc.array(text, { maxLength: 2 }),
    links: fc.constant([]),
    more: junk,
  }),
  fc.record({ type: fc.constant('lookup'), texts: fc.array(text, { maxLength: 2 }) }),
  fc.record({ type: fc.constant('hello'), extra: junk }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.oneof(fc.constant('lookup'), fc.constant('hello'), junk), texts: junk, links: junk }),
  junk,
);

describe('requestSchema, hello and lookup', () => {
  it('accepts and refuses exactly what the same rules written in zod do', () => {
    fc.assert(fc.property(lookup, expectSameVerdict), { numRuns: 3_000 });
  });

  it('holds at the limits of the text of one lookup', () => {
    const full = 't'.repeat(MAX_LOOKUP_CHARS - MAX_TEXT_CHARS);
    for (const extra of [0, 1]) {
      const raw = {
        type: 'lookup',
        texts: ['t'.repeat(MAX_TEXT_CHARS), full + 't'.repeat(extra)],
        links: [[1, ['https://x.example/']]],
      };
      expectSameVerdict(raw);
      expect(requestSchema.safeParse(raw).success).toBe(extra === 0);
    }
  });

  it('hands back copies, not the objects it was given', () => {
    const links = ['https://x.example/'];
    const raw = { type: 'lookup', texts: ['a'], links: [[0, links]] };
    const parsed = requestSchema.safeParse(raw);
    expect(parsed.success && parsed.data.type === 'lookup' && parsed.data.links[0]![1]).not.toBe(links);
  });
});
