import { describe, expect, it } from 'vitest';
import { crc32c, decodeRecord, encodeRecord, MIN_RECORD_SIZE } from '../src/index.js';

/** A record with a valid CRC over arbitrary header/body bytes (to forge hostile headers). */
function withCrc(...bytes: number[]): Uint8Array {
  const body = Uint8Array.from(bytes);
  const crc = crc32c(body);
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc, true);
  return out;
}

describe('decodeRecord', () => {
  it('decodes at an offset and reports the encoded size', () => {
    const record = encodeRecord({ key: 'key', value: 'value', ttlMs: 5 });
    const buf = new Uint8Array(record.length + 5);
    buf.set(record, 3);
    const result = decodeRecord(buf, 3);
    expect(result).toMatchObject({ kind: 'ok', size: record.length, record: { ttlMs: 5n } });
  });

  it('copies by default, returns views with copy: false', () => {
    const buf = encodeRecord({ key: 'key', value: 'value' });
    const copied = decodeRecord(buf);
    const viewed = decodeRecord(buf, 0, { copy: false });
    if (copied.kind !== 'ok' || viewed.kind !== 'ok') throw new Error('expected ok');
    expect(copied.record.key.buffer).not.toBe(buf.buffer);
    expect(copied.record.value.buffer).not.toBe(buf.buffer);
    expect(viewed.record.key.buffer).toBe(buf.buffer);
    expect(viewed.record.value.buffer).toBe(buf.buffer);
    expect(viewed.record.key.byteOffset).toBe(3);
    buf[3] = 0x4b; // 'K'
    expect(new TextDecoder().decode(viewed.record.key)).toBe('Key');
    expect(new TextDecoder().decode(copied.record.key)).toBe('key');
  });

  it('needs at least MIN_RECORD_SIZE bytes; shorter input is incomplete with a lower bound', () => {
    for (let n = 0; n < MIN_RECORD_SIZE; n++) {
      const result = decodeRecord(new Uint8Array(n));
      expect(result.kind).toBe('incomplete');
      if (result.kind === 'incomplete') expect(result.needed).toBe(MIN_RECORD_SIZE);
    }
  });

  it('a truncated record is incomplete with the exact total size once the header is readable', () => {
    const record = encodeRecord({ key: 'key', value: new Uint8Array(300), ttlMs: 1000 });
    for (const cut of [7, 10, record.length - 1]) {
      expect(decodeRecord(record.subarray(0, cut))).toEqual({ kind: 'incomplete', needed: record.length, tooLarge: false });
    }
  });

  it('zeros (a preallocated tail) are a CRC mismatch from 7 bytes on, like nori-wal', () => {
    expect(decodeRecord(new Uint8Array(6)).kind).toBe('incomplete');
    expect(decodeRecord(new Uint8Array(7))).toMatchObject({ kind: 'corrupt', reason: 'crc-mismatch' });
    expect(decodeRecord(new Uint8Array(4096))).toMatchObject({ kind: 'corrupt', reason: 'crc-mismatch' });
  });

  it('describes a CRC mismatch', () => {
    const record = encodeRecord({ key: 'k', value: 'v' });
    record[4] = (record[4] ?? 0) ^ 1;
    const result = decodeRecord(record);
    expect(result).toMatchObject({ kind: 'corrupt', reason: 'crc-mismatch' });
    if (result.kind === 'corrupt') expect(result.message).toMatch(/^CRC mismatch: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}$/);
  });

  describe('hostile lengths never allocate', () => {
    it('klen 2^60 with a short buffer: incomplete, tooLarge', () => {
      // klen = 2^60 (9 bytes), vlen 0, flags 0
      const buf = Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00, 0x00, 0x61, 0, 0, 0, 0);
      const result = decodeRecord(buf);
      expect(result).toMatchObject({ kind: 'incomplete', tooLarge: true });
      if (result.kind === 'incomplete') expect(result.needed).toBeGreaterThan(2 ** 59);
    });

    it('vlen u64::MAX: incomplete, tooLarge', () => {
      const buf = Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x61, 0, 0, 0, 0);
      expect(decodeRecord(buf)).toMatchObject({ kind: 'incomplete', tooLarge: true });
    });

    it('a record over a small maxRecordSize: tooLarge when cut, corrupt too-large when whole', () => {
      const record = encodeRecord({ key: 'k', value: new Uint8Array(100) });
      expect(decodeRecord(record.subarray(0, 50), 0, { maxRecordSize: 64 })).toEqual({ kind: 'incomplete', needed: record.length, tooLarge: true });
      expect(decodeRecord(record, 0, { maxRecordSize: 64 })).toMatchObject({ kind: 'corrupt', reason: 'too-large' });
      expect(decodeRecord(record, 0, { maxRecordSize: record.length })).toMatchObject({ kind: 'ok' });
    });

    it('only the key length known and already too large: tooLarge', () => {
      // klen = 2^40, vlen cut
      const buf = Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x80);
      expect(decodeRecord(buf)).toMatchObject({ kind: 'incomplete', tooLarge: true });
    });

    it('a ttl varint that overflows is corrupt', () => {
      const buf = Uint8Array.of(0x00, 0x00, 0x02, ...new Array<number>(11).fill(0xff), 0, 0, 0, 0);
      expect(decodeRecord(buf)).toMatchObject({ kind: 'corrupt', reason: 'varint-overflow' });
    });

    it('a cut ttl varint is incomplete', () => {
      expect(decodeRecord(Uint8Array.of(0x00, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff))).toMatchObject({ kind: 'incomplete', tooLarge: false });
    });

    it('lz4 original length beyond maxRecordSize: corrupt too-large, nothing allocated', () => {
      // klen 1, vlen 11, flags lz4, key 'k', value = varint(2^50) + block
      const buf = withCrc(0x01, 0x0b, 0x04, 0x6b, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x10, 0x61, 0x00);
      expect(decodeRecord(buf)).toMatchObject({ kind: 'corrupt', reason: 'too-large' });
    });

    it('a zstd frame declaring a huge content size: corrupt too-large', () => {
      // zstd frame header: magic, FHD 0xc0 (8-byte FCS, window descriptor), WD, FCS = 2^40, then a raw last block of 0 bytes
      const frame = [0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0x50, 0, 0, 0, 0, 0, 0x01, 0, 0, 0x01, 0x00, 0x00];
      const buf = withCrc(0x01, frame.length, 0x08, 0x6b, ...frame);
      expect(decodeRecord(buf)).toMatchObject({ kind: 'corrupt', reason: 'too-large' });
    });

    it('a zstd frame with a 2 GiB window: corrupt decompression-failed (fzstd would allocate it)', () => {
      const frame = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8, 0x01, 0x00, 0x00];
      const buf = withCrc(0x01, frame.length, 0x08, 0x6b, ...frame);
      expect(decodeRecord(buf)).toMatchObject({ kind: 'corrupt', reason: 'decompression-failed' });
    });
  });

  it('reserved flag bits 4-7 are ignored on decode', () => {
    const buf = withCrc(0x01, 0x01, 0xf3, 0x05, 0x6b, 0x76);
    expect(decodeRecord(buf)).toMatchObject({ kind: 'ok', record: { tombstone: true, ttlMs: 5n, compression: 'none' } });
  });

  it('an lz4 record whose block expands to a different length is decompression-failed', () => {
    // original length 5, block = 3 literals "abc"
    const buf = withCrc(0x01, 0x05, 0x04, 0x6b, 0x05, 0x30, 0x61, 0x62, 0x63);
    expect(decodeRecord(buf)).toMatchObject({ kind: 'corrupt', reason: 'decompression-failed' });
    const good = withCrc(0x01, 0x05, 0x04, 0x6b, 0x03, 0x30, 0x61, 0x62, 0x63);
    const result = decodeRecord(good);
    expect(result).toMatchObject({ kind: 'ok', record: { compression: 'lz4' } });
    if (result.kind === 'ok') expect(new TextDecoder().decode(result.record.value)).toBe('abc');
  });

  it('an empty zstd value decodes to an empty value, like zstd::decode_all', () => {
    const result = decodeRecord(withCrc(0x01, 0x00, 0x08, 0x6b));
    expect(result).toMatchObject({ kind: 'ok', record: { compression: 'zstd' } });
    if (result.kind === 'ok') expect(result.record.value.length).toBe(0);
  });

  it('never throws on random garbage', () => {
    let x = 12345;
    const buf = new Uint8Array(64);
    for (let round = 0; round < 20_000; round++) {
      for (let i = 0; i < buf.length; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        buf[i] = x >>> 24;
      }
      const length = x % 65;
      expect(() => decodeRecord(buf.subarray(0, length))).not.toThrow();
    }
  });
});

describe('decodeRecord arguments', () => {
  it('rejects offsets outside the buffer and non-byte input with ERR_INVALID_ARGUMENT', () => {
    const buf = encodeRecord({ key: 'k' });
    for (const offset of [-1, buf.length + 1, 1.5, Number.NaN]) {
      expect(() => decodeRecord(buf, offset)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
    expect(() => decodeRecord([1, 2, 3] as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(decodeRecord(buf, buf.length)).toEqual({ kind: 'incomplete', needed: MIN_RECORD_SIZE, tooLarge: false });
  });
});
