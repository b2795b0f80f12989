import { MemoryStorage, type Storage, type StorageFile } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { SPARSE_INDEX_STRIDE, Wal, type WalEntry } from '../src/index.js';
import { POINT_READ_WINDOW } from '../src/point-read.js';
import { collect, record } from '@nori/test-support';
import { flipByte } from './storage-helpers.js';
import { HookedStorage } from './hooked-storage.js';

/** A storage that counts the bytes read from segment files. */
function countingStorage(inner: Storage): { storage: Storage; bytes: () => number; reads: () => number; reset: () => void } {
  let bytes = 0;
  let reads = 0;
  const storage = new HookedStorage(inner, (name, file): StorageFile => {
    if (!name.endsWith('.wal')) return file;
    const read = file.read.bind(file);
    const readSync = file.readSync.bind(file);
    return {
      ...file,
      read: async (buffer: Uint8Array, offset: number, length: number, position: number) => {
        const n = await read(buffer, offset, length, position);
        bytes += n;
        reads++;
        return n;
      },
      readSync: (buffer: Uint8Array, offset: number, length: number, position: number) => {
        const n = readSync(buffer, offset, length, position);
        bytes += n;
        reads++;
        return n;
      },
    };
  });
  return {
    storage,
    bytes: () => bytes,
    reads: () => reads,
    reset: () => {
      bytes = 0;
      reads = 0;
    },
  };
}

function same(a: WalEntry, b: WalEntry): boolean {
  return (
    a.index === b.index &&
    a.position.segmentId === b.position.segmentId &&
    a.position.offset === b.position.offset &&
    Buffer.compare(a.key, b.key) === 0 &&
    Buffer.compare(a.value, b.value) === 0
  );
}

describe('get', () => {
  it('returns every record by index and by position, before and after a reopen', async () => {
    const storage = new MemoryStorage();
    const config = { storage, fsync: 'os' as const, maxSegmentSize: 256 * 1024, preallocate: false };
    const { wal } = await Wal.open(config);
    const inputs = [];
    for (let i = 0; i < 2000; i++) inputs.push(record(i, 100 + (i % 7) * 90));
    for (let i = 0; i < inputs.length; i += 50) await wal.appendBatch(inputs.slice(i, i + 50));
    const all = await collect(wal.read({ copy: true }));
    expect((await wal.segments()).length).toBeGreaterThan(1);
    for (const entry of all) {
      expect(same(await wal.get(entry.index), entry)).toBe(true);
      expect(same(await wal.get(entry.position), entry)).toBe(true);
    }
    await wal.close();
    const reopened = await Wal.open(config);
    await reopened.wal.append(record(5000));
    for (const entry of all.filter((_, i) => i % 37 === 0)) expect(same(await reopened.wal.get(entry.index), entry)).toBe(true);
    expect((await reopened.wal.get(2001)).key).toEqual(new TextEncoder().encode(record(5000).key));
    await reopened.wal.close();
  });

  it('a read from a position near the end of a recovered segment counts back from its end instead of scanning it', async () => {
    const counting = countingStorage(new MemoryStorage());
    const config = { storage: counting.storage, fsync: 'os' as const, maxSegmentSize: 4 * 1024 * 1024, preallocate: false };
    const { wal } = await Wal.open(config);
    const results = await wal.appendBatch(Array.from({ length: 2000 }, (_, i) => record(i, 1000)));
    await wal.close();
    const { wal: reopened } = await Wal.open(config);
    const target = results[1990];
    if (target === undefined) throw new Error('no record');
    counting.reset();
    const tail = await collect(reopened.read({ from: target.position }));
    expect(tail.map((e) => e.index)).toEqual(results.slice(1990).map((r) => r.index));
    // The 10 records after the position, counted and then read: not the 2 MB segment.
    expect(counting.bytes()).toBeLessThan(256 * 1024);
    await expect(collect(reopened.read({ from: { segmentId: 0, offset: target.position.offset + 1 } }))).rejects.toMatchObject({
      code: 'ERR_INVALID_POSITION',
    });
    await reopened.close();
  });

  it('the first lookup after a reopen is one bounded read: recovery built the sparse index', async () => {
    const counting = countingStorage(new MemoryStorage());
    const config = { storage: counting.storage, fsync: 'os' as const, maxSegmentSize: 1024 * 1024, preallocate: false };
    const { wal } = await Wal.open(config);
    const results = [];
    for (let i = 0; i < 3000; i += 100) results.push(...(await wal.appendBatch(Array.from({ length: 100 }, (_, j) => record(i + j, 1000)))));
    await wal.close();
    const { wal: reopened } = await Wal.open(config);
    expect((await reopened.segments()).length).toBeGreaterThan(2);
    for (const target of [results[1500], results[2990], results[7]]) {
      if (target === undefined) throw new Error('no record');
      counting.reset();
      expect((await reopened.get(target.index)).index).toBe(target.index);
      // One window read from the nearest sample; a lazily built index would scan the 1 MiB segment.
      expect(counting.reads()).toBe(1);
      expect(counting.bytes()).toBeLessThanOrEqual(POINT_READ_WINDOW);
      counting.reset();
      expect((await reopened.get(target.position)).index).toBe(target.index);
      expect(counting.bytes()).toBeLessThanOrEqual(2 * POINT_READ_WINDOW);
    }
    expect(reopened.stats().sparseIndexBytes).toBeGreaterThan(0);
    await reopened.close();
  });

  it('finds every record after a reopen of a salvaged log (samples of recovery skip what salvage skipped)', async () => {
    const storage = new MemoryStorage();
    const config = { storage, fsync: 'os' as const, maxSegmentSize: 256 * 1024, preallocate: false };
    const { wal } = await Wal.open(config);
    const results = [];
    for (let i = 0; i < 600; i += 50) results.push(...(await wal.appendBatch(Array.from({ length: 50 }, (_, j) => record(i + j, 900)))));
    await wal.close();
    // Damage two records of the first segment: salvage skips them, later records keep their place.
    for (const k of [40, 41, 170]) await flipByte(storage, '000000.wal', results[k]!.position.offset + 20);
    for (const mode of ['salvage', 'tolerate-tail'] as const) {
      const { wal: reopened, recovery } = await Wal.open({ ...config, recovery: mode });
      expect(recovery.skipped.length).toBe(2);
      const all = await collect(reopened.read({ copy: true }));
      expect(all.length).toBe(results.length - 3);
      for (const entry of all) {
        expect(same(await reopened.get(entry.index), entry)).toBe(true);
        expect(same(await reopened.get(entry.position), entry)).toBe(true);
      }
      await reopened.close();
    }
  });

  it('fails with typed errors outside the log and off record boundaries', async () => {
    const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'os' });
    const first = await wal.append(record(0));
    await wal.append(record(1));
    await expect(wal.get(0)).rejects.toMatchObject({ code: 'ERR_INDEX_TRUNCATED' });
    await expect(wal.get(3)).rejects.toMatchObject({ code: 'ERR_INDEX_OUT_OF_RANGE' });
    await expect(wal.get(-1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(wal.get({ segmentId: 0, offset: first.position.offset + 1 })).rejects.toMatchObject({ code: 'ERR_INVALID_POSITION' });
    await expect(wal.get(wal.writtenPosition)).rejects.toMatchObject({ code: 'ERR_INVALID_POSITION' });
    await expect(wal.get({ segmentId: 7, offset: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_POSITION' });
    await wal.close();
    await expect(wal.get(1)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('reads a bounded number of bytes per lookup, whatever the size of the log', async () => {
    const counting = countingStorage(new MemoryStorage());
    const config = { storage: counting.storage, fsync: 'os' as const, maxSegmentSize: 1024 * 1024, preallocate: false };
    const { wal } = await Wal.open(config);
    const value = 1000;
    for (let i = 0; i < 8000; i += 100) await wal.appendBatch(Array.from({ length: 100 }, (_, j) => record(i + j, value)));
    await wal.close();
    const { wal: reopened } = await Wal.open(config);
    counting.reset();
    const lookups = 200;
    for (let k = 0; k < lookups; k++) await reopened.get(1 + ((k * 7919) % 8000));
    const perLookup = counting.bytes() / lookups;
    // One window: a stride plus room for the record (never the segment).
    expect(perLookup).toBeLessThanOrEqual(POINT_READ_WINDOW);
    expect(perLookup).toBeGreaterThan(0);
    // About one sample per stride of log.
    const bytes = (await reopened.segments()).reduce((n, s) => n + s.size, 0);
    expect(reopened.stats().sparseIndexBytes).toBeLessThanOrEqual(16 * (bytes / SPARSE_INDEX_STRIDE + 2 * (await reopened.segments()).length));
    await reopened.close();
  });
});
