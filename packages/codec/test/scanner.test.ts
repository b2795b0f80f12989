import { describe, expect, it } from 'vitest';
import { concatBytes } from '@nori/test-support';
import { RecordScanner, crc32c, decodeRecord, encodeRecord, type RecordInput } from '../src/index.js';
import { zstdEncoderAvailable } from './env.js';

const inputs: RecordInput[] = (
  [
    { key: 'a', value: 'one' },
    { key: 'b', tombstone: true },
    { key: 'c', value: 'x'.repeat(500), compression: 'lz4', ttlMs: 60_000 },
    { key: 'd', value: 'y'.repeat(500), compression: 'zstd', ttlMs: 2n ** 64n - 1n },
    { key: '', value: '' },
  ] satisfies RecordInput[]
).filter((input: RecordInput) => input.compression !== 'zstd' || zstdEncoderAvailable);
const encoded = inputs.map((i) => encodeRecord(i));
const log = concatBytes(encoded);

describe('RecordScanner', () => {
  it('walks every record, exposing offsets, flags and views', () => {
    const scanner = new RecordScanner();
    scanner.reset(log);
    let offset = 0;
    inputs.forEach((input, i) => {
      expect(scanner.next()).toBe('ok');
      expect(scanner.status).toBe('ok');
      expect(scanner.recordStart).toBe(offset);
      expect(scanner.recordSize).toBe(encoded[i]!.length);
      offset += encoded[i]!.length;
      expect(scanner.cursor).toBe(offset);
      expect(scanner.tombstone).toBe(input.tombstone ?? false);
      expect(scanner.compression).toBe(input.compression ?? 'none');
      expect(scanner.ttlMs).toBe(input.ttlMs === undefined ? undefined : BigInt(input.ttlMs));
      const key = scanner.key();
      expect(key.buffer).toBe(log.buffer);
      expect(key.byteOffset).toBe(scanner.keyStart);
      expect(scanner.keyEnd - scanner.keyStart).toBe(key.length);
      expect(new TextDecoder().decode(key)).toBe(input.key);
      const value = new TextDecoder().decode(scanner.value());
      expect(value).toBe(input.value ?? '');
      expect(scanner.record()).toMatchObject({ tombstone: input.tombstone ?? false, compression: input.compression ?? 'none' });
    });
    expect(scanner.next()).toBe('end');
    expect(scanner.next()).toBe('end');
    expect(scanner.cursor).toBe(log.length);
  });

  it('value() of an uncompressed record is a view unless copy is asked for; compressed values are new buffers', () => {
    const scanner = new RecordScanner();
    scanner.reset(log);
    scanner.next();
    expect(scanner.value().buffer).toBe(log.buffer);
    expect(scanner.value(true).buffer).not.toBe(log.buffer);
    expect(scanner.key(true).buffer).not.toBe(log.buffer);
    expect(scanner.valueEnd - scanner.valueStart).toBe(3);
    scanner.next();
    scanner.next();
    expect(scanner.value().buffer).not.toBe(log.buffer);
    expect(scanner.valueEnd - scanner.valueStart).toBeLessThan(500); // raw (compressed) bytes
    const record = scanner.record(true);
    expect(record.key.buffer).not.toBe(log.buffer);
  });

  it('scans a sub-range and stops at a torn tail with `needed`', () => {
    const torn = log.subarray(0, log.length - 3);
    const scanner = new RecordScanner();
    scanner.reset(torn, encoded[0]!.length);
    for (let i = 1; i < inputs.length - 1; i++) expect(scanner.next()).toBe('ok');
    const lastStart = scanner.cursor;
    expect(scanner.next()).toBe('incomplete');
    expect(scanner.recordStart).toBe(lastStart);
    expect(scanner.needed).toBe(encoded.at(-1)!.length);
    expect(scanner.tooLarge).toBe(false);
    expect(scanner.cursor).toBe(lastStart);
    expect(() => scanner.key()).toThrow(RangeError);
    // again: same answer, the cursor does not move
    expect(scanner.next()).toBe('incomplete');
    // an explicit end short of the buffer behaves the same
    scanner.reset(log, 0, encoded[0]!.length + 2);
    expect(scanner.next()).toBe('ok');
    expect(scanner.next()).toBe('incomplete');
  });

  it('stops at corruption with a reason, and can resume after seek()', () => {
    const damaged = log.slice();
    const secondStart = encoded[0]!.length;
    damaged[secondStart + 3] = (damaged[secondStart + 3] ?? 0) ^ 0x40;
    const scanner = new RecordScanner();
    scanner.reset(damaged);
    expect(scanner.next()).toBe('ok');
    expect(scanner.next()).toBe('corrupt');
    expect(scanner.corruptReason).toBe('crc-mismatch');
    expect(scanner.corruptMessage).toMatch(/CRC mismatch/);
    expect(scanner.recordStart).toBe(secondStart);
    expect(scanner.cursor).toBe(secondStart);
    scanner.seek(secondStart + encoded[1]!.length);
    expect(scanner.next()).toBe('ok');
    expect(scanner.corruptReason).toBeUndefined();
    expect(scanner.key()).toEqual(new TextEncoder().encode('c'));
  });

  it('reports bad compressed payloads as corrupt by default, or defers them to value()', () => {
    // lz4 record whose block expands to 3 bytes while the header says 5 (valid CRC)
    const bad = decodeRecordFixture();
    const strict = new RecordScanner();
    strict.reset(bad);
    expect(strict.next()).toBe('corrupt');
    expect(strict.corruptReason).toBe('decompression-failed');
    const lazy = new RecordScanner({ verifyCompressed: false });
    lazy.reset(bad);
    expect(lazy.next()).toBe('ok');
    expect(() => lazy.value()).toThrow(expect.objectContaining({ code: 'ERR_DECOMPRESSION_FAILED' }));
  });

  it('reports tooLarge for a header beyond maxRecordSize', () => {
    const scanner = new RecordScanner({ maxRecordSize: 64 });
    const big = encodeRecord({ key: 'k', value: new Uint8Array(100) });
    scanner.reset(big, 0, 20);
    expect(scanner.next()).toBe('incomplete');
    expect(scanner.tooLarge).toBe(true);
    scanner.reset(big);
    expect(scanner.next()).toBe('corrupt');
    expect(scanner.corruptReason).toBe('too-large');
  });

  it('rejects invalid ranges', () => {
    const scanner = new RecordScanner();
    expect(() => scanner.reset(log, 5, 2)).toThrow(RangeError);
    expect(() => scanner.reset(log, 0, log.length + 1)).toThrow(RangeError);
    expect(() => scanner.reset(log, -1)).toThrow(RangeError);
    scanner.reset(log);
    expect(() => scanner.seek(log.length + 1)).toThrow(RangeError);
    expect(scanner.next()).toBe('ok');
  });

  it('agrees with decodeRecord record by record', () => {
    const scanner = new RecordScanner();
    scanner.reset(log);
    while (scanner.next() === 'ok') {
      const decoded = decodeRecord(log, scanner.recordStart);
      expect(decoded.kind).toBe('ok');
      if (decoded.kind === 'ok') {
        expect(decoded.size).toBe(scanner.recordSize);
        expect(decoded.record).toEqual(scanner.record(true));
      }
    }
  });
});

function decodeRecordFixture(): Uint8Array {
  // klen 1, vlen 5, flags lz4, key 'k', value = varint(5) + block of 3 literals "abc"
  const body = Uint8Array.of(0x01, 0x05, 0x04, 0x6b, 0x05, 0x30, 0x61, 0x62, 0x63);
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, crc32c(body), true);
  return concatBytes([body, crc]);
}
