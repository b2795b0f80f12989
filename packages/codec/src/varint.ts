/**
 * LEB128 varints for u64 values, as nori-wal writes them: 7 bits per byte, least significant
 * group first, high bit = "more bytes follow"; at most 10 bytes.
 */

/** Longest varint of a u64. */
export const MAX_VARINT_LENGTH = 10;

const TWO_POW_64 = 1n << 64n;

/** Bytes needed to encode `value` (a non-negative safe integer or a u64 bigint). */
export function varintLength(value: number | bigint): number {
  if (typeof value === 'number') {
    if (value < 0x80) return 1;
    if (value < 0x4000) return 2;
    if (value < 0x200000) return 3;
    if (value < 0x10000000) return 4;
    let n = 4;
    let v = Math.floor(value / 0x10000000);
    while (v > 0) {
      n++;
      v = Math.floor(v / 0x80);
    }
    return n;
  }
  let n = 1;
  let v = value >> 7n;
  while (v > 0n) {
    n++;
    v >>= 7n;
  }
  return n;
}

/**
 * Writes `value` at `offset`; returns the offset just after it. Numbers must be non-negative
 * safe integers, bigints must be u64 (callers validate).
 */
export function writeVarint(target: Uint8Array, offset: number, value: number | bigint): number {
  if (typeof value === 'number') {
    while (value >= 0x80) {
      target[offset++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 0x80);
    }
    target[offset++] = value;
    return offset;
  }
  while (value >= 0x80n) {
    target[offset++] = Number(value & 0x7fn) | 0x80;
    value >>= 7n;
  }
  target[offset++] = Number(value);
  return offset;
}

/** Encodes `value` as a new varint byte array. */
export function encodeVarint(value: number | bigint): Uint8Array {
  checkU64(value);
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return out;
}

/** Result of {@link decodeVarint}. */
export type VarintResult = { kind: 'ok'; value: bigint; length: number } | { kind: 'incomplete' } | { kind: 'overflow' };

/**
 * Decodes a u64 varint at `offset` exactly like nori-wal: a missing byte is `incomplete`, an
 * 11th byte is `overflow`; bits beyond 64 in the 10th byte are discarded (as Rust's `<<` does).
 */
export function decodeVarint(buf: Uint8Array, offset = 0, end = buf.length): VarintResult {
  let result = 0n;
  let shift = 0n;
  for (let i = offset; ; i++) {
    if (i >= end) return { kind: 'incomplete' };
    const byte = buf[i]!;
    if (shift >= 64n) return { kind: 'overflow' };
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { kind: 'ok', value: result % TWO_POW_64, length: i - offset + 1 };
    shift += 7n;
  }
}

/** Throws unless `value` is an integer in 0 ..= 2^64-1. */
export function checkU64(value: number | bigint): void {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** 64) {
      throw new RangeError(`expected an integer in 0..2^64-1, got ${value}`);
    }
  } else if (typeof value !== 'bigint' || value < 0n || value >= TWO_POW_64) {
    throw new RangeError(`expected an integer in 0..2^64-1, got ${String(value)}`);
  }
}
