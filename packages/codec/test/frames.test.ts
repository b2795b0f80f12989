import fc from 'fast-check';
import { concatBytes } from '@nori/test-support';
import { describe, expect, it } from 'vitest';
import { NoriCodecError, RecordScanner, encodeRecord, walkRecordFrames } from '../src/index.js';

/** Records of up to 2,000-byte values, ttl and tombstones mixed in (framing varies). */
const logArb = fc
  .array(
    fc.record({
      key: fc.uint8Array({ maxLength: 40 }),
      value: fc.uint8Array({ maxLength: 2000 }),
      ttlMs: fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { nil: undefined }),
      tombstone: fc.boolean(),
    }),
    { maxLength: 30 },
  )
  .map((inputs) => inputs.map(({ ttlMs, ...input }) => encodeRecord(ttlMs === undefined ? input : { ...input, ttlMs })));

/** What a scanner (CRCs checked) finds in `buf[0, end)`: last whole record's end, count, status, needed. */
function scan(buf: Uint8Array, end: number): { end: number; records: number; status: string; needed: number } {
  const scanner = new RecordScanner();
  scanner.reset(buf, 0, end);
  let records = 0;
  while (scanner.next() === 'ok') records++;
  return { end: scanner.cursor, records, status: scanner.status, needed: scanner.status === 'incomplete' ? scanner.needed : 0 };
}

describe('walkRecordFrames', () => {
  it('finds the same record boundaries as a scanner in intact logs cut anywhere', () => {
    fc.assert(
      fc.property(logArb, fc.double({ min: 0, max: 1, noNaN: true }), (records, cutAt) => {
        const log = concatBytes(records);
        const cut = Math.floor(cutAt * log.length);
        const frames = walkRecordFrames(log, 0, cut);
        const scanned = scan(log, cut);
        expect({ end: frames.end, records: frames.records, status: frames.stopped, needed: frames.needed }).toEqual(scanned);
      }),
      { numRuns: 200 },
    );
  });

  it('walks from `start` to `end` only', () => {
    const records = [encodeRecord({ key: 'a', value: 'x'.repeat(100) }), encodeRecord({ key: 'b', value: 'y' }), encodeRecord({ key: 'c', value: 'z' })];
    const log = concatBytes(records);
    const second = records[0]!.length;
    expect(walkRecordFrames(log, second, second + records[1]!.length)).toEqual({
      end: second + records[1]!.length,
      records: 1,
      stopped: 'end',
      needed: 0,
      tooLarge: false,
    });
  });

  it('does not check CRCs: a record with a damaged CRC is still one frame', () => {
    const log = concatBytes([encodeRecord({ key: 'a', value: 'v' }), encodeRecord({ key: 'b', value: 'w' })]);
    log[log.length - 1]! ^= 0xff;
    expect(scan(log, log.length).status).toBe('corrupt');
    expect(walkRecordFrames(log)).toMatchObject({ end: log.length, records: 2, stopped: 'end' });
  });

  it('stops at a zero-filled tail (a preallocated segment end) and at invalid framing', () => {
    const record = encodeRecord({ key: 'k', value: 'v' });
    const zeros = concatBytes([record, new Uint8Array(64)]);
    expect(walkRecordFrames(zeros)).toMatchObject({ end: record.length, records: 1, stopped: 'corrupt' });
    const badFlags = concatBytes([record, Uint8Array.of(1, 1, 0x0c, 0, 0, 0, 0, 0, 0)]);
    expect(walkRecordFrames(badFlags)).toMatchObject({ end: record.length, records: 1, stopped: 'corrupt' });
  });

  it('reports a record longer than maxRecordSize as too large', () => {
    const big = encodeRecord({ key: 'k', value: new Uint8Array(5000) });
    expect(walkRecordFrames(big, 0, 100, { maxRecordSize: 1000 })).toMatchObject({ end: 0, records: 0, stopped: 'incomplete', tooLarge: true });
    expect(walkRecordFrames(big, 0, 100)).toMatchObject({ end: 0, stopped: 'incomplete', needed: big.length, tooLarge: false });
  });

  it('rejects a range outside the buffer and a bad maxRecordSize', () => {
    const buf = new Uint8Array(10);
    expect(() => walkRecordFrames(buf, 4, 2)).toThrow(RangeError);
    expect(() => walkRecordFrames(buf, 0, 11)).toThrow(RangeError);
    expect(() => walkRecordFrames(buf, 0, 10, { maxRecordSize: 3 })).toThrow(NoriCodecError);
  });
});
