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

/**
 * Writes bits most significant first through a 32-bit word: `word` holds the last `bits` (< 32)
 * bits written, not yet stored. riceEncode keeps the same state in local variables on its fast
 * path and hands it over here for the rare long codes.
 */
class BitWriter {
  bytes: Uint8Array;
  length = 0;
  word = 0;
  bits = 0;
  constructor(
    capacity: number,
    private readonly start = 0,
  ) {
    this.bytes = new Uint8Array(Math.max(16, capacity));
    this.length = start;
  }
  /** Room for `count` more bytes. */
  reserve(count: number): Uint8Array {
    if (this.length + count > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + count));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    return this.bytes;
  }
  /** Appends the low `width` (1..24) bits of `code`. */
  put(code: number, width: number): void {
    const value = code & ((1 << width) - 1);
    if (this.bits + width < 32) {
      this.word = (this.word << width) | value;
      this.bits += width;
      return;
    }
    const spill = this.bits + width - 32;
    storeWord(this.reserve(4), this.length, (this.word << (width - spill)) | (value >>> spill));
    this.length += 4;
    this.word = value & ((1 << spill) - 1);
    this.bits = spill;
  }
  /** Appends the low `width` (up to 53) bits of the safe integer `value`. */
  putWide(value: number, width: number): void {
    if (width > 24) {
      this.putWide(Math.floor(value / TWO_24), width - 24);
      this.put(value % TWO_24, 24);
    } else if (width > 0) this.put(value % TWO_24, width);
  }
  finish(): Uint8Array {
    // The last partial word, zero-padded to whole bytes.
    const bytes = this.reserve(4);
    for (let left = this.bits; left > 0; left -= 8)
      bytes[this.length++] = left >= 8 ? this.word >>> (left - 8) : (this.word << (8 - left)) & 0xff;
    // A view, not a copy: both callers copy the bytes into the payload they build.
    return bytes.subarray(this.start, this.length);
  }
}

function storeWord(bytes: Uint8Array, at: number, word: number): void {
  bytes[at] = word >>> 24;
  bytes[at + 1] = word >>> 16;
  bytes[at + 2] = word >>> 8;
  bytes[at + 3] = word;
}

const TWO_24 = 0x1000000;
/** A code (unary quotient, its zero and the remainder) this long or shorter takes the fast path. */
const SHORT_CODE = 24;

/**
 * The Rice code of `values`, sorted distinct integers. The result is a view whose buffer has
 * `before` bytes of room in front of it (for a header the caller writes there), and possibly some
 * spare room after it.
 */
export function riceEncode(values: Float64Array, param: number, before = 0): Uint8Array {
  // riceParameter makes the quotient average about 1.44: param + 3 bits is room enough for a
  // list of hashes; growing the buffer would double it and copy tens of megabytes.
  const writer = new BitWriter(before + Math.ceil((values.length * (param + 3)) / 8) + 8, before);
  const divisor = 2 ** param;
  // A power of two: multiplying by its inverse is exact and spares a division per value.
  const inverse = 1 / divisor;
  let bytes = writer.bytes;
  let length = writer.length;
  let word = 0;
  let bits = 0;
  let previous = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const gap = v - previous - 1;
    previous = v;
    const q = Math.floor(gap * inverse);
    const r = gap - q * divisor;
    const width = q + 1 + param;
    if (width <= SHORT_CODE) {
      // q ones, a zero, the remainder: one code of at most 24 bits.
      const code = ((((1 << q) - 1) << 1) << param) | r;
      if (bits + width < 32) {
        word = (word << width) | code;
        bits += width;
        continue;
      }
      const spill = bits + width - 32;
      if (length + 4 > bytes.length) {
        writer.length = length;
        bytes = writer.reserve(4);
      }
      storeWord(bytes, length, (word << (width - spill)) | (code >>> spill));
      length += 4;
      word = code & ((1 << spill) - 1);
      bits = spill;
      continue;
    }
    writer.length = length;
    writer.word = word;
    writer.bits = bits;
    for (let ones = q; ones >= 0; ones -= 23)
      writer.put(ones >= 23 ? 0x7fffff : ((1 << ones) - 1) << 1, Math.min(ones + 1, 23));
    writer.putWide(r, param);
    bytes = writer.bytes;
    length = writer.length;
    word = writer.word;
    bits = writer.bits;
  }
  writer.length = length;
  writer.word = word;
  writer.bits = bits;
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
