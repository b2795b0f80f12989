import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { codecBackends, crc32c } from '../src/index.js';
import { NATIVE_CRC_THRESHOLD, crc32cRange } from '../src/crc32c.js';
import { crc32cJs } from '../src/crc32c-js.js';
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
    expect(codecBackends().crc32c.large).toBe(native ? '@node-rs/crc32' : 'js');
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

describe('the pure-JS CRC (crc32cJs)', () => {
  const crc32Package = (createRequire(import.meta.url)('crc-32/crc32c.js') as { buf: (b: Uint8Array, s?: number) => number }).buf;

  it('matches the crc-32 package it replaced on any bytes, lengths and initial states', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 0xffffffff }), (data, initial) => {
        expect(crc32cJs(data, initial)).toBe(crc32Package(data, initial) >>> 0);
      }),
    );
  });

  it('handles every tail length after the 16-byte slices, at any alignment', () => {
    const data = pseudoRandom(80, 9);
    for (let start = 0; start < 16; start++) {
      for (let end = start; end <= data.length; end++) {
        const view = data.subarray(start, end);
        expect(crc32cJs(view, 0)).toBe(crc32Package(view) >>> 0);
      }
    }
  });

  it('reads a range in place exactly as it reads a view of that range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (data, a, b) => {
        const start = a % (data.length + 1);
        const end = start + (b % (data.length - start + 1));
        expect(crc32cJs(data, 0, start, end)).toBe(crc32Package(data.subarray(start, end)) >>> 0);
      }),
    );
  });
});

describe('crc32cRange (what the record scanner calls)', () => {
  it('equals crc32c of the view on both sides of the native threshold, with and without the addon', () => {
    const data = pseudoRandom(3 * NATIVE_CRC_THRESHOLD, 11);
    for (const nativeOn of [true, false]) {
      const previous = setNativeEnabled(nativeOn);
      try {
        for (const [start, end] of [
          [0, 0],
          [3, 40],
          [5, 5 + NATIVE_CRC_THRESHOLD - 1],
          [7, 7 + NATIVE_CRC_THRESHOLD],
          [1, data.length],
        ] as const) {
          expect(crc32cRange(data, start, end)).toBe(crc32c(data.subarray(start, end)));
        }
      } finally {
        setNativeEnabled(previous);
      }
    }
  });
});
