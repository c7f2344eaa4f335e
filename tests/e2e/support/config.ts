/** What scripts/e2e.mjs prepares and the specs read (through the environment). */

/**
 * Port of the test server: the configured build bakes the list URL into its manifest.
 * LEAKWATCH_E2E_PORT lets two runs share a machine; each port gets its own builds and results.
 */
export const PORT = Number(process.env.LEAKWATCH_E2E_PORT || 47813);
/** '' for the default port, '-PORT' otherwise: suffix of the build and result folders. */
export const RUN_SUFFIX = PORT === 47813 ? '' : `-${PORT}`;
export const ORIGIN = `http://127.0.0.1:${PORT}`;
export const LIST_URL = `${ORIGIN}/list.lwl`;
/** A second list, signed with key B, that the options test subscribes to. */
export const OTHER_LIST_URL = `${ORIGIN}/other.lwl`;

/** Environment variable naming the JSON file written by scripts/e2e.mjs. */
export const FIXTURES_ENV = 'LEAKWATCH_E2E_FIXTURES';

/**
 * The crash-safety spec's chain of later versions (2001, 2002, 2003): each adds one hashtag to the
 * one before, and carries 300,000 more fingerprints than v1, more than one IndexedDB record holds.
 */
export const BULK_LIST_NAMES = ['bulk1', 'bulk2', 'bulk3'] as const;

/** Lists the server can be told to serve at /list.lwl (POST /__control?serve=NAME). */
export const LIST_NAMES = [
  'v1',
  'v2',
  'v0',
  'tampered',
  'expired',
  'wrong-key',
  ...BULK_LIST_NAMES,
  /** v1 with markup in every displayed string (hostile.spec.ts). */
  'hostile',
] as const;
export type ListName = (typeof LIST_NAMES)[number];

export interface ListInfo {
  file: string;
  version: number;
  /** Hashtag only this list adds (v1: the leak's own). */
  hashtag: string;
}

export interface E2eFixtures {
  /** Unpacked extension folders. */
  builds: { default: string; configured: string };
  keyA: { pub: string };
  keyB: { pub: string };
  lists: Record<ListName, ListInfo>;
  other: ListInfo;
  listId: string;
  publisher: string;
  /** Publisher of the list signed with key B. */
  otherPublisher: string;
  /** Titles of the blackout contexts of the test lists. */
  contexts: { active: string; over: string };
  /** Where specs save the screenshots a human looks at. */
  screenshotDir: string;
}
