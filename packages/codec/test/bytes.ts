/**
 * Offset of the first byte where `actual` and `expected` differ (the shorter length when one is a
 * prefix of the other), or -1 when they hold the same bytes. Use it instead of `toEqual` on large
 * byte arrays: vitest's deep equality walks every byte as an object property (seconds per MiB),
 * `Buffer.compare` is a memcmp.
 */
export function firstByteDifference(actual: Uint8Array, expected: Uint8Array): number {
  if (Buffer.compare(actual, expected) === 0) return -1;
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) if (actual[i] !== expected[i]) return i;
  return n;
}
