import { bytesEqual, codeOf, collect, indexOf, record } from '@nori/test-support';
import { expect, it } from 'vitest';
import { openWal, type HarnessSlot } from '../harness.js';

/** Append, read back, reopen and sequence numbers. */
export function basicsSuite(slot: HarnessSlot): void {
  it('appends records with consecutive indexes and reads them back in order', async () => {
    const { wal } = await openWal(slot.current().storage);
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await wal.append(record(i)));
    expect(results.map((r) => r.index)).toEqual(Array.from({ length: 10 }, (_, i) => wal.firstIndex + i));
    const entries = await collect(wal.read());
    expect(entries.map((e) => indexOf(e.key))).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(entries.every((e) => bytesEqual(e.value, record(indexOf(e.key)).value))).toBe(true);
    await wal.close();
  });

  it('reopens a closed log with every record and continues its sequence numbers', async () => {
    const { storage } = slot.current();
    const first = await openWal(storage);
    for (let i = 0; i < 7; i++) await first.wal.append(record(i));
    await first.wal.close();
    const { wal, recovery } = await openWal(storage);
    expect(recovery).toMatchObject({ records: 7, bytesTruncated: 0 });
    expect((await wal.append(record(7))).index).toBe(wal.firstIndex + 7);
    expect((await collect(wal.read())).map((e) => indexOf(e.key))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await wal.close();
  });

  it('appends a batch as consecutive records and reads one back by index', async () => {
    const { wal } = await openWal(slot.current().storage);
    const batch = await wal.appendBatch([record(0), record(1), record(2)]);
    expect(batch.map((r) => r.index)).toEqual([wal.firstIndex, wal.firstIndex + 1, wal.firstIndex + 2]);
    const got = await wal.get(wal.firstIndex + 1);
    expect(indexOf(got.key)).toBe(1);
    expect(await codeOf(() => wal.get(wal.lastIndex + 1))).toBe('ERR_INDEX_OUT_OF_RANGE');
    await wal.close();
  });

  it('refuses a second writer on the same storage while the first is open', async () => {
    const { storage } = slot.current();
    const { wal } = await openWal(storage);
    expect(await codeOf(() => openWal(storage))).toBe('ERR_LOCKED');
    await wal.close();
    const again = await openWal(storage);
    await again.wal.close();
  });
}
