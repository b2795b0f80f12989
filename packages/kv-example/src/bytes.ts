import { KvError } from './errors.js';

/** A key or value as callers pass it: raw bytes or a string (encoded as UTF-8). */
export type BytesLike = Uint8Array | string;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a string as UTF-8; passes bytes through unchanged. */
export function toBytes(input: BytesLike): Uint8Array {
  return typeof input === 'string' ? encoder.encode(input) : input;
}

/** Decodes UTF-8 bytes to a string. */
export function bytesToString(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * The in-memory index keys entries by a "binary string": one char per byte (latin1). It is a
 * lossless, cheap Map key and compares in the same order as the raw bytes.
 */
export function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** Inverse of {@link keyId}. */
export function keyIdToBytes(id: string): Uint8Array {
  return new Uint8Array(Buffer.from(id, 'latin1'));
}

/** Validates and encodes a user key: non-empty bytes. */
export function keyBytes(key: BytesLike): Uint8Array {
  if (typeof key !== 'string' && !(key instanceof Uint8Array)) {
    throw new KvError('ERR_INVALID_ARGUMENT', `key must be a string or Uint8Array, got ${typeof key}`);
  }
  const bytes = toBytes(key);
  if (bytes.byteLength === 0) throw new KvError('ERR_INVALID_ARGUMENT', 'key must not be empty');
  return bytes;
}

/** Validates and encodes a user value. */
export function valueBytes(value: BytesLike): Uint8Array {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
    throw new KvError('ERR_INVALID_ARGUMENT', `value must be a string or Uint8Array, got ${typeof value}`);
  }
  return toBytes(value);
}
