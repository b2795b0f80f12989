import { KvError } from './errors.js';

/** A key or value as callers pass it: raw bytes or a string (encoded as UTF-8). */
export type BytesLike = Uint8Array | string;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NON_ASCII = /[\u0080-\uffff]/;
const SHORT_KEY = 64;

/** Encodes a string as UTF-8; passes bytes through unchanged. */
export function toBytes(input: BytesLike): Uint8Array {
  return typeof input === 'string' ? encoder.encode(input) : input;
}

/** Decodes UTF-8 bytes to a string; passes strings through unchanged. */
export function bytesToString(input: BytesLike): string {
  return typeof input === 'string' ? input : decoder.decode(input);
}

/** UTF-8 length of a value. */
export function byteLength(input: BytesLike): number {
  return typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
}

/**
 * The in-memory index keys entries by a "binary string": one char per byte of the key (latin1).
 * It is a lossless Map key that sorts like the raw bytes. For an ASCII string key it is the key
 * itself, so the common case costs no encoding at all.
 */
export function keyId(key: BytesLike): string {
  if (typeof key === 'string') return NON_ASCII.test(key) ? Buffer.from(key, 'utf8').toString('latin1') : key;
  // Short keys (the common case, e.g. during replay): no Buffer wrapper per key.
  if (key.byteLength <= SHORT_KEY) return String.fromCharCode.apply(null, key as unknown as number[]);
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** Inverse of {@link keyId}: the key's bytes. */
export function keyIdToBytes(id: string): Uint8Array {
  return new Uint8Array(Buffer.from(id, 'latin1'));
}

/** Validates a user key (a non-empty string or byte array); returns it unchanged. */
export function checkKey(key: BytesLike): BytesLike {
  if (typeof key === 'string') {
    if (key.length === 0) throw new KvError('ERR_INVALID_ARGUMENT', 'key must not be empty');
    return key;
  }
  if (!(key instanceof Uint8Array)) throw new KvError('ERR_INVALID_ARGUMENT', `key must be a string or Uint8Array, got ${describe(key)}`);
  if (key.byteLength === 0) throw new KvError('ERR_INVALID_ARGUMENT', 'key must not be empty');
  return key;
}

/**
 * Validates a user value. Strings are kept as they are (immutable); byte arrays are copied, since
 * the caller may reuse them after the call.
 */
export function ownValue(value: BytesLike): BytesLike {
  if (typeof value === 'string') return value;
  if (!(value instanceof Uint8Array)) throw new KvError('ERR_INVALID_ARGUMENT', `value must be a string or Uint8Array, got ${describe(value)}`);
  return value.slice();
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value;
}
