import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { xxh64Low32 } from '../src/xxh64.js';

const require = createRequire(import.meta.url);

interface ZlibWithZstd {
  zstdCompressSync?: (data: Uint8Array, options: { params: Record<number, number> }) => Uint8Array;
  constants: Record<string, number>;
}

/** libzstd writing frames with a content checksum (node:zlib or zstd-napi), if this runtime has one. */
const checksummedFrame = ((): ((data: Uint8Array) => Uint8Array) | undefined => {
  const { zstdCompressSync, constants } = zlib as unknown as ZlibWithZstd;
  if (zstdCompressSync !== undefined) {
    const params = { [constants['ZSTD_c_compressionLevel']!]: 3, [constants['ZSTD_c_checksumFlag']!]: 1 };
    return (data) => zstdCompressSync(data, { params });
  }
  try {
    const { Compressor } = require('zstd-napi') as {
      Compressor: new () => { setParameters(p: object): void; compress(d: Uint8Array): Uint8Array };
    };
    return (data) => {
      const compressor = new Compressor();
      compressor.setParameters({ compressionLevel: 3, checksumFlag: true });
      return compressor.compress(data);
    };
  } catch {
    return undefined;
  }
})();

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('xxh64Low32', () => {
  it('matches the reference values of XXH64 with seed 0', () => {
    expect(xxh64Low32(new Uint8Array(0))).toBe(0x51d8e999); // XXH64("") = 0xEF46DB3751D8E999
    expect(xxh64Low32(new TextEncoder().encode('abc'))).toBe(0xad770999); // 0x44BC2CF5AD770999
  });

  // Every length up to 100 crosses the 32-byte stripe, 8-, 4- and 1-byte tails in all combinations.
  it.skipIf(checksummedFrame === undefined)('equals the checksum libzstd stores in its frames', () => {
    const lengths = [...Array.from({ length: 101 }, (_, i) => i), 1000, 4095, 65_536 + 13];
    for (const length of lengths) {
      const data = bytes(length, length + 1);
      const frame = checksummedFrame!(data);
      expect(frame[4]! & 4, 'checksum flag').toBe(4);
      expect(xxh64Low32(data), `length ${length}`).toBe(Buffer.from(frame).readUInt32LE(frame.length - 4));
    }
  });
});
