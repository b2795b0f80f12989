import { Decompress, decompress as fzstdDecompress } from 'fzstd';
import { CompressionUnavailableError, NoriCodecError, RecordTooLargeError } from './errors.js';
import { loadNative, nativeLoadError, nodeBuiltin, nodeVersion, onBackendChange } from './native.js';

/**
 * Zstd values are whole zstd frames (nori-wal uses `zstd::encode_all(value, 3)`, so frames lack
 * the content size). Encoding needs native code: Node's zlib (>= 22.15 / 23.8) or the optional
 * `zstd-napi` addon. Decoding uses the same native code when present (libzstd, as nori-wal; on
 * frames without a content size fzstd allocates and shifts the whole window per block, ~50x
 * slower here) and `fzstd` (pure JS) everywhere else. Every decode is bounded first by walking
 * the frame and block headers (see {@link zstdDecompressedBound}).
 */

/** Compression level nori-wal uses. */
export const ZSTD_LEVEL = 3;

type Compress = (data: Uint8Array) => Uint8Array;

/** Native decoder: `limit` caps the output (zlib enforces it; callers bound zstd-napi first). */
type NativeDecompress = (data: Uint8Array, limit: number) => Uint8Array;

interface ZlibZstd {
  zstdCompressSync?: (data: Uint8Array, options?: { params?: Record<number, number> }) => Uint8Array;
  zstdDecompressSync?: (data: Uint8Array, options?: { maxOutputLength?: number }) => Uint8Array;
  constants: Record<string, number>;
}
interface ZstdNapi {
  compress(data: Uint8Array, parameters?: { compressionLevel?: number }): Uint8Array;
  decompress(data: Uint8Array): Uint8Array;
}

let compressImpl: Compress | undefined;
let decompressImpl: NativeDecompress | undefined;
let backend: 'node:zlib' | 'zstd-napi' | undefined;

const ensureBackend = onBackendChange(() => {
  compressImpl = undefined;
  decompressImpl = undefined;
  backend = undefined;
  const zlib = nodeBuiltin<ZlibZstd>('node:zlib');
  const levelParam = zlib?.constants['ZSTD_c_compressionLevel'];
  if (zlib?.zstdCompressSync !== undefined && zlib.zstdDecompressSync !== undefined && levelParam !== undefined) {
    const { zstdCompressSync, zstdDecompressSync } = zlib;
    compressImpl = (data) => zstdCompressSync(data, { params: { [levelParam]: ZSTD_LEVEL } });
    decompressImpl = (data, limit) => zstdDecompressSync(data, { maxOutputLength: Math.max(1, limit) });
    backend = 'node:zlib';
    return;
  }
  const napi = loadNative<ZstdNapi>('zstd-napi');
  if (napi !== undefined) {
    compressImpl = (data) => napi.compress(data, { compressionLevel: ZSTD_LEVEL });
    decompressImpl = (data) => napi.decompress(data);
    backend = 'zstd-napi';
  }
});

/** Which zstd implementations are in use (`compress` undefined = zstd encoding unavailable). */
export function zstdBackend(): {
  compress: 'node:zlib' | 'zstd-napi' | undefined;
  decompress: 'node:zlib' | 'zstd-napi' | 'fzstd';
} {
  ensureBackend();
  return { compress: backend, decompress: backend ?? 'fzstd' };
}

/** Compresses `data` into one zstd frame at level 3. */
export function zstdCompress(data: Uint8Array): Uint8Array {
  ensureBackend();
  if (compressImpl === undefined) {
    const cause = nativeLoadError('zstd-napi');
    const hint =
      `zstd encoding needs Node.js >= 22.15 (zlib.zstdCompressSync; this is ${nodeVersion() ?? 'not Node.js'}) ` +
      `or the optional dependency zstd-napi (npm install zstd-napi; it builds from source with a C++ toolchain)` +
      (cause instanceof Error ? `; loading zstd-napi failed: ${cause.message}` : '') +
      '. Decoding zstd records works without it.';
    throw new CompressionUnavailableError('zstd', 'compress', hint);
  }
  try {
    return compressImpl(data);
  } catch (error) {
    throw new NoriCodecError('ERR_COMPRESSION_FAILED', `zstd compression failed: ${String(error)}`, { cause: error });
  }
}

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const MAX_BLOCK_SIZE = 128 * 1024;

/** (offset, window descriptor) pairs that shrink oversized windows for fzstd; see below. */
const windowPatches: number[] = [];

/** Largest zstd window we decode (fzstd allocates the window up front): max(limit, 8 MiB). */
export const MIN_ZSTD_WINDOW_LIMIT = 8 * 1024 * 1024;

/**
 * Upper bound of the decompressed size of a sequence of zstd frames, from frame and block headers
 * only (no decoding). Throws ERR_DECOMPRESSION_FAILED if the structure is malformed or a window
 * is larger than max(limit, 8 MiB), and RecordTooLargeError if a frame declares a content size
 * above `limit`: fzstd allocates buffers of those sizes before decoding anything.
 */
export function zstdDecompressedBound(src: Uint8Array, limit: number): number {
  windowPatches.length = 0;
  const windowLimit = Math.max(limit, MIN_ZSTD_WINDOW_LIMIT);
  let p = 0;
  let bound = 0;
  const end = src.length;
  while (p < end) {
    if (p + 4 > end) throw zstdFailed('malformed frame');
    const magic = (src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24)) >>> 0;
    p += 4;
    if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      if (p + 4 > end) throw zstdFailed('malformed frame');
      const size = (src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24)) >>> 0;
      p += 4 + size;
      if (p > end) throw zstdFailed('malformed frame');
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw zstdFailed('malformed frame');
    if (p >= end) throw zstdFailed('malformed frame');
    const fhd = src[p++]!;
    if (fhd & 8) throw zstdFailed('malformed frame'); // reserved bit
    const singleSegment = (fhd >> 5) & 1;
    const checksum = (fhd >> 2) & 1;
    const dictFlag = fhd & 3;
    const fcsFlag = fhd >> 6;
    let windowSize = 0;
    const windowDescriptorAt = p;
    if (!singleSegment) {
      if (p >= end) throw zstdFailed('malformed frame');
      const wd = src[p++]!;
      const base = 2 ** (10 + (wd >> 3));
      windowSize = base + (base / 8) * (wd & 7);
    }
    p += dictFlag === 3 ? 4 : dictFlag;
    const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
    if (p + fcsBytes > end) throw zstdFailed('malformed frame');
    let contentSize = -1;
    if (fcsBytes > 0) {
      contentSize = 0;
      for (let i = fcsBytes - 1; i >= 0; i--) contentSize = contentSize * 256 + src[p + i]!;
      if (fcsBytes === 2) contentSize += 256;
    }
    p += fcsBytes;
    if (singleSegment) windowSize = contentSize;
    if (contentSize > limit) throw new RecordTooLargeError(contentSize, limit, 'declared zstd content');
    if (windowSize > windowLimit) throw zstdFailed(`window of ${windowSize} bytes exceeds ${windowLimit}`);
    let frameBound = 0;
    for (;;) {
      if (p + 3 > end) throw zstdFailed('malformed frame');
      const header = src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16);
      p += 3;
      const last = header & 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw zstdFailed('malformed frame');
      if (type === 1) {
        p += 1; // RLE: one byte repeated `size` times
        frameBound += size;
      } else {
        p += size;
        frameBound += type === 0 ? size : Math.min(MAX_BLOCK_SIZE, windowSize > 0 ? windowSize : MAX_BLOCK_SIZE);
      }
      if (p > end) throw zstdFailed('malformed frame');
      if (last) break;
    }
    p += checksum * 4;
    if (p > end) throw zstdFailed('malformed frame');
    bound += contentSize >= 0 ? Math.min(contentSize, frameBound) : frameBound;
    if (!singleSegment && contentSize < 0) {
      // fzstd allocates the declared window and shifts all of it after every block; the frame
      // never produces more than frameBound bytes, so no back-reference reaches further than
      // that: a window of frameBound (rounded up to a power of two) decodes it identically.
      const exponent = Math.max(0, Math.ceil(Math.log2(Math.max(frameBound, 1024))) - 10);
      if (2 ** (10 + exponent) < windowSize) windowPatches.push(windowDescriptorAt, exponent << 3);
    }
  }
  return bound;
}

/**
 * Decompresses a sequence of zstd frames, refusing to produce (or allocate) more than `limit`
 * bytes. Throws NoriCodecError ERR_DECOMPRESSION_FAILED, or RecordTooLargeError.
 */
export function zstdDecompress(src: Uint8Array, limit: number): Uint8Array {
  // Like nori-wal's zstd::decode_all: no frames at all is an empty value.
  if (src.length === 0) return new Uint8Array(0);
  const bound = zstdDecompressedBound(src, limit);
  ensureBackend();
  try {
    if (bound <= limit) {
      if (decompressImpl !== undefined) {
        const out = decompressImpl(src, limit);
        // A plain Uint8Array view (not a Buffer), whichever backend decoded it.
        return new Uint8Array(out.buffer, out.byteOffset, out.length);
      }
      return fzstdDecompress(shrinkWindows(src));
    }
    return decompressStreaming(src, limit);
  } catch (error) {
    if (error instanceof NoriCodecError) throw error;
    throw zstdFailed(error instanceof Error ? error.message : String(error), error);
  }
}

/** `src`, or a copy whose window descriptors were reduced as recorded by zstdDecompressedBound. */
function shrinkWindows(src: Uint8Array): Uint8Array {
  if (windowPatches.length === 0) return src;
  const copy = src.slice();
  for (let i = 0; i < windowPatches.length; i += 2) copy[windowPatches[i]!] = windowPatches[i + 1]!;
  return copy;
}

/** Streaming decode that stops as soon as the output would exceed `limit`. */
function decompressStreaming(src: Uint8Array, limit: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const stream = new Decompress((chunk) => {
    total += chunk.length;
    if (total > limit) throw new RecordTooLargeError(total, limit, 'decompressed zstd value');
    chunks.push(chunk);
  });
  stream.push(src, true);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function zstdFailed(detail: string, cause?: unknown): NoriCodecError {
  return new NoriCodecError('ERR_DECOMPRESSION_FAILED', `zstd decompression failed: ${detail}`, { cause });
}
