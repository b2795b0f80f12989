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
