import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, WalError } from '../src/index.js';
import { collect, record } from '@nori/test-support';
import { HookedStorage } from './hooked-storage.js';

async function writeLog(storage: MemoryStorage, records: number): Promise<void> {
  const { wal } = await Wal.open({ storage, fsync: 'os', maxSegmentSize: 4096, preallocate: false });
  for (let i = 0; i < records; i++) await wal.append(record(i));
  await wal.close();
}

describe('Wal.open({ signal })', () => {
  it('an aborted signal rejects with ERR_ABORTED before taking the lock', async () => {
    const storage = new MemoryStorage();
    await writeLog(storage, 10);
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const error = await Wal.open({ storage, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WalError);
    expect(error).toMatchObject({ code: 'ERR_ABORTED' });
    const { wal } = await Wal.open({ storage });
    await wal.close();
  });

  it('aborting during recovery stops it, releases the lock and loses nothing', async () => {
    const storage = new MemoryStorage();
    await writeLog(storage, 200);
    const controller = new AbortController();
    // Abort while recovery is in the middle of the log (it opens segment 3).
    const hooked = new HookedStorage(storage, (name, file) => {
      if (name === '000003.wal') controller.abort();
      return file;
    });
    const error = await Wal.open({ storage: hooked, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_ABORTED' });
    const { wal, recovery } = await Wal.open({ storage });
    expect(recovery.records).toBe(200);
    expect(await collect(wal.read())).toHaveLength(200);
    await wal.close();
  });

  it('rejects a signal that is not an AbortSignal with ERR_CONFIG', async () => {
    const error = await Wal.open({ storage: new MemoryStorage(), signal: 'stop' as unknown as AbortSignal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_CONFIG' });
    expect((error as Error).message).toContain('signal must be an AbortSignal');
  });
});
