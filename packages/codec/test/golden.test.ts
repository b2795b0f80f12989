import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordScanner, codecBackends, decodeRecord, encodeRecord, type DecodeResult } from '../src/index.js';
import { setNativeEnabled } from '../src/native.js';
import { zstdEncoderAvailable } from './env.js';
import { fromHex, goldenDir, readGoldenJson, toHex, type EncodedJson, type Manifest } from './golden.js';

const vectors = readGoldenJson<EncodedJson>('encoded.json');
const manifest = readGoldenJson<Manifest>('manifest.json');

const ttlOf = (ttl: number | bigint | null): bigint | undefined => (ttl === null ? undefined : BigInt(ttl));

describe('golden encode vectors (Rust Record::encode)', () => {
  it('file has vectors', () => {
    expect(vectors.encode_vectors.length).toBeGreaterThanOrEqual(25);
  });
  for (const v of vectors.encode_vectors) {
    const input = {
      key: fromHex(v.key_hex),
      value: fromHex(v.value_hex),
      tombstone: v.tombstone,
      compression: v.compression,
      ...(v.ttl_ms !== null ? { ttlMs: v.ttl_ms } : {}),
    };
    if (v.compression === 'none') {
      it(`${v.name}: encodes byte for byte`, () => {
        const encoded = encodeRecord(input);
        expect(toHex(encoded)).toBe(v.encoded_hex);
        expect(encoded.length).toBe(v.encoded_len);
      });
    }
    it(`${v.name}: Rust bytes decode to the record`, () => {
      const result = decodeRecord(fromHex(v.encoded_hex));
      expect(result.kind).toBe('ok');
      if (result.kind !== 'ok') return;
      expect(result.size).toBe(v.encoded_len);
      expect(toHex(result.record.key)).toBe(v.key_hex);
      expect(toHex(result.record.value)).toBe(v.value_hex);
      expect(result.record.tombstone).toBe(v.tombstone);
      expect(result.record.ttlMs).toBe(ttlOf(v.ttl_ms));
      expect(result.record.compression).toBe(v.compression);
    });
    if (v.compression !== 'none') {
      it.skipIf(v.compression === 'zstd' && !zstdEncoderAvailable)(`${v.name}: our ${v.compression} encoding decodes to the same record`, () => {
        const ours = encodeRecord(input);
        const result = decodeRecord(ours);
        expect(result.kind).toBe('ok');
        if (result.kind !== 'ok') return;
        expect(toHex(result.record.value)).toBe(v.value_hex);
        expect(result.record.ttlMs).toBe(ttlOf(v.ttl_ms));
        expect(result.size).toBe(ours.length);
      });
    }
  }
});

/** Rust RecordError kind -> our outcome. */
function expectedOutcome(kind: string): { kind: DecodeResult['kind']; reason?: string } {
  switch (kind) {
    case 'CrcMismatch':
      return { kind: 'corrupt', reason: 'crc-mismatch' };
    case 'Incomplete':
      return { kind: 'incomplete' };
    case 'InvalidCompression':
      return { kind: 'corrupt', reason: 'invalid-compression' };
    case 'DecompressionFailed':
      return { kind: 'corrupt', reason: 'decompression-failed' };
    case 'Io':
      return { kind: 'corrupt', reason: 'varint-overflow' };
    default:
      throw new Error(`unknown Rust error kind ${kind}`);
  }
}

describe('golden decode vectors (Rust Record::decode)', () => {
  it('file has vectors', () => {
    expect(vectors.decode_vectors.length).toBeGreaterThanOrEqual(16);
  });
  for (const v of vectors.decode_vectors) {
    it(v.name, () => {
      const input = fromHex(v.input_hex);
      const result = decodeRecord(input);
      if ('ok' in v.result) {
        const ok = v.result.ok;
        expect(result.kind).toBe('ok');
        if (result.kind !== 'ok') return;
        expect(result.size).toBe(ok.consumed);
        expect(toHex(result.record.key)).toBe(ok.key_hex);
        expect(toHex(result.record.value)).toBe(ok.value_hex);
        expect(result.record.tombstone).toBe(ok.tombstone);
        expect(result.record.ttlMs).toBe(ttlOf(ok.ttl_ms));
        expect(result.record.compression).toBe(ok.compression);
      } else {
        const expected = expectedOutcome(v.result.err.kind);
        expect(result.kind).toBe(expected.kind);
        if (result.kind === 'corrupt') expect(result.reason).toBe(expected.reason);
        if (v.result.err.message.includes('varint overflow')) expect(result).toMatchObject({ reason: 'varint-overflow' });
      }
      // The scanner agrees with decodeRecord on every vector.
      const scanner = new RecordScanner();
      scanner.reset(input);
      const status = scanner.next();
      expect(status).toBe(result.kind);
      if (result.kind === 'corrupt') expect(scanner.corruptReason).toBe(result.reason);
      if (result.kind === 'incomplete') {
        expect(scanner.needed).toBe(result.needed);
        expect(scanner.tooLarge).toBe(result.tooLarge);
      }
    });
  }

  it('klen 2^35 with a short buffer is incomplete but tooLarge', () => {
    const v = vectors.decode_vectors.find((d) => d.name.startsWith('klen huge'));
    expect(v).toBeDefined();
    const result = decodeRecord(fromHex(v!.input_hex));
    expect(result).toEqual({ kind: 'incomplete', needed: 2 ** 35 + 13, tooLarge: true });
  });
});

describe('golden WAL segments (manifest.json)', () => {
  for (const name of ['basic', 'lz4', 'zstd']) {
    const testCase = manifest.cases.find((c) => c.name === name);
    it(`${name}: every record decodes to the manifest's record at its position`, () => {
      expect(testCase).toBeDefined();
      const records = testCase!.records;
      expect(records.length).toBeGreaterThan(0);
      const segment = new Uint8Array(readFileSync(new URL(`${testCase!.dir}/000000.wal`, goldenDir)));
      const scanner = new RecordScanner();
      scanner.reset(segment);
      for (const expected of records) {
        expect(expected.position.segment_id).toBe(0);
        expect(scanner.next()).toBe('ok');
        expect(scanner.recordStart).toBe(expected.position.offset);
        expect(scanner.recordSize).toBe(expected.encoded_len);
        const record = scanner.record();
        expect(toHex(record.key)).toBe(expected.key_hex);
        expect(toHex(record.value)).toBe(expected.value_hex);
        expect(record.tombstone).toBe(expected.tombstone);
        expect(record.ttlMs).toBe(ttlOf(expected.ttl_ms));
        expect(record.compression).toBe(expected.compression);
        // decodeRecord agrees with the scanner
        const decoded = decodeRecord(segment, expected.position.offset);
        expect(decoded.kind).toBe('ok');
        if (decoded.kind === 'ok') {
          expect(toHex(decoded.record.value)).toBe(expected.value_hex);
          expect(decoded.size).toBe(expected.encoded_len);
        }
      }
      expect(scanner.next()).toBe('end');
      expect(scanner.cursor).toBe(segment.length);
    });
  }
});

describe('golden compressed data through the pure-JS decoders (lz4js, fzstd)', () => {
  afterEach(() => {
    setNativeEnabled(true);
  });

  it('every compressed encode vector decodes to the same value', () => {
    setNativeEnabled(false);
    expect(codecBackends()).toMatchObject({ lz4: 'lz4js', zstd: { decompress: 'fzstd' } });
    const compressed = vectors.encode_vectors.filter((v) => v.compression !== 'none');
    expect(compressed.length).toBeGreaterThanOrEqual(9);
    for (const v of compressed) {
      const result = decodeRecord(fromHex(v.encoded_hex));
      expect(result.kind, v.name).toBe('ok');
      if (result.kind === 'ok') expect(toHex(result.record.value), v.name).toBe(v.value_hex);
    }
  });

  it('the lz4 and zstd segments decode to the manifest values', () => {
    setNativeEnabled(false);
    for (const name of ['lz4', 'zstd']) {
      const testCase = manifest.cases.find((c) => c.name === name)!;
      const segment = new Uint8Array(readFileSync(new URL(`${testCase.dir}/000000.wal`, goldenDir)));
      const scanner = new RecordScanner();
      scanner.reset(segment);
      for (const expected of testCase.records) {
        expect(scanner.next()).toBe('ok');
        expect(toHex(scanner.value())).toBe(expected.value_hex);
      }
      expect(scanner.next()).toBe('end');
    }
  });
});
