import { MemoryStorage } from '@nori/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Wal, type WalObserver } from '../src/index.js';
import { GatedStorage, settle } from './gated-storage.js';
import { collect, record, text } from '@nori/test-support';
import { HookedStorage } from './hooked-storage.js';

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
      const writes = Array.from({ length: 30 }, (_, i) => wal.append({ key: `k${i}`, value: 'v'.repeat(100) }).then(() => acked.push(`k${i}`)));
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

describe('batch maxBytes', () => {
  it('bytes that pass maxBytes while an fsync runs get the next fsync as soon as it ends, with no further append', async () => {
    const memory = new MemoryStorage();
    const storage = new GatedStorage(memory, (name) => name.endsWith('.wal'));
    const fsyncs: number[] = [];
    const { wal } = await Wal.open({
      storage,
      preallocate: false,
      fsync: { kind: 'batch', windowMs: 60_000, maxBytes: 4096 },
      observer: { onFsync: (e) => void fsyncs.push(e.bytes) },
    });
    storage.hold();
    // The first 4096 bytes start an fsync (held); the next 4096+ arrive while it runs.
    while (storage.syncsHeld === 0) await wal.append(record(1));
    const heldAt = wal.writtenPosition.offset;
    while (wal.writtenPosition.offset - heldAt < 4096) await wal.append(record(2));
    storage.release();
    await settle();
    expect(fsyncs).toHaveLength(2);
    expect(fsyncs[1]).toBeGreaterThanOrEqual(4096);
    expect(wal.durablePosition).toEqual(wal.writtenPosition);
    await wal.close();
  });
});

describe('batch maxBytes under a stream of appendBatch calls', () => {
  it('unsynced bytes past maxBytes are fsynced before the next batch-intent write, not when the queue empties', async () => {
    const memory = new MemoryStorage();
    // Each intent-file fsync is held until released one by one: the writer stays busy.
    const held: (() => void)[] = [];
    let holding = true;
    const storage = new HookedStorage(memory, (name, file) => {
      if (name !== 'batches.intent') return file;
      const datasync = async (): Promise<void> => {
        if (holding) await new Promise<void>((resolve) => held.push(resolve));
        await file.datasync();
      };
      return { ...file, datasync };
    });
    let fsyncs = 0;
    const { wal } = await Wal.open({
      storage,
      preallocate: false,
      fsync: { kind: 'batch', windowMs: 60_000, maxBytes: 4096 },
      observer: { onFsync: () => void fsyncs++ },
    });
    const batches = [wal.appendBatch([record(0), record(1)])];
    await settle();
    // Queued while the first intent fsync is held: more than maxBytes in one batch.
    batches.push(wal.appendBatch(Array.from({ length: 40 }, (_, i) => record(2 + i))));
    held.shift()?.();
    await settle();
    batches.push(wal.appendBatch([record(50), record(51)]));
    held.shift()?.();
    await settle();
    expect(held).toHaveLength(1);
    expect(wal.writtenPosition.offset - wal.durablePosition.offset).toBeLessThan(4096);
    expect(fsyncs).toBe(1);
    holding = false;
    held.shift()?.();
    await Promise.all(batches);
    await wal.close();
  });
});
