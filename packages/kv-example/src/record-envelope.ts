import type { RecordInput, WalRecord } from '@nori/codec';
import { byteLength, type BytesLike } from './bytes.js';
import { KvError } from './errors.js';

/**
 * How store operations map to WAL records.
 *
 * - put without TTL: `{ key, value }`, the value byte for byte.
 * - put with TTL: `{ key, value: expiresAt ++ value, ttlMs }`. The codec's `ttlMs` is a duration
 *   relative to the write (as in Rust nori-wal), but a record carries no timestamp, so a reader
 *   could not tell after a restart when the duration started. The absolute expiry (Unix ms,
 *   8 bytes big-endian) therefore leads the value of every record that has a `ttlMs`; `ttlMs`
 *   is kept for tools that only understand nori-wal records.
 * - delete: `{ key, tombstone: true }`.
 */
export const EXPIRY_PREFIX_SIZE = 8;

/** A decoded store operation read back from the log. */
export type DecodedOperation = { kind: 'put'; key: Uint8Array; value: Uint8Array; expiresAt: number } | { kind: 'delete'; key: Uint8Array };

/** Largest expiry we accept: beyond this a double loses integer precision. */
const MAX_EXPIRES_AT = Number.MAX_SAFE_INTEGER;

/**
 * Builds the WAL record of a put; `expiresAt` 0 means "never expires". Strings go to the WAL as
 * they are (the codec encodes them straight into the segment buffer).
 */
export function putRecord(key: BytesLike, value: BytesLike, expiresAt: number, now: number): RecordInput {
  if (expiresAt === 0) return { key, value };
  const enveloped = Buffer.allocUnsafe(EXPIRY_PREFIX_SIZE + byteLength(value));
  enveloped.writeBigUInt64BE(BigInt(expiresAt), 0);
  if (typeof value === 'string') enveloped.write(value, EXPIRY_PREFIX_SIZE, 'utf8');
  else enveloped.set(value, EXPIRY_PREFIX_SIZE);
  return { key, value: new Uint8Array(enveloped.buffer, enveloped.byteOffset, enveloped.byteLength), ttlMs: Math.max(1, expiresAt - now) };
}

/** Builds the WAL record of a delete. */
export function deleteRecord(key: BytesLike): RecordInput {
  return { key, tombstone: true };
}

/**
 * Decodes a WAL record into a store operation. The value is copied (the log may hand out views
 * into a reused read buffer); the key stays a view of `record.key`, valid as long as it is.
 */
export function decodeOperation(record: Pick<WalRecord, 'key' | 'value' | 'tombstone' | 'ttlMs'>): DecodedOperation {
  const key = record.key;
  if (record.tombstone) return { kind: 'delete', key };
  if (record.ttlMs === undefined) return { kind: 'put', key, value: record.value.slice(), expiresAt: 0 };
  if (record.value.byteLength < EXPIRY_PREFIX_SIZE) {
    throw new KvError(
      'ERR_INVALID_ARGUMENT',
      `record with a TTL has a ${record.value.byteLength}-byte value, shorter than its ${EXPIRY_PREFIX_SIZE}-byte expiry prefix (not written by @nori/kv-example?)`,
    );
  }
  const view = new DataView(record.value.buffer, record.value.byteOffset, record.value.byteLength);
  const expiresAt = Number(view.getBigUint64(0, false));
  return { kind: 'put', key, value: record.value.slice(EXPIRY_PREFIX_SIZE), expiresAt };
}

/**
 * Resolves the absolute expiry of a put from `ttlMs` (relative) or `expiresAt` (absolute).
 * Returns 0 for "never".
 */
export function resolveExpiry(options: { ttlMs?: number | undefined; expiresAt?: number | undefined }, now: number): number {
  const { ttlMs, expiresAt } = options;
  if (ttlMs !== undefined && expiresAt !== undefined) {
    throw new KvError('ERR_INVALID_TTL', 'pass either ttlMs or expiresAt, not both');
  }
  if (ttlMs !== undefined) {
    if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
      throw new KvError('ERR_INVALID_TTL', `ttlMs must be a positive integer number of milliseconds, got ${String(ttlMs)}`);
    }
    const at = now + ttlMs;
    if (at > MAX_EXPIRES_AT) throw new KvError('ERR_INVALID_TTL', `ttlMs ${ttlMs} is too large`);
    return at;
  }
  if (expiresAt !== undefined) {
    if (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt) || expiresAt <= 0) {
      throw new KvError('ERR_INVALID_TTL', `expiresAt must be a positive integer Unix time in milliseconds, got ${String(expiresAt)}`);
    }
    return expiresAt;
  }
  return 0;
}
