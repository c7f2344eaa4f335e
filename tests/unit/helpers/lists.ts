import { formatPublicKey, generateKeyPair } from '../../../utils/ed25519';
import { signList } from '../../../utils/envelope';
import { encodeList } from '../../../utils/list-format';
import type { DecodedList, FingerprintParams } from '../../../utils/list-schema';
import { extractFeatures, paramsKeyOf } from '../../../utils/matcher';
import { NORMALISER_VERSION } from '../../../utils/normalise';

/** Real signed lists for tests: built and signed with the core, exactly as the CLI does. */

export interface TestSigner {
  publicKey: Uint8Array;
  privateKeyPkcs8: Uint8Array;
  /** The `ed25519:...` text form, as subscriptions configure it. */
  publicKeyText: string;
}

export interface TestListOptions {
  listId?: string;
  version?: number;
  issuedAt?: string;
  expiresAt?: string;
  syncIntervalHours?: number;
  /** Normalised hashtags of the single entry. */
  hashtags?: string[];
  /** Fingerprints of the single entry (sorted and made distinct here); TEST_PASSAGE's by default. */
  fingerprints?: number[];
  nextKeys?: string[];
}

export const TEST_NOW = Date.parse('2026-03-01T12:00:00Z');

/** The fingerprint parameters of test lists. */
export const TEST_PARAMS: FingerprintParams = {
  algorithm: 'lw-shingle64-v1',
  k: 5,
  w: 4,
  bits: 40,
  threshold: 2,
  minWords: 0,
};

/** The leaked text of test lists: a block quoting it is flagged. */
export const TEST_PASSAGE = 'the treasurer asked that the second transfer be delayed until after the vote';
const passageFingerprints =
  extractFeatures(TEST_PASSAGE, [], [TEST_PARAMS]).fingerprints[paramsKeyOf(TEST_PARAMS)] ?? [];

export async function newSigner(): Promise<TestSigner> {
  const pair = await generateKeyPair();
  return { ...pair, publicKeyText: formatPublicKey(pair.publicKey) };
}

export function makeList(options: TestListOptions = {}): DecodedList {
  const fingerprints = Float64Array.from(
    [...new Set(options.fingerprints ?? passageFingerprints)].sort((a, b) => a - b),
  );
  return {
    meta: {
      format: 'leakwatch-list',
      formatVersion: 1,
      listId: options.listId ?? 'test-list',
      version: options.version ?? 1,
      issuedAt: options.issuedAt ?? '2026-02-01T00:00:00Z',
      expiresAt: options.expiresAt ?? '2027-02-01T00:00:00Z',
      normaliserVersion: NORMALISER_VERSION,
      fingerprint: TEST_PARAMS,
      syncIntervalHours: options.syncIntervalHours ?? 6,
      publisher: {
        name: 'Test publisher',
        url: 'https://lists.example/',
        disputeUrl: 'mailto:dispute@lists.example',
      },
      nextKeys: options.nextKeys ?? [],
      entries: [
        {
          id: 'test-leak',
          title: { en: 'Test leak', fr: 'Fuite de test' },
          summary: { en: 'A leak used in tests.', fr: 'Une fuite pour les tests.' },
          date: '2017-05-05',
          warning: {
            en: 'This may carry leaked material.',
            fr: 'Ceci peut contenir des documents divulgués.',
          },
          legalNotice: { en: 'Republishing may be an offence.', fr: 'Republier peut être une infraction.' },
          authority: 'Test authority',
          references: [],
          mayIncludeForgeries: true,
          hashtags: options.hashtags ?? ['testleaks'],
          urlPatterns: [],
          fingerprintCount: fingerprints.length,
        },
      ],
      contexts: [],
    },
    fingerprints: [fingerprints],
  };
}

export async function signedList(signer: TestSigner, options: TestListOptions = {}): Promise<Uint8Array> {
  return signList(encodeList(makeList(options)), signer.privateKeyPkcs8, signer.publicKey);
}

/** A fresh key and a list signed with it. */
export async function makeSignedList(
  options: TestListOptions = {},
): Promise<{ bytes: Uint8Array; signer: TestSigner }> {
  const signer = await newSigner();
  return { bytes: await signedList(signer, options), signer };
}
