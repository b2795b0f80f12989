import { MemoryStorage, StorageError, type Storage, type StorageFile } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, type FsyncPolicy, type Position, type WalConfig } from '../src/index.js';
import { GatedStorage, settle } from './gated-storage.js';
import { collect, indexOf, record } from '@nori/test-support';
import { HookedStorage } from './hooked-storage.js';

// Issue 12, item 1: a failed write (not a failed fsync) must not cost the records acknowledged
// before it their durability. Each case checks durablePosition right after the failure (before
// any batch window could pass) and power-loss images of the disk taken then.

const LONG_WINDOW: FsyncPolicy = { kind: 'batch', windowMs: 60_000 };
const CRASH_IMAGES = 8;

/** Indices recovered from a power-loss copy of `storage` taken now. */
async function survivors(storage: MemoryStorage, seed: number): Promise<number[]> {
  const disk = storage.fork({ seed });
  disk.crash({ mode: seed % 2 === 0 ? 'prefix' : 'subset' });
  const { wal } = await Wal.open({ storage: disk, fsync: 'os', preallocate: false });
  try {
    return (await collect(wal.read())).map((e) => indexOf(e.key));
  } finally {
    await wal.close();
  }
}

/** Every power-loss image keeps `acked` (records after it were rejected: at most a torn tail). */
async function expectSurvive(storage: MemoryStorage, acked: number[]): Promise<void> {
  for (let seed = 1; seed <= CRASH_IMAGES; seed++) {
    expect((await survivors(storage, seed)).slice(0, acked.length)).toEqual(acked);
  }
}

async function open(storage: Storage, config: Partial<WalConfig>) {
  const fsyncs: boolean[] = [];
  const { wal } = await Wal.open({ storage, preallocate: false, ...config, observer: { onFsync: (e) => void fsyncs.push(e.ok) } });
  return { wal, fsyncs };
}

async function appendAll(wal: Wal, ids: number[]): Promise<Position> {
  for (const i of ids) await wal.append(record(i));
  return wal.writtenPosition;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Segment `truncate` (a rotation step that is not an fsync) fails with EIO once `armed.on`. */
function truncateFails(memory: MemoryStorage): { storage: Storage; armed: { on: boolean } } {
  const armed = { on: false };
  const storage = new HookedStorage(memory, (name, file): StorageFile => {
    if (!name.endsWith('.wal')) return file;
    const truncate = async (length: number): Promise<void> => {
      if (armed.on) throw new StorageError('EIO', `ftruncate ${name}: injected I/O error`, { osCode: 'EIO' });
      await file.truncate(length);
    };
    return { ...file, truncate };
  });
  return { storage, armed };
}

describe('records acknowledged before a failed write stay durable (batch and os policies)', () => {
  it('batch: ENOSPC on a write fsyncs what was acknowledged before, at once, exactly once', async () => {
    const storage = new MemoryStorage({ seed: 11 });
    const { wal, fsyncs } = await open(storage, { fsync: LONG_WINDOW });
    const acked = await appendAll(wal, range(0, 5));
    storage.injectFault({ kind: 'enospc', afterBytes: 10 });
    await expect(wal.append(record(5))).rejects.toMatchObject({ code: 'ERR_FAILED', cause: { code: 'ENOSPC' } });
    expect(wal.state).toBe('failed');
    await settle();
    expect(wal.durablePosition).toEqual(acked);
    expect(fsyncs).toEqual([true]);
    await expectSurvive(storage, range(0, 5));
    await wal.close();
    expect(fsyncs).toEqual([true]);
  });

  it('batch: close() right after the failure still makes the acknowledged records durable', async () => {
    const storage = new MemoryStorage({ seed: 12 });
    const { wal } = await open(storage, { fsync: LONG_WINDOW });
    const acked = await appendAll(wal, range(0, 4));
    storage.injectFault({ kind: 'eio', op: 'write', name: '000000.wal', times: 1 });
    const failed = wal.append(record(4));
    // The write fails during close()'s own flush: close() reports it.
    await expect(wal.close()).rejects.toMatchObject({ code: 'ERR_FAILED' });
    await expect(failed).rejects.toMatchObject({ code: 'ERR_FAILED' });
    expect(wal.durablePosition).toEqual(acked);
    await expectSurvive(storage, range(0, 4));
  });

  it('os: an EIO on a write fsyncs the records written before it', async () => {
    const storage = new MemoryStorage({ seed: 13 });
    const { wal } = await open(storage, { fsync: 'os' });
    const acked = await appendAll(wal, range(0, 3));
    storage.injectFault({ kind: 'eio', op: 'write', name: '000000.wal', times: 1 });
    await expect(wal.append(record(3))).rejects.toMatchObject({ code: 'ERR_FAILED' });
    await settle();
    expect(wal.durablePosition).toEqual(acked);
    await expectSurvive(storage, range(0, 3));
    await wal.close();
  });

  it('batch: a failed batch-intent write fsyncs the single appends acknowledged before it', async () => {
    const storage = new MemoryStorage({ seed: 14 });
    const { wal } = await open(storage, { fsync: LONG_WINDOW });
    const acked = await appendAll(wal, range(0, 3));
    storage.injectFault({ kind: 'eio', op: 'write', name: 'batches.intent', times: 1 });
    await expect(wal.appendBatch([record(3), record(4)])).rejects.toMatchObject({ code: 'ERR_FAILED' });
    await settle();
    expect(wal.durablePosition).toEqual(acked);
    await expectSurvive(storage, range(0, 3));
    await wal.close();
  });

  it('batch: a failed rotation step (truncate of the preallocated tail) fsyncs the finished segment', async () => {
    const memory = new MemoryStorage({ seed: 15 });
    const { storage, armed } = truncateFails(memory);
    const { wal, fsyncs } = await open(storage, { fsync: LONG_WINDOW, preallocate: true, maxSegmentSize: 2048 });
    await wal.append(record(0));
    const size = wal.writtenPosition.offset;
    const ids = range(0, Math.floor(2048 / size));
    await appendAll(wal, ids.slice(1));
    const acked = wal.writtenPosition;
    const next = ids.length;
    armed.on = true;
    await expect(wal.append(record(next))).rejects.toMatchObject({ code: 'ERR_FAILED', cause: { code: 'EIO' } });
    await settle();
    expect(wal.durablePosition).toEqual(acked);
    expect(fsyncs).toEqual([true]);
    await expectSurvive(memory, ids);
    await wal.close();
  });
});

describe('waiters and the fsyncgate rule after a failure', () => {
  it('durable waiters covered by an fsync resolve; the failed write and later calls reject', async () => {
    const memory = new MemoryStorage({ seed: 16 });
    const storage = new GatedStorage(memory, (name) => name.endsWith('.wal'));
    const { wal } = await open(storage, { fsync: 'always' });
    storage.hold();
    const inRound = wal.append(record(0));
    await settle();
    expect(storage.syncsHeld).toBe(1);
    // Written while the first fsync runs: waits for the next round.
    const written = wal.append(record(1));
    await settle();
    const writtenEnd = wal.writtenPosition;
    memory.injectFault({ kind: 'enospc', afterBytes: 0 });
    const failed = wal.append(record(2));
    await expect(failed).rejects.toMatchObject({ code: 'ERR_FAILED', cause: { code: 'ENOSPC' } });
    storage.release();
    expect((await inRound).position).toEqual({ segmentId: 0, offset: 0 });
    expect((await written).position.offset).toBeGreaterThan(0);
    expect(wal.durablePosition).toEqual(writtenEnd);
    await expect(wal.sync()).rejects.toMatchObject({ code: 'ERR_FAILED' });
    await wal.close();
    await expectSurvive(memory, [0, 1]);
  });

  it('after a failed write, a failed final fsync is never retried and its waiters reject', async () => {
    const storage = new MemoryStorage({ seed: 17 });
    const { wal, fsyncs } = await open(storage, { fsync: 'os' });
    const durable = wal.durablePosition;
    await appendAll(wal, range(0, 3));
    storage.injectFault({ kind: 'eio', op: 'write', name: '000000.wal', times: 1 });
    storage.injectFault({ kind: 'fsyncgate' });
    await expect(wal.append(record(3))).rejects.toMatchObject({ code: 'ERR_FAILED' });
    await wal.close();
    expect(fsyncs).toEqual([false]);
    expect(wal.durablePosition).toEqual(durable);
  });

  it('after a failed fsync nothing is fsynced again, not even by close()', async () => {
    const storage = new MemoryStorage({ seed: 18 });
    const { wal, fsyncs } = await open(storage, { fsync: LONG_WINDOW });
    await appendAll(wal, range(0, 3));
    const durable = wal.durablePosition;
    storage.injectFault({ kind: 'fsyncgate' });
    await expect(wal.sync()).rejects.toMatchObject({ code: 'ERR_FAILED' });
    await expect(wal.append(record(3))).rejects.toMatchObject({ code: 'ERR_FAILED' });
    await wal.close();
    expect(fsyncs).toEqual([false]);
    expect(wal.durablePosition).toEqual(durable);
  });
});
