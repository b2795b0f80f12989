import { describe, expect, it } from 'vitest';
import { COMPRESSION_MASK, COMPRESSION_SHIFT, FLAG_TOMBSTONE, FLAG_TTL, crc32c, decodeRecord, encodeRecord } from '../src/index.js';

/** Offset of the flags byte in a record whose key and value are shorter than 128 bytes. */
const FLAGS_AT = 2;

describe('flag constants (FORMAT.md, "Flags")', () => {
  it('name the bits the encoder writes', () => {
    const key = new TextEncoder().encode('k');
    expect(encodeRecord({ key, value: new Uint8Array(0) })[FLAGS_AT]).toBe(0);
    expect(encodeRecord({ key, value: new Uint8Array(0), tombstone: true })[FLAGS_AT]).toBe(FLAG_TOMBSTONE);
    expect(encodeRecord({ key, value: new Uint8Array(0), ttlMs: 5 })[FLAGS_AT]).toBe(FLAG_TTL);
    const lz4 = encodeRecord({ key, value: new Uint8Array(64), compression: 'lz4' })[FLAGS_AT] as number;
    expect((lz4 & COMPRESSION_MASK) >> COMPRESSION_SHIFT).toBe(1);
  });

  it('decodes the bits with the same names', () => {
    const bytes = encodeRecord({ key: new Uint8Array([1]), value: new Uint8Array(0), tombstone: true, ttlMs: 9 });
    const result = decodeRecord(bytes);
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    expect(result.record.tombstone).toBe(true);
    expect(result.record.ttlMs).toBe(9n);
  });

  it('treats both compression bits set as corruption', () => {
    // klen 1, vlen 0, flags = COMPRESSION_MASK, key, then a valid CRC so only the flags are wrong.
    const body = new Uint8Array([1, 0, COMPRESSION_MASK, 7]);
    const crc = crc32c(body);
    const bytes = new Uint8Array([...body, crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24]);
    const result = decodeRecord(bytes);
    expect(result.kind).toBe('corrupt');
    if (result.kind === 'corrupt') expect(result.reason).toBe('invalid-compression');
  });
});
