import { MemoryStorage } from '@nori/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Wal, type WalObserver } from '../src/index.js';
import { collect, text } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

async function reopen(storage: MemoryStorage): Promise<string[]> {
  const { wal } = await Wal.open({ storage, preallocate: false, fsync: 'os' });
  const keys = (await collect(wal.read())).map((e) => text(e.key));
  await wal.close();
  return keys;
}

describe('fsync policies', () => {
  it('always: an acknowledged append survives a power loss', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const storage = new MemoryStorage({ seed, crashMode: 'subset' });
      const { wal } = await Wal.open({ storage, fsync: 'always', maxSegmentSize: 4096 });
      const acked: string[] = [];
      const writes = Array.from({ length: 30 }, (_, i) =>
        wal.append({ key: `k${i}`, value: 'v'.repeat(100) }).then(() => acked.push(`k${i}`)),
      );
      await Promise.all(writes.slice(0, 20));
      storage.crash();
      await Promise.allSettled(writes);
      const keys = await reopen(storage);
      for (const key of acked.slice(0, 20)) expect(keys).toContain(key);
      // Never a hole: what survives is a prefix of what was written.
      expect(keys).toEqual(keys.map((_, i) => `k${i}`));
    }
  });

  it('os: an append resolves without an fsync; sync() makes it durable', async () => {
    const storage = new MemoryStorage({ seed: 3 });
    let fsyncs = 0;
    const observer: WalObserver = { onFsync: () => void fsyncs++ };
    const { wal } = await Wal.open({ storage, fsync: 'os', observer });
    await wal.append({ key: 'a', value: '1' });
    expect(fsyncs).toBe(0);
    expect(wal.durablePosition).not.toEqual(wal.writtenPosition);
    const durable = await wal.sync();
    expect(fsyncs).toBe(1);
    expect(durable).toEqual(wal.writtenPosition);
    storage.crash();
    expect(await reopen(storage)).toEqual(['a']);
  });

  it('batch: data acknowledged before a pause becomes durable when the window passes', async () => {
    vi.useFakeTimers();
    const storage = new MemoryStorage({ seed: 5 });
    const { wal } = await Wal.open({ storage, fsync: { kind: 'batch', windowMs: 50 } });
    await wal.append({ key: 'a', value: '1' });
    await wal.append({ key: 'b', value: '2' });
    expect(wal.durablePosition).not.toEqual(wal.writtenPosition);
    await vi.advanceTimersByTimeAsync(60);
    expect(wal.durablePosition).toEqual(wal.writtenPosition);
    vi.useRealTimers();
    storage.crash();
    expect(await reopen(storage)).toEqual(['a', 'b']);
  });
});
