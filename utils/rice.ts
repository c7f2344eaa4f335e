import { LeakwatchError } from './errors';

/**
 * Golomb-Rice coding of a sorted set of distinct integers below 2 ** 53. Gaps between neighbours
 * (minus one) are coded as a unary quotient and `param` low bits, so a set of n values spread
 * over 2 ** b costs about b - log2(n) + 1.5 bits per value. The encoding is canonical: one set
 * has exactly one byte string (the parameter is derived from the set, padding bits are zero),
 * and the decoder refuses anything else.
 */

export function riceParameter(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return 0;
  const mean = (values[n - 1]! + 1) / n;
  return Math.max(0, Math.min(52, Math.floor(Math.log2(mean * Math.LN2))));
}

class BitWriter {
  private bytes: Uint8Array;
  private bitLength = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(16, capacity));
  }
  private ensure(extraBits: number): void {
    const needed = Math.ceil((this.bitLength + extraBits) / 8);
    if (needed <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    grown.set(this.bytes);
    this.bytes = grown;
  }
  writeOnes(count: number): void {
    this.ensure(count + 1);
    // Byte-aligned runs instead of single bits: encoding 1M fingerprints must take milliseconds.
    for (let remaining = count; remaining > 0; ) {
      const free = 8 - (this.bitLength & 7);
      const take = Math.min(free, remaining);
      this.bytes[this.bitLength >>> 3]! |= ((1 << take) - 1) << (free - take);
      this.bitLength += take;
      remaining -= take;
    }
    this.bitLength++; // the terminating zero
  }
  /** Writes the low `width` bits of value (a safe integer), most significant first. */
  writeBits(value: number, width: number): void {
    this.ensure(width);
    for (let remaining = width; remaining > 0; ) {
      const free = 8 - (this.bitLength & 7);
      const take = Math.min(free, remaining);
      const chunk = Math.floor(value / 2 ** (remaining - take)) & ((1 << take) - 1);
      this.bytes[this.bitLength >>> 3]! |= chunk << (free - take);
      this.bitLength += take;
      remaining -= take;
    }
  }
  finish(): Uint8Array {
    return this.bytes.slice(0, Math.ceil(this.bitLength / 8));
  }
}

export function riceEncode(values: Float64Array, param: number): Uint8Array {
  const writer = new BitWriter(Math.ceil((values.length * (param + 2)) / 8));
  const divisor = 2 ** param;
  let previous = -1;
  for (const v of values) {
    const gap = v - previous - 1;
    const q = Math.floor(gap / divisor);
    writer.writeOnes(q);
    writer.writeBits(gap - q * divisor, param);
    previous = v;
  }
  return writer.finish();
}

/** The 32 bits starting at bit `bit` of `padded` (which has 4 zero bytes past the data), as an unsigned int. */
function peek32(padded: Uint8Array, bit: number): number {
  const i = bit >>> 3;
  const shift = bit & 7;
  const word = (padded[i]! << 24) | (padded[i + 1]! << 16) | (padded[i + 2]! << 8) | padded[i + 3]!;
  return (shift === 0 ? word : (word << shift) | (padded[i + 4]! >>> (8 - shift))) >>> 0;
}

/** Decodes exactly `count` values, each below `limit`; every byte and padding bit must be used. */
export function riceDecode(bytes: Uint8Array, count: number, param: number, limit: number): Float64Array {
  const totalBits = bytes.length * 8;
  // Every value costs at least param + 1 bits: a hostile count must fail before its array is allocated.
  if (count * (param + 1) > totalBits)
    throw new LeakwatchError('truncated', 'fingerprint section ends early');
  // Reading 32 bits at a time (leading ones counted with clz32) is what makes a 1M list decode in
  // milliseconds; the zero padding lets the reads run past the end, which the checks below catch.
  const padded = new Uint8Array(bytes.length + 5);
  padded.set(bytes);
  const out = new Float64Array(count);
  const divisor = 2 ** param;
  const highWidth = Math.min(param, 24);
  const lowWidth = param - highWidth;
  const lowScale = 2 ** lowWidth;
  let bit = 0;
  let previous = -1;
  for (let i = 0; i < count; i++) {
    let q = 0;
    for (;;) {
      const ones = Math.clz32(~peek32(padded, bit));
      q += ones;
      if (ones < 32) {
        bit += ones + 1;
        break;
      }
      bit += 32;
      if (bit >= totalBits) throw new LeakwatchError('truncated', 'fingerprint section ends early');
    }
    let rem = 0;
    if (highWidth > 0) {
      rem = peek32(padded, bit) >>> (32 - highWidth);
      bit += highWidth;
      if (lowWidth > 0) {
        rem = rem * lowScale + (peek32(padded, bit) >>> (32 - lowWidth));
        bit += lowWidth;
      }
    }
    if (bit > totalBits) throw new LeakwatchError('truncated', 'fingerprint section ends early');
    const value = previous + 1 + q * divisor + rem;
    if (value >= limit) throw new LeakwatchError('garbled', 'fingerprint out of range');
    out[i] = value;
    previous = value;
  }
  const usedBytes = Math.ceil(bit / 8);
  if (usedBytes !== bytes.length) throw new LeakwatchError('garbled', 'fingerprint section has extra bytes');
  for (let b = bit; b < usedBytes * 8; b++) {
    if ((bytes[b >>> 3]! >>> (7 - (b & 7))) & 1)
      throw new LeakwatchError('garbled', 'fingerprint section padding is not zero');
  }
  return out;
}
