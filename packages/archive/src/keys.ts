import { ArchiveError } from './errors.js';

/** S3's limit on the UTF-8 length of a key. */
export const MAX_KEY_BYTES = 1024;

// C0 controls and DEL: never valid in a key (they break HTTP headers and listings).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
// In a `u` regex a well-formed surrogate pair is one code point, so only lone halves match.
const LONE_SURROGATE = /\p{Cs}/u;
const encoder = new TextEncoder();

function invalidKey(key: unknown, reason: string): ArchiveError {
  return new ArchiveError('ERR_INVALID_KEY', `invalid key ${JSON.stringify(key)}: ${reason}`, {
    key: typeof key === 'string' ? key : undefined,
  });
}

function checkCharacters(value: string, what: string): void {
  if (LONE_SURROGATE.test(value)) throw invalidKey(value, `${what} has an unpaired surrogate`);
  if (CONTROL_CHARACTERS.test(value)) throw invalidKey(value, `${what} has a control character`);
  if (encoder.encode(value).length > MAX_KEY_BYTES) throw invalidKey(value, `${what} is longer than ${MAX_KEY_BYTES} UTF-8 bytes`);
}

/**
 * Throws `ERR_INVALID_KEY` unless `key` is a valid object key: `/`-separated non-empty segments
 * other than `.` and `..` (HTTP clients and proxies may normalise those), no control characters,
 * well-formed Unicode, at most {@link MAX_KEY_BYTES} UTF-8 bytes.
 */
export function validateKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw invalidKey(key, 'must be a non-empty string');
  checkCharacters(key, 'key');
  for (const segment of key.split('/')) {
    if (segment === '') throw invalidKey(key, 'has an empty segment (leading, trailing or double slash)');
    if (segment === '.' || segment === '..') throw invalidKey(key, `has a "${segment}" segment`);
  }
}

/**
 * Throws `ERR_INVALID_KEY` unless `prefix` is a valid list prefix: empty, or a valid key
 * optionally followed by one `/`.
 */
export function validatePrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string') throw invalidKey(prefix, 'prefix must be a string');
  if (prefix === '') return;
  validateKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

/** Orders keys as S3 lists them: by their UTF-8 bytes (not UTF-16 code units). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
