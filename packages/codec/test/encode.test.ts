import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_RECORD_SIZE,
  MIN_RECORD_SIZE,
  NoriCodecError,
  RecordTooLargeError,
  decodeRecord,
  encodeRecord,
  encodeRecordInto,
  encodedLength,
  type RecordInput,
} from '../src/index.js';
import { zstdEncoderAvailable } from './env.js';
import { expectBytes } from '@nori/test-support';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NoriCodecError);
    return (error as NoriCodecError).code;
  }
  return undefined;
}

describe('encodeRecord', () => {
  it('encodes strings as UTF-8 and defaults value/tombstone/ttl/compression', () => {
    const bytes = encodeRecord({ key: 'клю' });
    expect(Buffer.from(bytes).toString('hex').slice(0, 6)).toBe('060000');
    const decoded = decodeRecord(bytes);
    expect(decoded).toMatchObject({ kind: 'ok', size: bytes.length });
    if (decoded.kind !== 'ok') return;
    expect(new TextDecoder().decode(decoded.record.key)).toBe('клю');
    expect(decoded.record).toMatchObject({ tombstone: false, ttlMs: undefined, compression: 'none' });
    expect(decoded.record.value.length).toBe(0);
  });

  it('the smallest record is MIN_RECORD_SIZE bytes', () => {
    expect(encodeRecord({ key: '' }).length).toBe(MIN_RECORD_SIZE);
  });

  it('accepts ttl as number or bigint, up to 2^64-1, and encodes them identically', () => {
    for (const ttl of [0, 1, 127, 128, 2 ** 53 - 1]) {
      expectBytes(encodeRecord({ key: 'k', ttlMs: ttl }), encodeRecord({ key: 'k', ttlMs: BigInt(ttl) }));
    }
    // a double above 2^53 is an exact integer: encoded exactly
    const big = encodeRecord({ key: 'k', ttlMs: 2 ** 60 });
    expect(decodeRecord(big)).toMatchObject({ kind: 'ok', record: { ttlMs: 2n ** 60n } });
    const max = encodeRecord({ key: 'k', ttlMs: 2n ** 64n - 1n });
    expect(decodeRecord(max)).toMatchObject({ kind: 'ok', record: { ttlMs: 2n ** 64n - 1n } });
  });

  it.each([
    ['negative ttl', { key: 'k', ttlMs: -1 }],
    ['fractional ttl', { key: 'k', ttlMs: 1.5 }],
    ['NaN ttl', { key: 'k', ttlMs: Number.NaN }],
    ['ttl 2^64', { key: 'k', ttlMs: 2n ** 64n }],
    ['ttl 2^64 as number', { key: 'k', ttlMs: 2 ** 64 }],
    ['unknown compression', { key: 'k', compression: 'gzip' }],
    ['inherited compression name', { key: 'k', compression: 'toString' }],
    ['numeric key', { key: 42 }],
    ['missing key', {}],
    ['string tombstone', { key: 'k', tombstone: 'yes' }],
    ['numeric tombstone', { key: 'k', tombstone: 1 }],
    ['null compression', { key: 'k', compression: null }],
  ])('rejects %s with ERR_INVALID_RECORD', (_name, input) => {
    expect(codeOf(() => encodeRecord(input as unknown as RecordInput))).toBe('ERR_INVALID_RECORD');
  });

  it('rejects a non-object input', () => {
    expect(codeOf(() => encodeRecord(null as unknown as RecordInput))).toBe('ERR_INVALID_RECORD');
  });

  it('enforces maxRecordSize on the encoded size with ERR_RECORD_TOO_LARGE', () => {
    const exact = encodeRecord({ key: 'k', value: new Uint8Array(92) });
    expect(exact.length).toBe(100);
    expect(encodeRecord({ key: 'k', value: new Uint8Array(92) }, { maxRecordSize: 100 }).length).toBe(100);
    let caught: unknown;
    try {
      encodeRecord({ key: 'k', value: new Uint8Array(93) }, { maxRecordSize: 100 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RecordTooLargeError);
    expect(caught).toMatchObject({ code: 'ERR_RECORD_TOO_LARGE', size: 101, maxRecordSize: 100 });
    expect(codeOf(() => encodedLength({ key: 'k', value: new Uint8Array(93) }, { maxRecordSize: 100 }))).toBe('ERR_RECORD_TOO_LARGE');
  });

  it('enforces the default 64 MiB limit', () => {
    expect(DEFAULT_MAX_RECORD_SIZE).toBe(64 * 1024 * 1024);
    const value = new Uint8Array(DEFAULT_MAX_RECORD_SIZE - 20);
    expect(encodeRecord({ key: 'k', value }).length).toBe(DEFAULT_MAX_RECORD_SIZE - 20 + 1 + 4 + 1 + 1 + 4);
    expect(codeOf(() => encodeRecord({ key: 'k', value: new Uint8Array(DEFAULT_MAX_RECORD_SIZE) }))).toBe('ERR_RECORD_TOO_LARGE');
  });

  it('refuses values that would decompress beyond maxRecordSize even if they compress well', () => {
    const value = new Uint8Array(10_000); // compresses to a few dozen bytes
    expect(codeOf(() => encodeRecord({ key: 'k', value, compression: 'lz4' }, { maxRecordSize: 5_000 }))).toBe('ERR_RECORD_TOO_LARGE');
    expect(encodeRecord({ key: 'k', value, compression: 'lz4' }, { maxRecordSize: 10_000 }).length).toBeLessThan(200);
  });

  it('validates maxRecordSize', () => {
    for (const bad of [0, 6, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(codeOf(() => encodeRecord({ key: 'k' }, { maxRecordSize: bad }))).toBe('ERR_INVALID_ARGUMENT');
      expect(codeOf(() => decodeRecord(new Uint8Array(8), 0, { maxRecordSize: bad }))).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('encodeRecordInto / encodedLength', () => {
  const inputs: RecordInput[] = (
    [
      { key: 'a', value: 'b' },
      { key: 'tomb', tombstone: true, ttlMs: 300 },
      { key: new Uint8Array(200), value: new Uint8Array(5000).fill(7), compression: 'lz4' },
      { key: 'z', value: 'zzzzzzzzzzzzzzzzzzzzzzzz', compression: 'zstd', ttlMs: 2n ** 63n },
    ] satisfies RecordInput[]
  ).filter((input: RecordInput) => input.compression !== 'zstd' || zstdEncoderAvailable);

  it('writes the same bytes as encodeRecord at an offset and returns the size', () => {
    for (const input of inputs) {
      const expected = encodeRecord(input);
      expect(encodedLength(input)).toBe(expected.length);
      const target = new Uint8Array(expected.length + 10).fill(0xee);
      expect(encodeRecordInto(input, target, 3)).toBe(expected.length);
      expect(target.subarray(3, 3 + expected.length)).toEqual(expected);
      expect(target[2]).toBe(0xee);
      expect(target[3 + expected.length]).toBe(0xee);
    }
  });

  it('back to back records scan in order', () => {
    const total = inputs.reduce((n, input) => n + encodedLength(input), 0);
    const target = new Uint8Array(total);
    let offset = 0;
    for (const input of inputs) offset += encodeRecordInto(input, target, offset);
    expect(offset).toBe(total);
    let at = 0;
    for (const input of inputs) {
      const result = decodeRecord(target, at);
      expect(result.kind).toBe('ok');
      if (result.kind !== 'ok') return;
      expect(result.record.tombstone).toBe(input.tombstone ?? false);
      at += result.size;
    }
  });

  it('throws ERR_INVALID_ARGUMENT and writes nothing when the record does not fit', () => {
    const target = new Uint8Array(8).fill(0xee);
    expect(codeOf(() => encodeRecordInto({ key: 'a', value: 'b' }, target, 0))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => encodeRecordInto({ key: 'a' }, target, 2))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => encodeRecordInto({ key: 'a' }, target, -1))).toBe('ERR_INVALID_ARGUMENT');
    expect(target.every((b) => b === 0xee)).toBe(true);
    expect(encodeRecordInto({ key: 'a' }, target, 0)).toBe(8);
  });
});

describe('string keys and values', () => {
  it('are UTF-8 exactly as TextEncoder writes them (ASCII fast path and fallback)', () => {
    const strings = ['', 'a', 'user:000001', 'x'.repeat(64), 'x'.repeat(65), 'é', 'ascii then é', '😀', 'lone \ud800 surrogate', 'ÿ'.repeat(70)];
    for (const s of strings) {
      const result = decodeRecord(encodeRecord({ key: s, value: s }));
      expect(result.kind).toBe('ok');
      if (result.kind !== 'ok') continue;
      expectBytes(result.record.key, new TextEncoder().encode(s));
      expectBytes(result.record.value, new TextEncoder().encode(s));
    }
  });

  it('a string key is written into the target exactly like its UTF-8 bytes (encodeRecordInto, dirty target)', () => {
    const keys = ['', 'k', 'bench-key-000001', '\u007f'.repeat(3), 'x'.repeat(64), 'y'.repeat(65), 'é', 'a\u0080', '😀'];
    for (const key of keys) {
      const expected = encodeRecord({ key: new TextEncoder().encode(key), value: 'v', ttlMs: 5 });
      const target = new Uint8Array(expected.length + 11).fill(0xee);
      const size = encodeRecordInto({ key, value: 'v', ttlMs: 5 }, target, 7);
      expect(size).toBe(expected.length);
      expect(Buffer.from(target.subarray(7, 7 + size)).equals(Buffer.from(expected))).toBe(true);
      expect(target[6]).toBe(0xee);
      expect(target[7 + size]).toBe(0xee);
    }
  });
});
