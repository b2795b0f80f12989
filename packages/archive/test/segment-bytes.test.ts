import { encodeRecord } from '@nori/codec';
import { concatBytes } from '@nori/test-support';
import { describe, expect, it } from 'vitest';
import { lastRecordBoundary } from '../src/archiver/segment-bytes.js';

const records = [
  encodeRecord({ key: 'a', value: 'x'.repeat(300) }),
  encodeRecord({ key: 'b', value: 'y'.repeat(10) }),
  encodeRecord({ key: 'c', value: 'z'.repeat(500) }),
];
const log = concatBytes(records);
const firstTwo = records[0]!.length + records[1]!.length;

describe('lastRecordBoundary (where a chunk is cut)', () => {
  it('cuts after the last whole record, or says how much the first record needs', () => {
    expect(lastRecordBoundary(log)).toEqual({ cut: log.length });
    expect(lastRecordBoundary(log.subarray(0, firstTwo + 20))).toEqual({ cut: firstTwo });
    expect(lastRecordBoundary(log.subarray(0, 50))).toEqual({ needed: records[0]!.length });
  });

  it('reads framing only: a record whose CRC is damaged still ends where its length says', () => {
    // The chunk is shipped byte for byte either way; restore and replicas check every CRC.
    const damaged = log.slice();
    damaged[firstTwo - 1]! ^= 0x5a;
    expect(lastRecordBoundary(damaged.subarray(0, firstTwo + 20))).toEqual({ cut: firstTwo });
  });

  it('gives up on bytes that are not records (they are shipped uncut)', () => {
    expect(lastRecordBoundary(new Uint8Array(64))).toBeUndefined();
    expect(lastRecordBoundary(Uint8Array.of(0x01, 0x01, 0x0c, 0, 0, 0, 0, 0))).toBeUndefined();
  });
});
