import { codecBackends } from '../src/index.js';

/**
 * zstd encoding needs node:zlib (Node >= 22.15) or the optional zstd-napi addon, which builds from
 * source and may be missing; tests that must encode zstd are skipped then (the
 * ERR_COMPRESSION_UNAVAILABLE path is tested on its own).
 */
export const zstdEncoderAvailable = codecBackends().zstd.compress !== undefined;
