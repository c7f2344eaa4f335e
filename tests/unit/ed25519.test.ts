import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  concatBytes,
  fromBase64Url,
  fromHex,
  toBase64Url,
  toHex,
  utf8Decode,
  utf8Encode,
} from '../../utils/bytes';
import {
  type Ed25519KeyPair,
  formatPrivateKeyFile,
  formatPublicKey,
  generateKeyPair,
  keyId,
  parsePrivateKeyFile,
  parsePublicKey,
  signBytes,
  verifyBytes,
} from '../../utils/ed25519';
import { LeakwatchError } from '../../utils/errors';

/** PKCS#8 wrapping of a raw 32-byte RFC 8032 seed (the form every WebCrypto engine exports). */
const PKCS8_SEED_PREFIX = '302e020100300506032b657004220420';

async function expectLeakwatchError(promise: Promise<unknown>, code: string, message: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LeakwatchError);
  expect((err as LeakwatchError).code).toBe(code);
  expect((err as LeakwatchError).message).toBe(message);
}

function syncError(fn: () => unknown): LeakwatchError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LeakwatchError);
    return e as LeakwatchError;
  }
  throw new Error('expected a LeakwatchError');
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------------
// Wycheproof
// ---------------------------------------------------------------------------------------------------

interface WycheproofTest {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface WycheproofFile {
  numberOfTests: number;
  testGroups: { publicKey: { pk: string }; tests: WycheproofTest[] }[];
}

const WYCHEPROOF_PATH = resolve(process.cwd(), '../shared/data/wycheproof/ed25519_test.json');
const wycheproof: WycheproofFile | undefined = existsSync(WYCHEPROOF_PATH)
  ? (JSON.parse(readFileSync(WYCHEPROOF_PATH, 'utf8')) as WycheproofFile)
  : undefined;
if (!wycheproof) console.warn(`Wycheproof Ed25519 vectors not found at ${WYCHEPROOF_PATH}; skipping them`);

const wycheproofCases = (wycheproof?.testGroups ?? []).flatMap((group) =>
  group.tests.map((test) => ({ pk: group.publicKey.pk, ...test })),
);

/**
 * Cases the module's own checks reject before the engine is asked: wrong lengths (30-41), S >= L
 * (13, 14, 18, 19, 23, 24, 28, 29, 63-70, 85), R with y >= p (25-27, 61) and R = (y = 1, x sign set) (151).
 */
const REJECTED_WITHOUT_ENGINE = [
  13, 14, 18, 19, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 61, 63, 64, 65,
  66, 67, 68, 69, 70, 85, 151,
];

(wycheproof ? describe : describe.skip)('Wycheproof ed25519_test.json', () => {
  it('has all 151 cases', () => {
    expect(wycheproof?.numberOfTests).toBe(151);
    expect(wycheproofCases).toHaveLength(151);
  });

  it.each(wycheproofCases)('tc $tcId ($result) $comment', async (tc) => {
    const ok = await verifyBytes(fromHex(tc.pk), fromHex(tc.sig), fromHex(tc.msg));
    // 'acceptable' means either answer conforms; the current file has none, so none slips through.
    if (tc.result === 'acceptable') expect(typeof ok).toBe('boolean');
    else expect(ok).toBe(tc.result === 'valid');
  });

  it('rejects the encoding-level invalid cases even when the engine accepts everything', async () => {
    // Simulates a lenient engine: what still fails is what the module enforces itself.
    vi.spyOn(globalThis.crypto.subtle, 'verify').mockResolvedValue(true);
    const rejected: number[] = [];
    for (const tc of wycheproofCases) {
      if (!(await verifyBytes(fromHex(tc.pk), fromHex(tc.sig), fromHex(tc.msg)))) rejected.push(tc.tcId);
    }
    expect(rejected).toEqual(REJECTED_WITHOUT_ENGINE);
    for (const id of rejected) expect(wycheproofCases.find((tc) => tc.tcId === id)?.result).toBe('invalid');
  });
});

// ---------------------------------------------------------------------------------------------------
// RFC 8032 section 7.1
// ---------------------------------------------------------------------------------------------------

const RFC8032_TEST_1024_MESSAGE = [
  '08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1',
  'e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d',
  '658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a',
  '7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e',
  '06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10',
  '3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1',
  '85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d',
  '502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270',
  '88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b',
  'eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba',
  'b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b',
  'e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7',
  '51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d',
  'cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df',
  'f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7',
  '984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4',
  '88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09',
  '43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f',
  'b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161',
  '0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d',
  'b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca',
  'c60c905c15fc910840b94c00a0b9d0',
].join('');

const RFC8032_VECTORS = [
  {
    name: 'TEST 1',
    secretKey: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    secretKey: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    secretKey: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST 1024',
    secretKey: 'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5',
    publicKey: '278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e',
    message: RFC8032_TEST_1024_MESSAGE,
    signature:
      '0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03',
  },
  {
    name: 'TEST SHA(abc)',
    secretKey: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    publicKey: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    message:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
];

describe('RFC 8032 section 7.1 vectors', () => {
  it('TEST 1024 carries the 1023-byte message', () => {
    expect(fromHex(RFC8032_TEST_1024_MESSAGE)).toHaveLength(1023);
  });

  it.each(RFC8032_VECTORS)('$name verifies', async (v) => {
    expect(await verifyBytes(fromHex(v.publicKey), fromHex(v.signature), fromHex(v.message))).toBe(true);
  });

  it.each(RFC8032_VECTORS)('$name: signing with the RFC secret key reproduces the signature', async (v) => {
    const pkcs8 = fromHex(PKCS8_SEED_PREFIX + v.secretKey);
    expect(toHex(await signBytes(pkcs8, fromHex(v.message)))).toBe(v.signature);
  });

  it.each(RFC8032_VECTORS)(
    '$name: the private key file round-trips and binds the RFC public key',
    async (v) => {
      const pair = {
        privateKeyPkcs8: fromHex(PKCS8_SEED_PREFIX + v.secretKey),
        publicKey: fromHex(v.publicKey),
      };
      const parsed = await parsePrivateKeyFile(formatPrivateKeyFile(pair));
      expect(toHex(parsed.publicKey)).toBe(v.publicKey);
      expect(toHex(parsed.privateKeyPkcs8)).toBe(PKCS8_SEED_PREFIX + v.secretKey);
    },
  );

  it('SHA(abc) message really is SHA-512("abc")', async () => {
    const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-512', utf8Encode('abc')));
    expect(toHex(digest)).toBe(RFC8032_VECTORS[4]!.message);
  });
});

// ---------------------------------------------------------------------------------------------------
// Generated keys, tampering, malformed input
// ---------------------------------------------------------------------------------------------------

describe('sign and verify', () => {
  let pair: Ed25519KeyPair;
  beforeAll(async () => {
    pair = await generateKeyPair();
  });

  it('generates a 32-byte public key and an importable PKCS#8 private key', async () => {
    expect(pair.publicKey).toBeInstanceOf(Uint8Array);
    expect(pair.publicKey).toHaveLength(32);
    expect(pair.privateKeyPkcs8).toBeInstanceOf(Uint8Array);
    const signature = await signBytes(pair.privateKeyPkcs8, utf8Encode('hello'));
    expect(signature).toHaveLength(64);
    expect(await verifyBytes(pair.publicKey, signature, utf8Encode('hello'))).toBe(true);
  });

  it('round-trips arbitrary messages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (message) => {
        const signature = await signBytes(pair.privateKeyPkcs8, message);
        expect(await verifyBytes(pair.publicKey, signature, message)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects any one-bit flip in the public key, the signature or the message', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 256 }),
        fc.constantFrom('publicKey', 'signature', 'message'),
        fc.nat(),
        async (message, where, n) => {
          const signature = await signBytes(pair.privateKeyPkcs8, message);
          let publicKey: Uint8Array = pair.publicKey;
          let sig: Uint8Array = signature;
          let msg: Uint8Array = message;
          if (where === 'publicKey') publicKey = flipBit(publicKey, n % (publicKey.length * 8));
          else if (where === 'signature') sig = flipBit(sig, n % (sig.length * 8));
          else msg = flipBit(msg, n % (msg.length * 8));
          expect(await verifyBytes(publicKey, sig, msg)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects a signature by another key', async () => {
    const other = await generateKeyPair();
    const signature = await signBytes(other.privateKeyPkcs8, utf8Encode('x'));
    expect(await verifyBytes(pair.publicKey, signature, utf8Encode('x'))).toBe(false);
  });

  it('returns false, never throws, for wrong lengths and wrong types', async () => {
    const message = utf8Encode('list');
    const signature = await signBytes(pair.privateKeyPkcs8, message);
    for (const len of [0, 1, 31, 33, 64]) {
      const key = concatBytes(pair.publicKey, new Uint8Array(64)).subarray(0, len);
      expect(await verifyBytes(key, signature, message)).toBe(false);
    }
    for (const len of [0, 32, 63, 65, 128]) {
      const sig = concatBytes(signature, new Uint8Array(64)).subarray(0, len);
      expect(await verifyBytes(pair.publicKey, sig, message)).toBe(false);
    }
    const junk = [undefined, null, 'ed25519:x', 42, {}, [1, 2, 3], new Uint16Array(32)] as unknown[];
    for (const j of junk) {
      expect(await verifyBytes(j as Uint8Array, signature, message)).toBe(false);
      expect(await verifyBytes(pair.publicKey, j as Uint8Array, message)).toBe(false);
      expect(await verifyBytes(pair.publicKey, signature, j as Uint8Array)).toBe(false);
    }
  });

  it('returns false for every 32-byte key and 64-byte signature, however malformed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        async (publicKey, signature, message) => {
          expect(await verifyBytes(publicKey, signature, message)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects S >= L even when R and the engine would accept it', async () => {
    vi.spyOn(globalThis.crypto.subtle, 'verify').mockResolvedValue(true);
    const message = utf8Encode('m');
    const signature = await signBytes(pair.privateKeyPkcs8, message);
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    const withS = (s: bigint) => {
      const out = new Uint8Array(signature);
      for (let i = 0; i < 32; i++) out[32 + i] = Number((s >> BigInt(8 * i)) & 0xffn);
      return out;
    };
    expect(await verifyBytes(pair.publicKey, withS(L - 1n), message)).toBe(true);
    expect(await verifyBytes(pair.publicKey, withS(L), message)).toBe(false);
    expect(await verifyBytes(pair.publicKey, withS(L + 1n), message)).toBe(false);
    expect(await verifyBytes(pair.publicKey, withS((1n << 256n) - 1n), message)).toBe(false);
  });

  it('rejects non-canonical point encodings of A and R even when the engine would accept them', async () => {
    vi.spyOn(globalThis.crypto.subtle, 'verify').mockResolvedValue(true);
    const message = utf8Encode('m');
    const signature = await signBytes(pair.privateKeyPkcs8, message);
    const p = (1n << 255n) - 19n;
    const encode = (y: bigint, xOdd: boolean) => {
      const out = new Uint8Array(32);
      const v = y | (xOdd ? 1n << 255n : 0n);
      for (let i = 0; i < 32; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
      return out;
    };
    const bad = [encode(p, false), encode(p + 1n, false), encode((1n << 255n) - 1n, true), encode(1n, true)];
    bad.push(encode(p - 1n, true));
    for (const point of bad) {
      expect(await verifyBytes(point, signature, message)).toBe(false);
      expect(await verifyBytes(pair.publicKey, concatBytes(point, signature.subarray(32)), message)).toBe(
        false,
      );
    }
  });

  it('returns false when the engine fails', async () => {
    const message = utf8Encode('m');
    const signature = await signBytes(pair.privateKeyPkcs8, message);
    vi.spyOn(globalThis.crypto.subtle, 'verify').mockRejectedValue(new Error('engine down'));
    expect(await verifyBytes(pair.publicKey, signature, message)).toBe(false);
    vi.restoreAllMocks();
    vi.spyOn(globalThis.crypto.subtle, 'importKey').mockRejectedValue(new Error('import failed'));
    expect(await verifyBytes(pair.publicKey, signature, message)).toBe(false);
  });

  it('signBytes reports an unusable private key in one line', async () => {
    await expectLeakwatchError(
      signBytes(new Uint8Array(48), utf8Encode('m')),
      'bad-key',
      'private key is not an Ed25519 PKCS#8 private key',
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Text forms
// ---------------------------------------------------------------------------------------------------

const RFC_TEST_1 = RFC8032_VECTORS[0]!;
const PUBLIC_KEY_FORM = 'public key is not in the form ed25519:<base64url of 32 bytes>';

describe('public key text form', () => {
  it('formats as ed25519:<base64url> with no commas, spaces or padding', () => {
    const text = formatPublicKey(fromHex(RFC_TEST_1.publicKey));
    expect(text).toBe('ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo');
    expect(text).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
  });

  it('round-trips generated keys and trims surrounding whitespace', async () => {
    const { publicKey } = await generateKeyPair();
    const text = formatPublicKey(publicKey);
    expect(parsePublicKey(text)).toEqual(publicKey);
    expect(parsePublicKey(`  ${text}\n`)).toEqual(publicKey);
    expect(parsePublicKey(`\r\n${text}\r\n`)).toEqual(publicKey);
  });

  it.each([
    ['empty', ''],
    ['no prefix', '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'],
    ['other algorithm', 'ed448:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'],
    ['upper-case prefix', 'ED25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'],
    ['too short', 'ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR'],
    ['too long', 'ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURoA'],
    ['padding', 'ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo='],
    ['standard base64', 'ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo'],
    ['inner space', 'ed25519: 11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'],
    [
      'two keys',
      'ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo,ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
    ],
    ['non-zero trailing bits', 'ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp'],
    ['hex', RFC_TEST_1.publicKey],
  ])('rejects %s', (_name, text) => {
    const err = syncError(() => parsePublicKey(text));
    expect(err.code).toBe('bad-key');
    expect(err.message).toBe(PUBLIC_KEY_FORM);
  });

  it('rejects a non-canonical point encoding that could never verify', () => {
    const nonCanonical = `ed25519:${toBase64Url(fromHex(`ee${'ff'.repeat(30)}7f`))}`;
    const err = syncError(() => parsePublicKey(nonCanonical));
    expect(err.code).toBe('bad-key');
    expect(err.message).toBe('public key is not a canonical Ed25519 point encoding');
  });

  it('refuses to format a key of the wrong length', () => {
    const err = syncError(() => formatPublicKey(new Uint8Array(31)));
    expect(err.code).toBe('bad-key');
    expect(err.message).toBe('public key must be 32 bytes');
  });

  it('keyId is the first 8 bytes of SHA-256 of the raw key, in lower-case hex', async () => {
    const publicKey = fromHex(RFC_TEST_1.publicKey);
    const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', publicKey));
    const id = await keyId(publicKey);
    expect(id).toBe(toHex(digest.subarray(0, 8)));
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    await expectLeakwatchError(keyId(new Uint8Array(33)), 'bad-key', 'public key must be 32 bytes');
  });
});

describe('private key file', () => {
  let pair: Ed25519KeyPair;
  let other: Ed25519KeyPair;
  beforeAll(async () => {
    [pair, other] = await Promise.all([generateKeyPair(), generateKeyPair()]);
  });

  const file = (fields: Record<string, unknown>) => JSON.stringify(fields);
  const goodFields = () => ({
    type: 'leakwatch-ed25519-private-key',
    pkcs8: toBase64Url(pair.privateKeyPkcs8),
    publicKey: formatPublicKey(pair.publicKey),
  });

  it('is one small JSON line with the type, the PKCS#8 key and the public key', () => {
    const text = formatPrivateKeyFile(pair);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trimEnd()).not.toContain('\n');
    expect(JSON.parse(text)).toEqual(goodFields());
  });

  it('round-trips, and the parsed key signs for the published key', async () => {
    const parsed = await parsePrivateKeyFile(formatPrivateKeyFile(pair));
    expect(parsed.publicKey).toEqual(pair.publicKey);
    expect(parsed.privateKeyPkcs8).toEqual(pair.privateKeyPkcs8);
    const signature = await signBytes(parsed.privateKeyPkcs8, utf8Encode('list'));
    expect(await verifyBytes(pair.publicKey, signature, utf8Encode('list'))).toBe(true);
  });

  it('accepts surrounding whitespace and other field order', async () => {
    const { publicKey, pkcs8, type } = goodFields();
    const parsed = await parsePrivateKeyFile(
      `\n  ${JSON.stringify({ publicKey, pkcs8, type }, null, 2)}\n\n`,
    );
    expect(parsed.publicKey).toEqual(pair.publicKey);
  });

  const cases: [string, () => string, string][] = [
    ['not JSON', () => 'ed25519:abc', 'private key file is not valid JSON'],
    ['empty', () => '', 'private key file is not valid JSON'],
    ['an array', () => '[]', 'private key file is not a JSON object'],
    ['null', () => 'null', 'private key file is not a JSON object'],
    [
      'an extra field',
      () => file({ ...goodFields(), comment: 'x' }),
      'private key file has unexpected field "comment"',
    ],
    [
      'a missing field',
      () => file({ ...goodFields(), pkcs8: undefined }),
      'private key file field "pkcs8" is missing or not a string',
    ],
    [
      'a non-string field',
      () => file({ ...goodFields(), type: 1 }),
      'private key file field "type" is missing or not a string',
    ],
    [
      'the wrong type',
      () => file({ ...goodFields(), type: 'leakwatch-ed448-private-key' }),
      'private key file field "type" is not "leakwatch-ed25519-private-key"',
    ],
    [
      'pkcs8 that is not base64url',
      () => file({ ...goodFields(), pkcs8: 'MC4CAQAwBQYDK2VwBCIEI+==' }),
      'private key file field "pkcs8" is not base64url',
    ],
    [
      'pkcs8 that is not a key',
      () => file({ ...goodFields(), pkcs8: toBase64Url(utf8Encode('not a key')) }),
      'private key file field "pkcs8" is not an Ed25519 PKCS#8 private key',
    ],
    [
      'a malformed public key',
      () => file({ ...goodFields(), publicKey: 'ed25519:short' }),
      `private key file field "publicKey": ${PUBLIC_KEY_FORM}`,
    ],
    [
      'halves from different key pairs',
      () => file({ ...goodFields(), publicKey: formatPublicKey(other.publicKey) }),
      'private key file fields "pkcs8" and "publicKey" are not the same key pair',
    ],
    ['an oversized file', () => ' '.repeat(5000), 'private key file is over 4096 characters'],
  ];

  it.each(cases)('rejects %s with one precise line', async (_name, make, message) => {
    await expectLeakwatchError(parsePrivateKeyFile(make()), 'bad-key', message);
  });
});

// ---------------------------------------------------------------------------------------------------
// Byte helpers the text forms depend on
// ---------------------------------------------------------------------------------------------------

describe('bytes helpers', () => {
  it('base64url round-trips every length and matches the standard alphabet', async () => {
    await fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(fromBase64Url(text)).toEqual(bytes);
      }),
    );
    expect(toBase64Url(utf8Encode('\xfb\xff'))).toBe('w7vDvw');
    expect(toBase64Url(new Uint8Array([0xfb, 0xff, 0xfe]))).toBe('-__-');
  });

  it.each([
    ['a padding character', 'QQ=='],
    ['a standard-base64 character', 'a+b/'],
    ['whitespace', 'QU JD'],
    ['an impossible length', 'QUJDR'],
    ['non-zero trailing bits', 'QR'],
  ])('fromBase64Url rejects %s', (_name, text) => {
    expect(syncError(() => fromBase64Url(text)).code).toBe('bad-input');
  });

  it('hex is strict', () => {
    expect(toHex(fromHex('00ff7F'))).toBe('00ff7f');
    for (const bad of ['0', 'zz', '0x00', ' 00'])
      expect(syncError(() => fromHex(bad)).code).toBe('bad-input');
  });

  it('utf8Decode refuses invalid UTF-8 in one line and keeps a BOM', () => {
    const err = syncError(() => utf8Decode(new Uint8Array([0x61, 0xff]), 'list'));
    expect(err.code).toBe('garbled');
    expect(err.message).toBe('list is not valid UTF-8');
    expect(utf8Decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).toBe('\ufeffa');
  });
});
