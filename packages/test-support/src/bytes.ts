/** Lowercase hex of bytes. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes of a hex string. */
export function unhex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** UTF-8 text of bytes. */
export function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** The bytes of `parts`, one after another, in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `length` bytes all equal to `value`. */
export function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

/**
 * Whether two byte arrays hold the same bytes (a memcmp). Use it (or {@link firstByteMismatch})
 * instead of `toEqual` on large byte arrays: vitest's deep equality walks every byte as an object
 * property, seconds per MiB.
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** Index of the first array whose bytes differ, or -1 when both lists hold the same bytes. */
export function firstByteMismatch(actual: readonly Uint8Array[], expected: readonly Uint8Array[]): number {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    const a = actual[i];
    const b = expected[i];
    if (a === undefined || b === undefined || !bytesEqual(a, b)) return i;
  }
  return -1;
}

/** Bytes of context shown on each side of the first difference in {@link expectBytes}'s message. */
const CONTEXT_BYTES = 8;

function window(bytes: Uint8Array, at: number): string {
  return hex(bytes.subarray(Math.max(0, at - CONTEXT_BYTES), at + CONTEXT_BYTES));
}

/** Offset of the first differing byte of two arrays (the shorter length if one is a prefix), or -1. */
function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  if (bytesEqual(actual, expected)) return -1;
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) if (actual[i] !== expected[i]) return i;
  return n;
}

/**
 * Asserts that `actual` holds exactly the bytes of `expected` (a memcmp, not vitest's per-byte deep
 * equality). Throws an `Error` naming the lengths, the first differing offset and the hex around it.
 */
export function expectBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  const at = firstDifference(actual, expected);
  if (at < 0) return;
  throw new Error(
    `${what} differ at offset ${at} (lengths ${actual.length} and ${expected.length}): ` +
      `actual ...${window(actual, at)}... expected ...${window(expected, at)}...`,
  );
}

/** {@link expectBytes} for lists of byte arrays: same count, and every array the same bytes. */
export function expectByteArrays(actual: readonly Uint8Array[], expected: readonly Uint8Array[], what = 'arrays'): void {
  const index = firstByteMismatch(actual, expected);
  if (index < 0) return;
  const a = actual[index];
  const b = expected[index];
  if (a === undefined || b === undefined) {
    throw new Error(`${what}: ${actual.length} byte arrays, expected ${expected.length} (first missing at index ${index})`);
  }
  expectBytes(a, b, `${what}[${index}]`);
}
