/**
 * Read buffers without the zero fill. `new Uint8Array(n)` zeroes all n bytes on the caller's
 * thread, only for a read to overwrite them: a 1 MiB memset per chunk of every sequential read
 * and recovery. Buffers here come uninitialized (malloc'd, possibly holding old process memory),
 * so whoever fills one must zero what no read wrote ({@link zeroOutside}) before any view of it
 * leaves the scanner: a view's `.buffer` exposes the whole allocation.
 */

/** A `Uint8Array` of `size` bytes that owns its `ArrayBuffer` (offset 0), contents unspecified. */
export function uninitializedBytes(size: number): Uint8Array {
  // allocUnsafeSlow never hands out a slice of the shared pool: the ArrayBuffer is this buffer's alone.
  return new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
}

/** Zeroes `buffer` outside `[from, to)`: the bytes that hold no data read from a file. */
export function zeroOutside(buffer: Uint8Array, from: number, to: number): void {
  if (from > 0) buffer.fill(0, 0, from);
  if (to < buffer.length) buffer.fill(0, to);
}
