import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_HEADER_SIZE,
  ChunkKind,
  checkContinuity,
  chunkKey,
  decodeChunk,
  decodeChunkHeader,
  decodeGenerationRecord,
  decodeGenerationStart,
  encodeChunk,
  encodeGenerationRecord,
  encodeGenerationStart,
  endOf,
  isEmptySegmentChunk,
  positionAfter,
  generationKey,
  isArchiveError,
  newWriterId,
  parseChunkKey,
  parseGenerationKey,
  parseTrimmedKey,
  trimmedKey,
  type ChunkEnd,
  type ChunkHeader,
} from '../src/index.js';

const writerId = '0123456789abcdef0123456789abcdef';
const base = { kind: ChunkKind.data, seq: 7, generation: 2, segmentId: 3, offset: 4096, createdAt: 1_765_000_000_000, writerId };

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    if (isArchiveError(error) && error.code === code) return;
    throw error;
  }
  expect.fail(`expected ${code}`);
}

describe('keys', () => {
  it('formats numbers as 16 hex digits under the prefix folders and parses them back', () => {
    expect(chunkKey('db/wal', 255)).toBe('db/wal/chunks/00000000000000ff');
    expect(chunkKey('db/wal/', 0)).toBe('db/wal/chunks/0000000000000000');
    expect(chunkKey('', 1)).toBe('chunks/0000000000000001');
    expect(generationKey('p', 3)).toBe('p/generations/0000000000000003.json');
    expect(trimmedKey('p', 16)).toBe('p/trimmed/0000000000000010');
    expect(parseChunkKey('db/wal', 'db/wal/chunks/00000000000000ff')).toBe(255);
    expect(parseGenerationKey('p', 'p/generations/0000000000000003.json')).toBe(3);
    expect(parseTrimmedKey('p', 'p/trimmed/0000000000000010')).toBe(16);
  });

  it('ignores keys that are not layout keys', () => {
    expect(parseChunkKey('p', 'p/chunks/ff')).toBeUndefined();
    expect(parseChunkKey('p', 'q/chunks/0000000000000001')).toBeUndefined();
    expect(parseChunkKey('p', 'p/chunks/000000000000000G')).toBeUndefined();
    expect(parseGenerationKey('p', 'p/generations/0000000000000003')).toBeUndefined();
    expect(parseChunkKey('p', 'p/chunks/ffffffffffffffff')).toBeUndefined(); // beyond 2^53
  });

  it('keeps numeric order as key order', () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (a, b) => {
        const byKey = chunkKey('p', a) < chunkKey('p', b);
        expect(byKey).toBe(a < b);
      }),
    );
  });

  it('refuses negative, fractional and unsafe numbers', () => {
    for (const bad of [-1, 1.5, 2 ** 53]) expectCode(() => chunkKey('p', bad), 'ERR_INVALID_ARGUMENT');
  });
});

describe('chunks', () => {
  it('round-trips header and payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat({ max: 2 ** 40 }), (payload, offset) => {
        const bytes = encodeChunk({ ...base, offset }, payload);
        const chunk = decodeChunk(bytes, 'k', base.seq);
        expect(chunk.header).toMatchObject({ ...base, offset, payloadLength: payload.length });
        expect(Buffer.compare(chunk.payload, payload)).toBe(0);
        expect(decodeChunkHeader(bytes.subarray(0, CHUNK_HEADER_SIZE), 'k')).toEqual(chunk.header);
      }),
    );
  });

  it('detects every flipped bit in header and payload', () => {
    const bytes = encodeChunk(base, new Uint8Array([1, 2, 3, 4, 5]));
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = bytes.slice();
        copy[i]! ^= 1 << bit;
        expectCode(() => decodeChunk(copy, 'k', base.seq), 'ERR_ARCHIVE_CORRUPT');
      }
    }
  });

  it('detects a wrong seq, truncation, trailing bytes and an empty data chunk not at offset 0', () => {
    const bytes = encodeChunk(base, new Uint8Array([9, 9]));
    expectCode(() => decodeChunk(bytes, 'k', base.seq + 1), 'ERR_ARCHIVE_CORRUPT');
    expectCode(() => decodeChunk(bytes.subarray(0, bytes.length - 1), 'k', base.seq), 'ERR_ARCHIVE_CORRUPT');
    expectCode(() => decodeChunk(new Uint8Array([...bytes, 0]), 'k', base.seq), 'ERR_ARCHIVE_CORRUPT');
    expectCode(() => decodeChunk(bytes.subarray(0, 10), 'k', base.seq), 'ERR_ARCHIVE_CORRUPT');
    expectCode(() => decodeChunk(encodeChunk({ ...base, offset: 10 }, new Uint8Array(0)), 'k', base.seq), 'ERR_ARCHIVE_CORRUPT');
  });

  it('accepts an empty-segment chunk (empty data chunk at offset 0)', () => {
    const { header, payload } = decodeChunk(encodeChunk({ ...base, offset: 0 }, new Uint8Array(0)), 'k', base.seq);
    expect(header.payloadLength).toBe(0);
    expect(payload.length).toBe(0);
    expect(isEmptySegmentChunk(header)).toBe(true);
    expect(positionAfter(header)).toEqual({ segmentId: base.segmentId + 1, offset: 0 });
  });

  it('names the key in errors', () => {
    const bytes = encodeChunk(base, new Uint8Array([1]));
    bytes[CHUNK_HEADER_SIZE] = 2;
    expect(() => decodeChunk(bytes, 'p/chunks/0000000000000007', base.seq)).toThrow(/p\/chunks\/0000000000000007/);
  });

  it('refuses invalid header fields when encoding', () => {
    expectCode(() => encodeChunk({ ...base, writerId: 'xyz' }, new Uint8Array(1)), 'ERR_INVALID_ARGUMENT');
    expectCode(() => encodeChunk({ ...base, offset: -1 }, new Uint8Array(1)), 'ERR_INVALID_ARGUMENT');
    expect(newWriterId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newWriterId()).not.toBe(newWriterId());
  });
});

describe('generation records', () => {
  const record = { generation: 3, startSeq: 1042, createdAt: '2026-12-06T18:00:00.000Z', writerId, parentGeneration: 2, reason: 'takeover' as const };

  it('round-trips records and start payloads byte-identically', () => {
    const bytes = encodeGenerationRecord(record);
    expect(decodeGenerationRecord(bytes, 'k')).toEqual({ format: 1, ...record });
    expect(Buffer.compare(encodeGenerationRecord({ ...record }), bytes)).toBe(0);
    const start = { parentGeneration: null, reason: 'new-log' as const };
    expect(decodeGenerationStart(encodeGenerationStart(start), 'k')).toEqual(start);
  });

  it('rejects malformed records with ERR_ARCHIVE_CORRUPT', () => {
    const text = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    expectCode(() => decodeGenerationRecord(new Uint8Array([0xff]), 'k'), 'ERR_ARCHIVE_CORRUPT');
    expectCode(() => decodeGenerationRecord(text({ ...record, format: 1, generation: 0 }), 'k'), 'ERR_ARCHIVE_CORRUPT');
    expectCode(() => decodeGenerationRecord(text({ ...record, format: 1, extra: 1 }), 'k'), 'ERR_ARCHIVE_CORRUPT');
    expectCode(() => decodeGenerationStart(text({ parentGeneration: 1, reason: 'other' }), 'k'), 'ERR_ARCHIVE_CORRUPT');
  });
});

describe('continuity', () => {
  const chunk = (segmentId: number, offset: number, payloadLength = 10): ChunkHeader => ({ ...base, segmentId, offset, payloadLength, payloadCrc32c: 0 });
  const at = (segmentId: number, offset: number): ChunkEnd => ({ segmentId, offset, segmentComplete: false });

  it('accepts the same segment at its end or the next segment at 0', () => {
    checkContinuity(undefined, chunk(5, 0), 'k');
    checkContinuity(at(5, 10), chunk(5, 10), 'k');
    checkContinuity(at(5, 10), chunk(6, 0), 'k');
  });

  it('rejects gaps, overlaps, skipped segments and a first chunk mid-segment', () => {
    expectCode(() => checkContinuity(undefined, chunk(5, 10), 'k'), 'ERR_ARCHIVE_CORRUPT');
    expectCode(() => checkContinuity(at(5, 10), chunk(5, 11), 'k'), 'ERR_ARCHIVE_CORRUPT');
    expectCode(() => checkContinuity(at(5, 10), chunk(5, 9), 'k'), 'ERR_ARCHIVE_CORRUPT');
    expectCode(() => checkContinuity(at(5, 10), chunk(7, 0), 'k'), 'ERR_ARCHIVE_CORRUPT');
    expectCode(() => checkContinuity(at(5, 10), chunk(6, 5), 'k'), 'ERR_ARCHIVE_CORRUPT');
  });

  it('after an empty-segment chunk only the next segment may follow', () => {
    const empty = endOf(chunk(6, 0, 0));
    expect(empty).toEqual({ segmentId: 6, offset: 0, segmentComplete: true });
    checkContinuity(at(5, 10), chunk(6, 0, 0), 'k');
    checkContinuity(undefined, chunk(6, 0, 0), 'k');
    checkContinuity(empty, chunk(7, 0), 'k');
    checkContinuity(empty, chunk(7, 0, 0), 'k');
    expectCode(() => checkContinuity(empty, chunk(6, 0), 'k'), 'ERR_ARCHIVE_CORRUPT');
    expectCode(() => checkContinuity(empty, chunk(8, 0), 'k'), 'ERR_ARCHIVE_CORRUPT');
  });
});
