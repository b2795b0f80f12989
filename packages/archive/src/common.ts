import { crc32c } from '@nori/codec';
import { ArchiveError } from './errors.js';
import type { ByteRange, ObjectStoreOperation } from './types.js';

/** Name of the user metadata entry that holds an object's CRC32C (S3: `x-amz-meta-nori-crc32c`). */
export const CRC32C_METADATA_KEY = 'nori-crc32c';

const CRC32C_HEX_DIGITS = 8;
const CRC32C_PATTERN = /^[0-9a-f]{8}$/;

/** Formats a CRC32C for object metadata: 8 lowercase hex digits. */
export function formatCrc32c(value: number): string {
  return (value >>> 0).toString(16).padStart(CRC32C_HEX_DIGITS, '0');
}

/** Parses a metadata CRC32C; undefined when absent or malformed. */
export function parseCrc32c(value: string | undefined): number | undefined {
  if (value === undefined || !CRC32C_PATTERN.test(value)) return undefined;
  return Number.parseInt(value, 16);
}

/** Throws `ERR_ABORTED` if `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, op: ObjectStoreOperation, key: string): void {
  if (signal?.aborted === true) {
    throw new ArchiveError('ERR_ABORTED', `${op} ${key}: aborted`, { op, key, cause: signal.reason });
  }
}

/** Throws `ERR_INVALID_ARGUMENT` unless `bytes` is a Uint8Array. */
export function validateBytes(bytes: unknown, key: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', `put ${key}: bytes must be a Uint8Array`, { op: 'put', key });
  }
}

/**
 * Computes the CRC32C of `bytes` and, when the caller supplied one, checks it: a mismatch is
 * `ERR_CHECKSUM_MISMATCH` before anything is sent.
 */
export function checksumForPut(key: string, bytes: Uint8Array, expected: number | undefined): number {
  const actual = crc32c(bytes) >>> 0;
  if (expected === undefined) return actual;
  if (!Number.isInteger(expected) || expected < 0 || expected > 0xffff_ffff) {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', `put ${key}: checksum must be an unsigned 32-bit integer`, { op: 'put', key });
  }
  if (actual !== expected) {
    throw new ArchiveError(
      'ERR_CHECKSUM_MISMATCH',
      `put ${key}: bytes have CRC32C ${formatCrc32c(actual)}, caller expected ${formatCrc32c(expected)}; nothing written`,
      { op: 'put', key },
    );
  }
  return actual;
}

/** Throws `ERR_CHECKSUM_MISMATCH` naming `key` unless `bytes` have the recorded CRC32C. */
export function verifyChecksum(key: string, bytes: Uint8Array, recorded: number): void {
  const actual = crc32c(bytes) >>> 0;
  if (actual !== recorded) {
    throw new ArchiveError(
      'ERR_CHECKSUM_MISMATCH',
      `get ${key}: object bytes have CRC32C ${formatCrc32c(actual)}, metadata records ${formatCrc32c(recorded)}`,
      { op: 'get', key },
    );
  }
}

/** Error for an object without a (well-formed) nori CRC32C in its metadata. */
export function missingChecksum(op: ObjectStoreOperation, key: string): ArchiveError {
  return new ArchiveError('ERR_CHECKSUM_MISSING', `${op} ${key}: object has no ${CRC32C_METADATA_KEY} metadata; it was not written by an ObjectStore`, {
    op,
    key,
  });
}

/** Throws `ERR_INVALID_RANGE` unless `range` is well-formed (non-negative safe integers). */
export function validateRangeShape(key: string, range: ByteRange): void {
  const offsetOk = Number.isSafeInteger(range.offset) && range.offset >= 0;
  const lengthOk = range.length === undefined || (Number.isSafeInteger(range.length) && range.length >= 0);
  if (!offsetOk || !lengthOk) {
    throw new ArchiveError('ERR_INVALID_RANGE', `get ${key}: range offset/length must be non-negative integers`, { op: 'get', key });
  }
}

/**
 * Resolves `range` against an object of `size` bytes to `[start, end)`; `ERR_INVALID_RANGE` when
 * it reaches past the end.
 */
export function resolveRange(key: string, range: ByteRange, size: number): [number, number] {
  const end = range.length === undefined ? size : range.offset + range.length;
  if (range.offset > size || end > size) {
    throw new ArchiveError('ERR_INVALID_RANGE', `get ${key}: range ${range.offset}+${range.length ?? 'rest'} is outside the object's ${size} bytes`, {
      op: 'get',
      key,
    });
  }
  return [range.offset, end];
}
