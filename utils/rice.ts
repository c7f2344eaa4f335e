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

/** Writes bits most significant first through a small accumulator, a byte at a time. */
class BitWriter {
  private bytes: Uint8Array;
  private length = 0;
  /** The last `pendingBits` bits written, not yet a whole byte. */
  private pending = 0;
  private pendingBits = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(16, capacity));
  }
  /** Appends the low `width` (0..24) bits of `bits`. */
  private put(bits: number, width: number): void {
    if (this.length + 4 > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.pending = (this.pending << width) | (bits & ((1 << width) - 1));
    this.pendingBits += width;
    while (this.pendingBits >= 8) {
      this.pendingBits -= 8;
      this.bytes[this.length++] = this.pending >>> this.pendingBits;
    }
    this.pending &= (1 << this.pendingBits) - 1;
  }
  /** `count` one bits and the terminating zero. */
  writeOnes(count: number): void {
    let remaining = count;
    for (; remaining >= 23; remaining -= 23) this.put(0x7fffff, 23);
    this.put(((1 << remaining) - 1) << 1, remaining + 1);
  }
  /** Writes the low `width` bits of value (a safe integer), most significant first. */
  writeBits(value: number, width: number): void {
    if (width > 24) {
      this.writeBits(Math.floor(value / 0x1000000), width - 24);
      this.put(value % 0x1000000, 24);
    } else if (width > 0) this.put(value % 0x1000000, width);
  }
  finish(): Uint8Array {
    if (this.pendingBits > 0) this.put(0, 8 - this.pendingBits);
    return this.bytes.slice(0, this.length);
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
