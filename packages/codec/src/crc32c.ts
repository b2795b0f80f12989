import { crc32cJs } from './crc32c-js.js';
import { loadNative, onBackendChange } from './native.js';

interface NativeCrc32 {
  crc32c: (input: Uint8Array, initialState?: number | null) => number;
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
  return crc32cJs(data, initial);
}

/**
 * CRC32C of `data[start, end)`: what record scanning calls once per record. Below the native
 * threshold the pure-JS tables read the range in place (no `subarray` view to allocate); above
 * it the addon takes a view (N-API takes no offsets).
 */
export function crc32cRange(data: Uint8Array, start: number, end: number): number {
  if (end - start >= NATIVE_CRC_THRESHOLD) {
    ensureBackend();
    if (native !== undefined) return native(data.subarray(start, end), 0);
  }
  return crc32cJs(data, 0, start, end);
}

/** True when large inputs go to the native addon (a whole span costs one call, not one per record). */
export function hasNativeCrc32c(): boolean {
  ensureBackend();
  return native !== undefined;
}

/** Which CRC32C implementations are in use. */
export function crc32cBackend(): { small: 'js'; large: '@node-rs/crc32' | 'js' } {
  ensureBackend();
  return { small: 'js', large: native !== undefined ? '@node-rs/crc32' : 'js' };
}
