import { NoriCodecError, RecordTooLargeError } from './errors.js';
import { lz4CompressBlock, lz4DecompressBlock } from './lz4.js';
import type { Compression } from './types.js';
import { MAX_VARINT_LENGTH, varintLength, writeVarint } from './varint.js';
import { zstdCompress, zstdDecompress } from './zstd.js';

/** Compression bits (bits 2-3 of the flags byte, see flags.ts) per codec. */
export const COMPRESSION_BITS: Readonly<Record<Compression, number>> = { none: 0, lz4: 1, zstd: 2 };
export const COMPRESSION_BY_BITS: readonly Compression[] = ['none', 'lz4', 'zstd'];

/** The value bytes as stored in a record (for lz4: varint original length + raw block). */
export function compressValue(value: Uint8Array, compression: Compression): Uint8Array {
  if (compression === 'none') return value;
  if (compression === 'lz4') {
    const block = lz4CompressBlock(value);
    const out = new Uint8Array(varintLength(value.length) + block.length);
    const at = writeVarint(out, 0, value.length);
    out.set(block, at);
    return out;
  }
  return zstdCompress(value);
}

/**
 * The logical value of stored value bytes. Throws NoriCodecError ERR_DECOMPRESSION_FAILED on
 * malformed input, RecordTooLargeError if the value would exceed `limit` bytes.
 */
export function decompressValue(stored: Uint8Array, start: number, end: number, compression: Compression, limit: number): Uint8Array {
  if (compression === 'lz4') {
    // varint original length, read like nori-wal's decode_varint
    let length = 0;
    let scale = 1;
    let p = start;
    for (let n = 0; ; n++) {
      if (p >= end) throw new NoriCodecError('ERR_DECOMPRESSION_FAILED', 'lz4 decompression failed: truncated original-length varint');
      if (n >= MAX_VARINT_LENGTH) throw new NoriCodecError('ERR_DECOMPRESSION_FAILED', 'lz4 decompression failed: original-length varint overflow');
      const byte = stored[p++]!;
      length += (n === 9 ? byte & 1 : byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) break;
      scale *= 128;
    }
    if (length > limit) throw new RecordTooLargeError(length, limit, 'decompressed lz4 value');
    return lz4DecompressBlock(stored.subarray(p, end), length);
  }
  return zstdDecompress(stored.subarray(start, end), limit);
}
