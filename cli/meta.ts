import fs from 'node:fs';
import * as z from 'zod/mini';
import { LeakwatchError } from '../utils/errors';
import { formatUrlPattern, parseUrlPattern } from '../utils/links';
import {
  contextSchema,
  describeSchemaError,
  entrySchema,
  type FingerprintParams,
  identifier,
  integer,
  type ListMeta,
  listMetaSchema,
  publisherSchema,
} from '../utils/list-schema';
import { NORMALISER_VERSION, normaliseHashtag } from '../utils/normalise';

/**
 * The `--meta` file: what a maintainer writes by hand. Everything the builder can work out
 * (version, dates, counts, fingerprint parameters, normalised hashtags) is left out of it; every
 * other field of the list may be given, and unknown fields are refused so a typo is not lost.
 */
const entryInput = z.partial(z.omit(entrySchema(), { fingerprintCount: true }), {
  summary: true,
  date: true,
  warning: true,
  legalNotice: true,
  authority: true,
  references: true,
  mayIncludeForgeries: true,
  hashtags: true,
  urlPatterns: true,
});

const metaInputSchema = z.strictObject({
  listId: z.optional(identifier()),
  publisher: z.optional(publisherSchema()),
  syncIntervalHours: z.optional(z.number()),
  validDays: z.optional(integer(1, 3650)),
  nextKeys: z.optional(z.array(z.string())),
  entries: z.optional(z.array(entryInput).check(z.minLength(1))),
  contexts: z.optional(z.array(contextSchema())),
});
export type MetaInput = z.infer<typeof metaInputSchema> & { hasDocs: false };

export function readMetaInput(file: string): MetaInput {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LeakwatchError(
      'bad-input',
      `--meta ${file}: ${code ? `cannot read (${code})` : 'not valid JSON'}`,
    );
  }
  const parsed = metaInputSchema.safeParse(raw);
  if (!parsed.success)
    throw new LeakwatchError('schema', `--meta ${file}: ${describeSchemaError(parsed.error)}`);
  return { ...parsed.data, hasDocs: false };
}

const GENERIC_ENTRY = {
  id: 'leak',
  title: { en: 'Leaked documents', fr: 'Documents divulgués' },
  summary: {
    en: 'Documents obtained through a hack or leak and published without the consent of their owners.',
    fr: 'Documents obtenus par un piratage ou une fuite et publiés sans le consentement de leurs détenteurs.',
  },
  warning: {
    en: 'This material comes from a leak. Its authenticity is not established and forged documents may have been mixed in.',
    fr: "Ce contenu provient d'une fuite. Son authenticité n'est pas établie et des faux ont pu y être mêlés.",
  },
  legalNotice: {
    en: 'Republishing leaked material may be unlawful depending on where you are.',
    fr: 'Republier des documents divulgués peut être illégal selon le pays où vous vous trouvez.',
  },
  authority: 'Leakwatch',
  references: [],
  mayIncludeForgeries: true,
} as const;

export interface BuildMetaOptions {
  input: MetaInput | undefined;
  params: FingerprintParams;
  fingerprintCount: number;
  hashtags: string[];
  urls: string[];
  version: number | undefined;
  validDays: number;
  now: number;
}

/** The metadata of a new list: the --meta file, the flags (which add to its first entry) and defaults. */
export function buildMeta(o: BuildMetaOptions): ListMeta {
  const issuedAt = new Date(Math.floor(o.now / 1000) * 1000);
  const validDays = o.input?.validDays ?? o.validDays;
  const expiresAt = new Date(issuedAt.getTime() + validDays * 86_400_000);
  const inputs: z.infer<typeof entryInput>[] = o.input?.entries ?? [{ ...GENERIC_ENTRY, references: [] }];
  const entries = inputs.map((e, i) => {
    // Hashtags keep the spelling people know (#MacronLeaks); matching normalises both sides.
    const byForm = new Map<string, string>();
    for (const t of [...(e.hashtags ?? []), ...(i === 0 ? o.hashtags : [])]) {
      const form = normaliseHashtag(t);
      if (!form)
        throw new LeakwatchError(
          'bad-input',
          `hashtag ${JSON.stringify(t)} is not one word of letters, digits or _`,
        );
      if (!byForm.has(form)) byForm.set(form, t.trim().replace(/^[#＃]/, ''));
    }
    const hashtags = [...byForm.values()];
    const urlPatterns = [...(e.urlPatterns ?? []), ...(i === 0 ? o.urls : [])].map((u) => {
      const p = parseUrlPattern(u);
      if (!p) throw new LeakwatchError('bad-input', `link pattern ${JSON.stringify(u)} is not host[/path]`);
      return formatUrlPattern(p);
    });
    return {
      ...GENERIC_ENTRY,
      date: issuedAt.toISOString().slice(0, 10),
      ...e,
      references: [...(e.references ?? GENERIC_ENTRY.references)],
      hashtags,
      urlPatterns: [...new Set(urlPatterns)],
      fingerprintCount: i === 0 ? o.fingerprintCount : 0,
    };
  });
  const meta = {
    format: 'leakwatch-list' as const,
    formatVersion: 1 as const,
    listId: o.input?.listId ?? 'leakwatch-custom',
    version: o.version ?? Math.floor(o.now / 1000),
    issuedAt: issuedAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    normaliserVersion: NORMALISER_VERSION,
    fingerprint: o.params,
    syncIntervalHours: o.input?.syncIntervalHours ?? 6,
    publisher: o.input?.publisher ?? {
      name: 'Unnamed publisher',
      url: 'https://example.invalid/',
      disputeUrl: 'https://example.invalid/dispute',
    },
    nextKeys: o.input?.nextKeys ?? [],
    entries,
    contexts: o.input?.contexts ?? [],
  };
  const parsed = listMetaSchema().safeParse(meta);
  if (!parsed.success)
    throw new LeakwatchError('schema', `list metadata: ${describeSchemaError(parsed.error)}`);
  return parsed.data;
}
