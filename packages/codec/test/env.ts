import { codecBackends } from '../src/index.js';

/**
 * zstd encoding needs node:zlib (Node >= 22.15) or the optional zstd-napi addon, which builds from
 * source and may be missing; tests that must encode zstd are skipped then (the
 * ERR_COMPRESSION_UNAVAILABLE path is tested on its own).
 */
export const zstdEncoderAvailable = codecBackends().zstd.compress !== undefined;

// CI builds zstd-napi, so there the zstd tests must run, not skip.
if (process.env['NORI_REQUIRE_ZSTD'] === '1' && !zstdEncoderAvailable) {
  throw new Error('NORI_REQUIRE_ZSTD=1 but no zstd encoder loaded: zstd-napi failed to build (set npm_config_nodedir) and node:zlib has no zstd');
}
