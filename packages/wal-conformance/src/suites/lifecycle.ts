import { codeOf, collect, record } from '@nori/test-support';
import { expect, it } from 'vitest';
import { openWal, type HarnessSlot } from '../harness.js';

/** Abort signals and close. */
export function lifecycleSuite(slot: HarnessSlot): void {
  it('an aborted append rejects with ERR_ABORTED and writes nothing', async () => {
    const { storage } = slot.current();
    const first = await openWal(storage);
    await first.wal.append(record(0));
    const signal = AbortSignal.abort();
    expect(await codeOf(() => first.wal.append(record(1), { signal }))).toBe('ERR_ABORTED');
    await first.wal.close();
    const { wal, recovery } = await openWal(storage);
    expect(recovery.records).toBe(1);
    await wal.close();
  });

  it('an aborted open rejects with ERR_ABORTED and leaves the storage openable', async () => {
    const { storage } = slot.current();
    expect(await codeOf(() => openWal(storage, { signal: AbortSignal.abort() }))).toBe('ERR_ABORTED');
    const { wal } = await openWal(storage);
    await wal.close();
  });

  it('close is idempotent, later calls fail with ERR_CLOSED, dispose closes', async () => {
    const { storage } = slot.current();
    const { wal } = await openWal(storage);
    await wal.append(record(0));
    await wal.close();
    await wal.close();
    expect(await codeOf(() => wal.append(record(1)))).toBe('ERR_CLOSED');
    expect(await codeOf(() => collect(wal.read()))).toBe('ERR_CLOSED');
    {
      await using disposed = (await openWal(storage)).wal;
      expect(disposed.lastIndex).toBe(disposed.firstIndex);
    }
    const { wal: after } = await openWal(storage);
    await after.close();
  });
}
