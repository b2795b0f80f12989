/// <reference path="./vendor.d.ts" />
import type lz4jsModule from 'lz4js';
import type * as fzstdModule from 'fzstd';
import { CompressionUnavailableError } from './errors.js';
import { nativeLoadError, requireLazily } from './native.js';

/**
 * The pure-JS LZ4 (`lz4js`) and Zstd (`fzstd`) codecs, loaded on first use: most processes
 * never decode a compressed value without a native addon, and importing them up front cost every
 * process ~6 ms of start (lz4js is CommonJS and allocates a 5 MiB buffer at import). In Node they
 * come through `require`; the `browser` entry (src/browser.ts) registers static imports instead.
 */

/** The lz4js functions the codec uses. */
export type Lz4js = typeof lz4jsModule;
/** The fzstd functions the codec uses. */
export type Fzstd = Pick<typeof fzstdModule, 'Decompress' | 'decompress'>;

/** Modules a bundle imported statically (the `browser` entry). */
export interface PureJsCodecs {
  lz4js: Lz4js;
  fzstd: Fzstd;
}

let registered: PureJsCodecs | undefined;

/** Makes `codecs` the pure-JS implementations (the `browser` entry calls it at import). */
export function registerPureJsCodecs(codecs: PureJsCodecs): void {
  registered = codecs;
}

type Operation = 'compress' | 'decompress';

function unavailable(compression: 'lz4' | 'zstd', operation: Operation, id: string): CompressionUnavailableError {
  const cause = nativeLoadError(id);
  return new CompressionUnavailableError(
    compression,
    operation,
    `the pure-JS fallback ${id} could not be loaded` +
      (cause instanceof Error ? ` (${cause.message})` : ' (this runtime has no CommonJS require)') +
      '; outside Node.js, import @nori/codec with the "browser" export condition, which bundles it',
  );
}

/** lz4js; throws ERR_COMPRESSION_UNAVAILABLE where it can be neither required nor was bundled. */
export function lz4js(operation: Operation): Lz4js {
  const found = registered?.lz4js ?? requireLazily<Lz4js>('lz4js');
  if (found === undefined) throw unavailable('lz4', operation, 'lz4js');
  return found;
}

/** fzstd; throws ERR_COMPRESSION_UNAVAILABLE where it can be neither required nor was bundled. */
export function fzstd(): Fzstd {
  const found = registered?.fzstd ?? requireLazily<Fzstd>('fzstd');
  if (found === undefined) throw unavailable('zstd', 'decompress', 'fzstd');
  return found;
}
