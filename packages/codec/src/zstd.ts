import { CompressionUnavailableError, NoriCodecError, RecordTooLargeError } from './errors.js';
import { xxh64Low32 } from './xxh64.js';
import { isNativeEnabled, loadNative, nativeLoadError, nodeBuiltin, nodeVersion, onBackendChange } from './native.js';
import { fzstd } from './pure-js-codecs.js';

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

/** A native zstd implementation (libzstd through Node's zlib or the zstd-napi addon). */
export type ZstdNativeBackend = 'node:zlib' | 'zstd-napi';

let compressImpl: Compress | undefined;
let decompressImpl: NativeDecompress | undefined;
let backend: ZstdNativeBackend | undefined;
/** Restricts the native backend to one implementation (tests, benchmarks); undefined = prefer node:zlib. */
let requested: ZstdNativeBackend | undefined;

function useZlib(): boolean {
  const zlib = nodeBuiltin<ZlibZstd>('node:zlib');
  const levelParam = zlib?.constants['ZSTD_c_compressionLevel'];
  if (zlib?.zstdCompressSync === undefined || zlib.zstdDecompressSync === undefined || levelParam === undefined) return false;
  const { zstdCompressSync, zstdDecompressSync } = zlib;
  compressImpl = (data) => zstdCompressSync(data, { params: { [levelParam]: ZSTD_LEVEL } });
  decompressImpl = (data, limit) => zstdDecompressSync(data, { maxOutputLength: Math.max(1, limit) });
  backend = 'node:zlib';
  return true;
}

function useZstdNapi(): boolean {
  const napi = loadNative<ZstdNapi>('zstd-napi');
  if (napi === undefined) return false;
  compressImpl = (data) => napi.compress(data, { compressionLevel: ZSTD_LEVEL });
  decompressImpl = (data) => napi.decompress(data);
  backend = 'zstd-napi';
  return true;
}

const ensureBackend = onBackendChange(selectImplementations);

function selectImplementations(): void {
  compressImpl = undefined;
  decompressImpl = undefined;
  backend = undefined;
  // "Native disabled" means pure JS only: node:zlib is native code too.
  if (!isNativeEnabled()) return;
  if (requested !== 'zstd-napi' && useZlib()) return;
  if (requested !== 'node:zlib') useZstdNapi();
}

/**
 * Internal (tests, benchmarks): use only `choice` as the native zstd backend, or the default
 * order (node:zlib, then zstd-napi) for undefined. Returns whether `choice` is available;
 * `setNativeEnabled(false)` still turns every native backend off.
 */
export function selectZstdBackend(choice: ZstdNativeBackend | undefined): boolean {
  requested = choice;
  selectImplementations();
  return choice === undefined || backend === choice;
}

/** Which zstd implementations are in use (`compress` undefined = zstd encoding unavailable). */
export function zstdBackend(): {
  compress: ZstdNativeBackend | undefined;
  decompress: ZstdNativeBackend | 'fzstd';
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
      (isNativeEnabled() ? '' : 'native code is disabled (setNativeEnabled(false)); ') +
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
/**
 * (start, end) pairs of the data frames (not skippable ones) found by the last
 * zstdDecompressedBound: native decoders get one frame per call, because Node 22's
 * zstdDecompressSync stops after the first frame (and returns nothing after a skippable one).
 */
const frameSpans: number[] = [];
/** Whether a frame seen by the last zstdDecompressedBound carries a content checksum. */
let checksummedFrames = false;
/** Frame header descriptor bit: a 4-byte content checksum follows the last block. */
const CHECKSUM_FLAG = 4;
/** Offset of the frame header descriptor (after the magic number). */
const FHD_OFFSET = 4;
const CHECKSUM_SIZE = 4;

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
  frameSpans.length = 0;
  checksummedFrames = false;
  const windowLimit = Math.max(limit, MIN_ZSTD_WINDOW_LIMIT);
  let p = 0;
  let bound = 0;
  const end = src.length;
  while (p < end) {
    if (p + 4 > end) throw zstdFailed('malformed frame');
    const frameStart = p;
    const magic = (src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24)) >>> 0;
    p += 4;
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
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
    const checksum = fhd & CHECKSUM_FLAG ? 1 : 0;
    if (checksum) checksummedFrames = true;
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
    const dictIdBytes = dictFlag === 3 ? 4 : dictFlag;
    if (p + dictIdBytes > end) throw zstdFailed('malformed frame');
    let dictId = 0;
    for (let i = dictIdBytes - 1; i >= 0; i--) dictId = dictId * 256 + src[p + i]!;
    // libzstd (nori-wal) refuses these without the dictionary; fzstd would decode them wrongly.
    if (dictId !== 0) throw zstdFailed(`frame needs dictionary ${dictId}`);
    p += dictIdBytes;
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
    p += checksum * CHECKSUM_SIZE;
    if (p > end) throw zstdFailed('malformed frame');
    frameSpans.push(frameStart, p);
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
    if (decompressImpl !== undefined && bound <= limit) return decompressFrames(decompressImpl, src, limit);
    const patched = shrinkWindows(src);
    // fzstd ignores content checksums: such frames are decoded one by one and checked here.
    if (checksummedFrames) return decompressFrames(decompressVerified, patched, limit);
    return bound <= limit ? fzstd().decompress(patched) : decompressStreaming(patched, limit);
  } catch (error) {
    if (error instanceof NoriCodecError) throw error;
    throw zstdFailed(error instanceof Error ? error.message : String(error), error);
  }
}

/**
 * Decodes the frames recorded in frameSpans, one `decode` call per frame (each bounded by what is
 * left of `limit`) unless `src` is exactly one frame: the common case, no copy, no concatenation.
 */
function decompressFrames(decode: NativeDecompress, src: Uint8Array, limit: number): Uint8Array {
  const frames = frameSpans.length / 2;
  if (frames === 1 && frameSpans[0] === 0 && frameSpans[1] === src.length) return plainBytes(decode(src, limit));
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < frameSpans.length; i += 2) {
    const part = decode(src.subarray(frameSpans[i], frameSpans[i + 1]), limit - total);
    total += part.length;
    parts.push(part);
  }
  if (parts.length === 1) return plainBytes(parts[0]!);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** fzstd decode of one frame, bounded by `limit`, with its content checksum verified if it has one. */
function decompressVerified(frame: Uint8Array, limit: number): Uint8Array {
  const out = decompressStreaming(frame, limit);
  if ((frame[FHD_OFFSET]! & CHECKSUM_FLAG) === 0) return out;
  const at = frame.length - CHECKSUM_SIZE;
  const stored = (frame[at]! | (frame[at + 1]! << 8) | (frame[at + 2]! << 16) | (frame[at + 3]! << 24)) >>> 0;
  if (xxh64Low32(out) !== stored) throw zstdFailed('content checksum mismatch');
  return out;
}

/** A plain Uint8Array view (not a Buffer), whichever backend decoded it. */
function plainBytes(out: Uint8Array): Uint8Array {
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
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
  const { Decompress } = fzstd();
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
