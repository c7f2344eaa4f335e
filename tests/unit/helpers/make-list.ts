import { bitsFor } from '../../../utils/builder';
import { formatPublicKey, generateKeyPair } from '../../../utils/ed25519';
import { signList, trustedKeysFromText } from '../../../utils/envelope';
import { encodeList } from '../../../utils/list-format';
import type { DecodedList, ListMeta } from '../../../utils/list-schema';
import { NORMALISER_VERSION } from '../../../utils/normalise';

/** A small valid list for format and signature tests. */
export function makeList(
  overrides: Partial<ListMeta> = {},
  fingerprints: number[] = [3, 17, 400, 2 ** 30],
): DecodedList {
  const meta: ListMeta = {
    format: 'leakwatch-list',
    formatVersion: 1,
    listId: 'test-list',
    version: 5,
    issuedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2027-01-01T00:00:00.000Z',
    normaliserVersion: NORMALISER_VERSION,
    fingerprint: {
      algorithm: 'lw-shingle64-v1',
      k: 5,
      w: 4,
      bits: bitsFor(fingerprints.length),
      threshold: 2,
      minWords: 0,
    },
    syncIntervalHours: 6,
    publisher: {
      name: 'Test publisher',
      url: 'https://example.org/',
      disputeUrl: 'https://example.org/dispute',
    },
    nextKeys: [],
    entries: [
      {
        id: 'leak-a',
        title: { en: 'Leak A', fr: 'Fuite A' },
        summary: { en: 'Summary', fr: 'Résumé' },
        date: '2017-05-05',
        warning: { en: 'Warning', fr: 'Avertissement' },
        legalNotice: { en: 'Legal', fr: 'Juridique' },
        authority: 'CNCCEP',
        references: [{ title: 'Statement', url: 'https://example.org/statement' }],
        mayIncludeForgeries: true,
        hashtags: ['macronleaks'],
        urlPatterns: ['leaks.example.net/dump'],
        fingerprintCount: fingerprints.length,
      },
    ],
    contexts: [],
    ...overrides,
  };
  return { meta, fingerprints: [Float64Array.from(fingerprints)] };
}

export async function makeKey() {
  const pair = await generateKeyPair();
  const text = formatPublicKey(pair.publicKey);
  const [trusted] = await trustedKeysFromText([text]);
  return { ...pair, text, trusted: trusted! };
}

export async function signed(list: DecodedList, key: Awaited<ReturnType<typeof makeKey>>) {
  return signList(encodeList(list), key.privateKeyPkcs8, key.publicKey);
}
