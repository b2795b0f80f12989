/// <reference path="./vendor.d.ts" />
import CRC32C from 'crc-32/crc32c.js';
import { loadNative, onBackendChange } from './native.js';

interface NativeCrc32 {
  crc32c(input: Uint8Array, initialState?: number | null): number;
}

/**
 * Below this many bytes the pure-JS table CRC beats the N-API call of `@node-rs/crc32`
 * (measured by bench/codec.bench.ts on this machine; see README).
 */
export const NATIVE_CRC_THRESHOLD = 192;

let native: NativeCrc32['crc32c'] | undefined;

const ensureBackend = onBackendChange(() => {
  native = loadNative<NativeCrc32>('@node-rs/crc32')?.crc32c;
});

/**
 * CRC32C (Castagnoli), unsigned 32-bit. `initial` continues a previous CRC:
 * `crc32c(b, crc32c(a)) === crc32c(concat(a, b))`.
 */
export function crc32c(data: Uint8Array, initial = 0): number {
  if (data.length >= NATIVE_CRC_THRESHOLD) {
    ensureBackend();
    if (native !== undefined) return native(data, initial);
  }
  return CRC32C.buf(data, initial) >>> 0;
}

/** Which CRC32C implementations are in use. */
export function crc32cBackend(): { small: 'crc-32'; large: '@node-rs/crc32' | 'crc-32' } {
  ensureBackend();
  return { small: 'crc-32', large: native !== undefined ? '@node-rs/crc32' : 'crc-32' };
}
