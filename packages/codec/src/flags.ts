/** Flags byte, bit 0: the record is a tombstone (a delete). See FORMAT.md, "Flags". */
export const FLAG_TOMBSTONE = 0x01;
/** Flags byte, bit 1: a TTL varint follows the flags byte. */
export const FLAG_TTL = 0x02;
/** Flags byte, bits 2-3: the compression codec (0 none, 1 lz4, 2 zstd; 3 is invalid). */
export const COMPRESSION_MASK = 0x0c;
/** Shift of the compression bits within the flags byte. */
export const COMPRESSION_SHIFT = 2;

/** The compression bits (0-3) of a flags byte. */
export function compressionBits(flags: number): number {
  return (flags & COMPRESSION_MASK) >> COMPRESSION_SHIFT;
}

/** True when a flags byte marks a compressed value (bits 2-3 not zero). */
export function isCompressed(flags: number): boolean {
  return (flags & COMPRESSION_MASK) !== 0;
}
