import { codeOf, collect, indexOf, record } from '@nori/test-support';
import { expect, it } from 'vitest';
import { SMALL_SEGMENT, openWal, type HarnessSlot } from '../harness.js';

/** Records in small segments. */
const RECORDS = 40;

/** Rotation, reads across segments, GC. */
export function rotationSuite(slot: HarnessSlot): void {
  it('rotates into several segments and reads across them, also after reopen', async () => {
    const { storage } = slot.current();
    const first = await openWal(storage, { maxSegmentSize: SMALL_SEGMENT });
    for (let i = 0; i < RECORDS; i++) await first.wal.append(record(i));
    expect((await first.wal.segments()).length).toBeGreaterThan(2);
    await first.wal.close();
    const { wal, recovery } = await openWal(storage, { maxSegmentSize: SMALL_SEGMENT });
    expect(recovery.records).toBe(RECORDS);
    expect((await collect(wal.read())).map((e) => indexOf(e.key))).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    await wal.close();
  });

  it('deletes whole segments before a position and keeps everything after it', async () => {
    const { storage } = slot.current();
    const { wal } = await openWal(storage, { maxSegmentSize: SMALL_SEGMENT });
    const results = [];
    for (let i = 0; i < RECORDS; i++) results.push(await wal.append(record(i)));
    const keep = results[RECORDS - 5];
    if (keep === undefined) throw new Error('no result');
    const deleted = await wal.deleteSegmentsBefore(keep.position);
    expect(deleted.length).toBeGreaterThan(0);
    expect(deleted.every((id) => id < keep.position.segmentId)).toBe(true);
    const left = (await collect(wal.read())).map((e) => indexOf(e.key));
    expect(left.at(-1)).toBe(RECORDS - 1);
    expect(left).toContain(RECORDS - 5);
    expect(left.length).toBeLessThan(RECORDS);
    expect(await codeOf(() => wal.get(wal.firstIndex - 1))).toBe('ERR_INDEX_TRUNCATED');
    await wal.close();
  });
}
