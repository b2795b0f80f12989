import { COMPRESSION_BITS, compressValue } from './compression.js';
import { crc32c } from './crc32c.js';
import { NoriCodecError, RecordTooLargeError } from './errors.js';
import { maxRecordSizeOf } from './options.js';
import type { CodecOptions, Compression, RecordInput } from './types.js';
import { varintLength, writeVarint } from './varint.js';
import { COMPRESSION_SHIFT, FLAG_TOMBSTONE, FLAG_TTL } from './flags.js';

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);
const U64_MAX = (1n << 64n) - 1n;

/** A record ready to be written: validated fields and the value bytes as stored. */
interface Prepared {
  /** Key bytes; undefined when the key is {@link Prepared.asciiKey}. */
  key: Uint8Array | undefined;
  /** A short ASCII key, copied into the target by {@link write} (no intermediate array). */
  asciiKey: string | undefined;
  keyLength: number;
  stored: Uint8Array;
  flags: number;
  ttl: number | bigint | undefined;
  size: number;
}

/** Short ASCII strings (typical keys) are copied by hand: TextEncoder costs ~1 us per call. */
const ASCII_FAST_PATH_MAX = 64;

/** True for a string short enough for the hand copy whose UTF-16 units are all ASCII. */
function isShortAscii(s: string): boolean {
  const n = s.length;
  if (n > ASCII_FAST_PATH_MAX) return false;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function utf8Bytes(s: string): Uint8Array {
  const n = s.length;
  if (n <= ASCII_FAST_PATH_MAX) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return utf8.encode(s);
      out[i] = c;
    }
    return out;
  }
  return utf8.encode(s);
}

function bytesOf(field: 'key' | 'value', v: Uint8Array | string | undefined): Uint8Array {
  if (v === undefined && field === 'value') return EMPTY;
  if (typeof v === 'string') return utf8Bytes(v);
  if (v instanceof Uint8Array) return v;
  throw new NoriCodecError('ERR_INVALID_RECORD', `${field} must be a Uint8Array or a string, got ${typeof v}`);
}

function ttlOf(ttl: number | bigint | undefined): number | bigint | undefined {
  if (ttl === undefined) return undefined;
  if (typeof ttl === 'number') {
    if (Number.isInteger(ttl) && ttl >= 0) return ttl <= Number.MAX_SAFE_INTEGER ? ttl : ttlOf(BigInt(ttl));
  } else if (typeof ttl === 'bigint') {
    if (ttl >= 0n && ttl <= U64_MAX) return ttl <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(ttl) : ttl;
  }
  throw new NoriCodecError('ERR_INVALID_RECORD', `ttlMs must be an integer in 0..2^64-1 (number or bigint), got ${String(ttl)}`);
}

function prepare(input: RecordInput, max: number): Prepared {
  if (input === null || typeof input !== 'object') {
    throw new NoriCodecError('ERR_INVALID_RECORD', 'record must be an object with a key');
  }
  const keyInput = input.key;
  // The common key, a short ASCII string, is written straight into the target by write().
  const asciiKey = typeof keyInput === 'string' && isShortAscii(keyInput) ? keyInput : undefined;
  const key = asciiKey === undefined ? bytesOf('key', keyInput) : undefined;
  const keyLength = asciiKey === undefined ? (key as Uint8Array).length : asciiKey.length;
  const value = bytesOf('value', input.value);
  // `=== undefined`, not `??`: a null compression is a caller bug, not a request for 'none'.
  const compression: Compression = input.compression === undefined ? 'none' : input.compression;
  const bits = COMPRESSION_BITS[compression];
  if (bits === undefined || !Object.hasOwn(COMPRESSION_BITS, compression)) {
    throw new NoriCodecError('ERR_INVALID_RECORD', `compression must be 'none', 'lz4' or 'zstd', got ${String(compression)}`);
  }
  const ttl = ttlOf(input.ttlMs);
  const tombstone = input.tombstone;
  // A truthy non-boolean ('yes', 1) must not silently write a live record instead of a delete.
  if (tombstone !== undefined && typeof tombstone !== 'boolean') {
    throw new NoriCodecError('ERR_INVALID_RECORD', `tombstone must be a boolean, got ${typeof tombstone}`);
  }
  // The decoder refuses values that decompress beyond max, so never write one.
  if (value.length > max) throw new RecordTooLargeError(value.length, max, 'value');
  if (keyLength > max) throw new RecordTooLargeError(keyLength, max, 'key');
  const stored = compressValue(value, compression);
  const flags = (tombstone === true ? FLAG_TOMBSTONE : 0) | (ttl !== undefined ? FLAG_TTL : 0) | (bits << COMPRESSION_SHIFT);
  const size = varintLength(keyLength) + varintLength(stored.length) + 1 + (ttl !== undefined ? varintLength(ttl) : 0) + keyLength + stored.length + 4;
  if (size > max) throw new RecordTooLargeError(size, max);
  return { key, asciiKey, keyLength, stored, flags, ttl, size };
}

function write(p: Prepared, target: Uint8Array, offset: number): number {
  const keyLength = p.keyLength;
  let at = writeVarint(target, offset, keyLength);
  at = writeVarint(target, at, p.stored.length);
  target[at++] = p.flags;
  if (p.ttl !== undefined) at = writeVarint(target, at, p.ttl);
  const asciiKey = p.asciiKey;
  if (asciiKey !== undefined) {
    for (let i = 0; i < keyLength; i++) target[at + i] = asciiKey.charCodeAt(i);
  } else {
    target.set(p.key as Uint8Array, at);
  }
  at += keyLength;
  target.set(p.stored, at);
  at += p.stored.length;
  const crc = crc32c(target.subarray(offset, at));
  target[at++] = crc & 0xff;
  target[at++] = (crc >>> 8) & 0xff;
  target[at++] = (crc >>> 16) & 0xff;
  target[at++] = crc >>> 24;
  return at - offset;
}

/**
 * Encodes a record in nori-wal format v1. Throws NoriCodecError: ERR_INVALID_RECORD (bad field),
 * ERR_RECORD_TOO_LARGE, ERR_COMPRESSION_UNAVAILABLE, ERR_COMPRESSION_FAILED.
 */
export function encodeRecord(input: RecordInput, options?: CodecOptions): Uint8Array {
  const p = prepare(input, maxRecordSizeOf(options));
  const out = new Uint8Array(p.size);
  write(p, out, 0);
  return out;
}

/**
 * Encoded size of a record. Compressed records are compressed to find out: call
 * {@link encodeRecord} once instead of both when compressing.
 */
export function encodedLength(input: RecordInput, options?: CodecOptions): number {
  return prepare(input, maxRecordSizeOf(options)).size;
}

/**
 * Encodes a record into `target` at `offset`; returns the bytes written. Throws
 * ERR_INVALID_ARGUMENT if it does not fit (nothing is written then).
 */
export function encodeRecordInto(input: RecordInput, target: Uint8Array, offset: number, options?: CodecOptions): number {
  const p = prepare(input, maxRecordSizeOf(options));
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + p.size > target.length) {
    throw new NoriCodecError('ERR_INVALID_ARGUMENT', `record of ${p.size} bytes does not fit at offset ${offset} of a ${target.length}-byte target`);
  }
  return write(p, target, offset);
}
