import { afterEach, describe, expect, it } from 'vitest';
import { codecBackends, crc32c } from '../src/index.js';
import { NATIVE_CRC_THRESHOLD } from '../src/crc32c.js';
import { setNativeEnabled } from '../src/native.js';

afterEach(() => {
  setNativeEnabled(true);
});

function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe.each([
  ['native + pure JS', true],
  ['pure JS only', false],
])('crc32c (%s)', (_name, native) => {
  it('matches the Castagnoli check values', () => {
    setNativeEnabled(native);
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(3))).toBe(0x6064a37a); // manifest library_versions
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });

  it('is unsigned and continues from `initial` across the native threshold', () => {
    setNativeEnabled(native);
    for (const length of [0, 1, 15, 16, 17, NATIVE_CRC_THRESHOLD - 1, NATIVE_CRC_THRESHOLD, 1000, 70_000]) {
      const data = pseudoRandom(length, length + 7);
      const whole = crc32c(data);
      expect(whole).toBeGreaterThanOrEqual(0);
      expect(whole).toBeLessThanOrEqual(0xffffffff);
      for (const cut of [0, Math.floor(length / 3), length]) {
        expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(whole);
      }
    }
  });

  it('reports its backend', () => {
    setNativeEnabled(native);
    expect(codecBackends().crc32c.large).toBe(native ? '@node-rs/crc32' : 'crc-32');
  });
});

it('native and pure-JS CRCs agree on every length up to 600', () => {
  const data = pseudoRandom(600, 42);
  const js: number[] = [];
  setNativeEnabled(false);
  for (let n = 0; n <= data.length; n++) js.push(crc32c(data.subarray(0, n)));
  setNativeEnabled(true);
  expect(codecBackends().crc32c.large).toBe('@node-rs/crc32');
  for (let n = 0; n <= data.length; n++) expect(crc32c(data.subarray(0, n))).toBe(js[n]);
});
