import { codeOf, collect, indexOf, record } from '@nori/test-support';
import { expect, it } from 'vitest';
import { SMALL_SEGMENT, openWal, type HarnessSlot } from '../harness.js';

/** truncateAfter and truncateBefore, kept across reopen. */
export function truncationSuite(slot: HarnessSlot): void {
  it('truncateAfter cuts the suffix durably and appends continue after the cut', async () => {
    const { storage } = slot.current();
    const first = await openWal(storage, { maxSegmentSize: SMALL_SEGMENT });
    for (let i = 0; i < 30; i++) await first.wal.append(record(i));
    const cut = first.wal.firstIndex + 11;
    await first.wal.truncateAfter(cut);
    expect(first.wal.lastIndex).toBe(cut);
    await first.wal.close();
    const { wal } = await openWal(storage, { maxSegmentSize: SMALL_SEGMENT });
    expect(wal.lastIndex).toBe(cut);
    expect((await wal.append(record(100))).index).toBe(cut + 1);
    expect((await collect(wal.read())).map((e) => indexOf(e.key))).toEqual([...Array.from({ length: 12 }, (_, i) => i), 100]);
    await wal.close();
  });

  it('truncateBefore hides the prefix from reads and point reads, also after reopen', async () => {
    const { storage } = slot.current();
    const first = await openWal(storage);
    for (let i = 0; i < 10; i++) await first.wal.append(record(i));
    const from = first.wal.firstIndex + 4;
    await first.wal.truncateBefore(from);
    await first.wal.close();
    const { wal } = await openWal(storage);
    expect(wal.firstIndex).toBe(from);
    expect(await codeOf(() => wal.get(from - 1))).toBe('ERR_INDEX_TRUNCATED');
    expect((await collect(wal.read({ fromIndex: from }))).map((e) => indexOf(e.key))).toEqual([4, 5, 6, 7, 8, 9]);
    await wal.close();
  });
}
