import { codeOf, collect, indexOf, record } from '@nori/test-support';
import { expect, it } from 'vitest';
import { openWal, type HarnessSlot } from '../harness.js';

/** A failed fsync: the WAL fails stop and loses nothing it acknowledged. */
export function faultsSuite(slot: HarnessSlot): void {
  it('a failed fsync fails the append and the WAL; acknowledged records survive reopen', async () => {
    const harness = slot.current();
    if (harness.failSyncs === undefined) throw new Error('supports.faults needs harness.failSyncs');
    const first = await openWal(harness.storage);
    for (let i = 0; i < 5; i++) await first.wal.append(record(i));
    harness.failSyncs(1);
    expect(await codeOf(() => first.wal.append(record(5)))).toBe('ERR_FAILED');
    expect(await codeOf(() => first.wal.append(record(6)))).toBe('ERR_FAILED');
    await first.wal.close().catch(() => undefined);
    const { wal } = await openWal(harness.storage);
    const keys = (await collect(wal.read())).map((e) => indexOf(e.key));
    expect(keys.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(keys).not.toContain(6);
    await wal.close();
  });
}
