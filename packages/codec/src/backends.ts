import { crc32cBackend } from './crc32c.js';
import { lz4Backend } from './lz4.js';
import { zstdBackend } from './zstd.js';

/** Which implementation serves each algorithm in this runtime (diagnostics). */
export interface CodecBackends {
  /** `js`: the package's own slicing-by-16 table CRC (no dependency). */
  crc32c: { small: 'js'; large: '@node-rs/crc32' | 'js' };
  lz4: 'lz4-napi' | 'lz4js';
  zstd: { compress: 'node:zlib' | 'zstd-napi' | undefined; decompress: 'node:zlib' | 'zstd-napi' | 'fzstd' };
}

/** Reports the CRC32C / LZ4 / Zstd implementations in use (native addon or pure-JS fallback). */
export function codecBackends(): CodecBackends {
  return { crc32c: crc32cBackend(), lz4: lz4Backend(), zstd: zstdBackend() };
}
