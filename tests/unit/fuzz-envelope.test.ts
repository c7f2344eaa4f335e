import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fromHex } from '../../utils/bytes';
import { openSignedList, readEnvelope, sealPayload, type TrustedKey } from '../../utils/envelope';
import { decodeList, encodeList } from '../../utils/list-format';
import { attempt, attemptAsync, check, FuzzCounter, mutate, mutations, sameBytes } from './helpers/fuzz';
import { makeKey, makeList } from './helpers/make-list';

/**
 * Fuzzing of the signature envelope: random files and mutations of signed lists must be refused
 * with typed errors, and nothing but the exact signed bytes may ever open. Signed garbage (what a
 * stolen key or a buggy builder could produce) must also only be refused with typed errors.
 */

const counter = new FuzzCounter();
afterAll(() => console.log(counter.summary('fuzz-envelope')));

const NOW = Date.parse('2026-06-01T00:00:00Z');
const HEADER = 17;
let key: Awaited<ReturnType<typeof makeKey>>;
let trustedKeys: TrustedKey[];
let signedSamples: { bytes: Uint8Array; fields: number[]; byteFields: number[] }[];

beforeAll(async () => {
  key = await makeKey();
  const other = await makeKey();
  trustedKeys = [key.trusted, other.trusted];
  signedSamples = [];
  for (const fingerprints of [
    [],
    [5],
    [3, 17, 400, 2 ** 30],
    Array.from({ length: 300 }, (_, i) => i * 7919),
  ]) {
    const payload = encodeList(makeList({}, fingerprints));
    const bytes = await sealPayload(payload, key.privateKeyPkcs8, key.publicKey);
    const metaLength = new DataView(payload.buffer).getUint32(4);
    const section = HEADER + 8 + metaLength;
    signedSamples.push({
      bytes,
      // The envelope's payload length, the list's metadata length, the section's count and length.
      fields: [13, HEADER + 4, section, section + 5],
      byteFields: [4, section + 4],
    });
  }
});

const open = (bytes: Uint8Array) => openSignedList(bytes, { trustedKeys, now: NOW });

describe('signature envelope', () => {
  it('frames random files with typed errors only', () => {
    const magic = new TextEncoder().encode('LWS1');
    const files = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((tail) => new Uint8Array([...magic, 8, ...tail])),
    );
    fc.assert(
      fc.property(
        files,
        counter.count('readEnvelope: random files', (bytes) => {
          const parts = attempt(() => readEnvelope(bytes));
          if (parts) {
            check(
              HEADER + parts.payload.length + parts.signature.length === bytes.length &&
                parts.signature.length === 64,
              () => 'framing accepted with inconsistent parts',
            );
          }
        }),
      ),
      { numRuns: 10_000, seed: 401 },
    );
  });

  it('opens nothing but the exact signed bytes', async () => {
    const cases = fc.nat(3).chain((i) =>
      mutations(signedSamples[i]!.fields, signedSamples[i]!.byteFields).map((steps) => ({
        original: signedSamples[i]!.bytes,
        bytes: mutate(signedSamples[i]!.bytes, steps),
      })),
    );
    await fc.assert(
      fc.asyncProperty(
        cases,
        counter.count('openSignedList: mutated signed lists', async ({ original, bytes }) => {
          const opened = await attemptAsync(() => open(bytes));
          check(opened === null || sameBytes(bytes, original), () => 'a changed file opened');
        }),
      ),
      { numRuns: 6_000, seed: 402 },
    );
  });

  it('refuses a trusted key id with any other payload or signature as a bad signature', async () => {
    const forged = fc
      .tuple(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 64, maxLength: 64 }))
      .map(([payload, signature]) => {
        const bytes = new Uint8Array(HEADER + payload.length + 64);
        bytes.set(new TextEncoder().encode('LWS1'));
        bytes[4] = 8;
        bytes.set(fromHex(key.trusted.keyId), 5);
        new DataView(bytes.buffer).setUint32(13, payload.length);
        bytes.set(payload, HEADER);
        bytes.set(signature, HEADER + payload.length);
        return bytes;
      });
    await fc.assert(
      fc.asyncProperty(
        forged,
        counter.count('openSignedList: forged files under a trusted key id', async (bytes) => {
          const opened = await attemptAsync(() => open(bytes));
          check(opened === null, () => 'a forged file opened');
        }),
      ),
      { numRuns: 3_000, seed: 403 },
    );
  });

  it('refuses validly signed garbage with typed errors only', async () => {
    const payloads = fc.nat(3).chain((i) => {
      const payload = signedSamples[i]!.bytes.subarray(HEADER, signedSamples[i]!.bytes.length - 64);
      const metaLength = new DataView(payload.buffer, payload.byteOffset).getUint32(4);
      return mutations([4, 8 + metaLength, 8 + metaLength + 5], [8 + metaLength + 4]).map((steps) =>
        mutate(payload, steps),
      );
    });
    await fc.assert(
      fc.asyncProperty(
        payloads,
        counter.count('openSignedList: mutated payloads, validly signed', async (payload) => {
          const bytes = await sealPayload(payload, key.privateKeyPkcs8, key.publicKey);
          const opened = await attemptAsync(() => open(bytes));
          if (opened)
            check(sameBytes(encodeList(decodeList(payload)), payload), () => 'non-canonical list opened');
        }),
      ),
      { numRuns: 2_000, seed: 404 },
    );
  });
});
