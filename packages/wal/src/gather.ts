import type { PendingWrite } from './pending-write.js';

/**
 * Fills `iov` with the buffers of `run[0..count)` for one gathered write: records encoded back
 * to back in the encoder's slab are one contiguous region, so they share one iovec. Returns `iov`.
 */
export function gather(run: readonly PendingWrite[], count: number, iov: Uint8Array[]): Uint8Array[] {
  let region: Uint8Array | undefined;
  let regionEnd = 0;
  let regionLength = 0;
  for (let i = 0; i < count; i++) {
    const p = run[i] as PendingWrite;
    const single = p.buffer;
    const many = p.buffers;
    const n = single !== undefined ? 1 : many !== undefined ? many.length : 0;
    for (let j = 0; j < n; j++) {
      const b = single !== undefined ? single : ((many as Uint8Array[])[j] as Uint8Array);
      if (region !== undefined && b.buffer === region.buffer && b.byteOffset === regionEnd) {
        regionEnd += b.length;
        regionLength += b.length;
        continue;
      }
      if (region !== undefined) iov.push(regionOf(region, regionLength));
      region = b;
      regionEnd = b.byteOffset + b.length;
      regionLength = b.length;
    }
  }
  if (region !== undefined) iov.push(regionOf(region, regionLength));
  return iov;
}

/** `length` bytes of `first`'s buffer starting where `first` starts. */
function regionOf(first: Uint8Array, length: number): Uint8Array {
  return first.length === length ? first : new Uint8Array(first.buffer, first.byteOffset, length);
}
