import { collect, indexOf, record } from '@nori/test-support';
import { expect, it } from 'vitest';
import { SMALL_SEGMENT, openWal, type HarnessSlot, type WalHarness } from '../harness.js';

function crashOf(harness: WalHarness): () => unknown {
  const crash = harness.crash?.bind(harness);
  if (crash === undefined) throw new Error('supports.crash needs harness.crash');
  return crash;
}

/** Power loss: what was acknowledged durable survives, the rest is a clean prefix. */
export function crashSuite(slot: HarnessSlot): void {
  it('durable appends survive a power loss, across rotation', async () => {
    const harness = slot.current();
    const crash = crashOf(harness);
    const { wal } = await openWal(harness.storage, { maxSegmentSize: SMALL_SEGMENT });
    for (let i = 0; i < 25; i++) await wal.append(record(i));
    const after = (await crash()) as typeof harness.storage;
    const reopened = await openWal(after, { maxSegmentSize: SMALL_SEGMENT });
    expect((await collect(reopened.wal.read())).map((e) => indexOf(e.key))).toEqual(Array.from({ length: 25 }, (_, i) => i));
    await reopened.wal.close();
  });

  it('unsynced appends are lost only as a suffix after the last sync', async () => {
    const harness = slot.current();
    const crash = crashOf(harness);
    const { wal } = await openWal(harness.storage, { fsync: 'os' });
    for (let i = 0; i < 10; i++) await wal.append(record(i));
    await wal.sync();
    for (let i = 10; i < 20; i++) await wal.append(record(i));
    const after = (await crash()) as typeof harness.storage;
    const reopened = await openWal(after, { fsync: 'os' });
    const keys = (await collect(reopened.wal.read())).map((e) => indexOf(e.key));
    expect(keys.length).toBeGreaterThanOrEqual(10);
    expect(keys).toEqual(Array.from({ length: keys.length }, (_, i) => i));
    await reopened.wal.close();
  });
}
