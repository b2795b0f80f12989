import { NoriCodecError } from './errors.js';
import { loadNative, onBackendChange } from './native.js';
import { lz4js } from './pure-js-codecs.js';

/**
 * LZ4 raw blocks (no frame). nori-wal stores `varint(original length) + raw block`; the varint is
 * handled by the record codec, this module only does blocks.
 *
 * `lz4-napi` (lz4_flex) frames blocks with a 4-byte little-endian size prefix: we strip it after
 * compressing and rebuild it before decompressing. `lz4js` is the pure-JS path (browsers, or
 * when the addon is missing).
 */

interface Lz4Napi {
  compressSync(data: Uint8Array): Uint8Array;
  uncompressSync(data: Uint8Array): Uint8Array;
}

let native: Lz4Napi | undefined;
const ensureBackend = onBackendChange(() => {
  native = loadNative<Lz4Napi>('lz4-napi');
});

/** Which LZ4 implementation is in use. */
export function lz4Backend(): 'lz4-napi' | 'lz4js' {
  ensureBackend();
  return native !== undefined ? 'lz4-napi' : 'lz4js';
}

let hashTable: Uint32Array | undefined;

/** Compresses `data` into one raw LZ4 block. */
export function lz4CompressBlock(data: Uint8Array): Uint8Array {
  ensureBackend();
  if (native !== undefined) {
    let framed: Uint8Array;
    try {
      framed = native.compressSync(data);
    } catch (error) {
      throw new NoriCodecError('ERR_COMPRESSION_FAILED', `lz4 compression failed: ${String(error)}`, { cause: error });
    }
    return framed.subarray(4);
  }
  return lz4jsCompressBlock(data);
}

function lz4jsCompressBlock(data: Uint8Array): Uint8Array {
  const lz4 = lz4js('compress');
  const bound = lz4.compressBound(data.length);
  const out = new Uint8Array(bound);
  // lz4js needs a zeroed hash table per block.
  if (hashTable === undefined) hashTable = new Uint32Array(1 << 16);
  else hashTable.fill(0);
  let written = 0;
  try {
    written = lz4.compressBlock(data, out, 0, data.length, hashTable);
  } catch (error) {
    throw new NoriCodecError('ERR_COMPRESSION_FAILED', `lz4 compression failed: ${String(error)}`, { cause: error });
  }
  if (written > 0) return out.subarray(0, written);
  // lz4js returns 0 when it found no match; a literals-only block is still a valid LZ4 block.
  return literalBlock(data);
}

/** A raw LZ4 block holding `data` as literals only (one final sequence). */
function literalBlock(data: Uint8Array): Uint8Array {
  const n = data.length;
  const extra = n >= 15 ? Math.floor((n - 15) / 255) + 1 : 0;
  const out = new Uint8Array(1 + extra + n);
  let i = 0;
  if (n >= 15) {
    out[i++] = 0xf0;
    let rest = n - 15;
    while (rest >= 255) {
      out[i++] = 255;
      rest -= 255;
    }
    out[i++] = rest;
  } else {
    out[i++] = n << 4;
  }
  out.set(data, i);
  return out;
}

/**
 * Decompresses a raw LZ4 block that must expand to exactly `originalLength` bytes.
 * Throws NoriCodecError ERR_DECOMPRESSION_FAILED on any malformed input.
 */
export function lz4DecompressBlock(block: Uint8Array, originalLength: number): Uint8Array {
  if (block.length === 0) throw lz4Failed('empty block');
  ensureBackend();
  if (native !== undefined) {
    const framed = new Uint8Array(block.length + 4);
    framed[0] = originalLength & 0xff;
    framed[1] = (originalLength >>> 8) & 0xff;
    framed[2] = (originalLength >>> 16) & 0xff;
    framed[3] = (originalLength >>> 24) & 0xff;
    framed.set(block, 4);
    let out: Uint8Array;
    try {
      out = native.uncompressSync(framed);
    } catch (error) {
      throw lz4Failed(String(error instanceof Error ? error.message : error), error);
    }
    if (out.length !== originalLength) {
      throw lz4Failed(`block expands to ${out.length} bytes, header says ${originalLength}`);
    }
    // A plain Uint8Array view (not a Buffer), whichever backend decoded it.
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
  return lz4jsDecompressBlock(block, originalLength);
}

function lz4jsDecompressBlock(block: Uint8Array, originalLength: number): Uint8Array {
  const out = new Uint8Array(originalLength);
  // lz4js does no bounds checks: out-of-range reads yield undefined and writes are dropped, so
  // validate the result length, and the block structure below.
  if (!isWellFormedBlock(block, originalLength)) throw lz4Failed('malformed block');
  const written = lz4js('decompress').decompressBlock(block, out, 0, block.length, 0);
  if (written !== originalLength) {
    throw lz4Failed(`block expands to ${written} bytes, header says ${originalLength}`);
  }
  return out;
}

/**
 * Walks the sequences of an LZ4 block without copying: every literal run and match length must
 * stay inside the input and the declared output, and match offsets must point into the output.
 */
function isWellFormedBlock(src: Uint8Array, outLength: number): boolean {
  let s = 0;
  let d = 0;
  const end = src.length;
  while (s < end) {
    const token = src[s++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b = 255;
      while (b === 255) {
        if (s >= end) return false;
        b = src[s++]!;
        literals += b;
      }
    }
    s += literals;
    d += literals;
    if (s > end || d > outLength) return false;
    if (s === end) return true; // last sequence: literals only
    if (s + 2 > end) return false;
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d) return false;
    let matchLength = token & 15;
    if (matchLength === 15) {
      let b = 255;
      while (b === 255) {
        if (s >= end) return false;
        b = src[s++]!;
        matchLength += b;
      }
    }
    d += matchLength + 4;
    if (d > outLength) return false;
  }
  return false;
}

function lz4Failed(detail: string, cause?: unknown): NoriCodecError {
  return new NoriCodecError('ERR_DECOMPRESSION_FAILED', `lz4 decompression failed: ${detail}`, { cause });
}
