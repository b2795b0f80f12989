/**
 * @nori/codec for bundlers targeting browsers (the `browser` export condition): the same API as
 * the default entry, with the pure-JS LZ4 and Zstd codecs imported statically, since a browser
 * has no `require` to load them on first use.
 * @packageDocumentation
 */
import lz4js from 'lz4js';
import { Decompress, decompress } from 'fzstd';
import { registerPureJsCodecs } from './pure-js-codecs.js';

registerPureJsCodecs({ lz4js, fzstd: { Decompress, decompress } });

export * from './index.js';
