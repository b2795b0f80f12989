import { NodeFileStorage, type Storage, type StorageFile } from '@nori/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { Wal, WalError } from '../src/index.js';
import { record, tempDir } from '@nori/test-support';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A storage that knows which of the files it opened are still open (names, one per handle). */
function trackingHandles(inner: Storage): { storage: Storage; open: () => string[] } {
  const handles = new Set<StorageFile>();
  const track = (file: StorageFile): StorageFile =>
    new Proxy(file, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (property === 'close') {
          return async () => {
            handles.delete(target);
            await target.close();
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  const storage = new Proxy(inner, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'open') {
        return async (...args: Parameters<Storage['open']>) => {
          const file = await target.open(...args);
          handles.add(file);
          return track(file);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { storage, open: () => [...handles].map((file) => file.name).sort() };
}

async function openWal(storage: Storage, options: { readOnly?: boolean } = {}): Promise<Wal> {
  const { wal } = await Wal.open({ storage, maxSegmentSize: 4096, fsync: 'os', ...options });
  return wal;
}

describe('close() and readers whose iterator was abandoned', () => {
  it('close() releases the file of every reader, also of iterators abandoned between two records', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const { storage, open } = trackingHandles(new NodeFileStorage(dir));
    const wal = await openWal(storage);
    for (let i = 0; i < 200; i++) await wal.append(record(i, 100));
    expect((await wal.segments()).length).toBeGreaterThan(3);
    const writerFiles = open();
    // Abandoned in the first segment, in a later one, with copies, and following at the end.
    const iterators = [
      wal.read()[Symbol.asyncIterator](),
      wal.read({ from: { segmentId: 2, offset: 0 } })[Symbol.asyncIterator](),
      wal.read({ copy: true })[Symbol.asyncIterator](),
      wal.read({ follow: true, from: wal.writtenPosition })[Symbol.asyncIterator](),
    ];
    for (const iterator of iterators.slice(0, 3)) expect((await iterator.next()).done).toBe(false);
    const follower = iterators[3]?.next();
    await wal.append(record(200, 100));
    expect((await follower)?.done).toBe(false);
    // Each reader holds a file (the writer may have opened a spare segment meanwhile).
    expect(open().length).toBeGreaterThanOrEqual(writerFiles.length + iterators.length);

    await wal.close();
    expect(open()).toEqual([]);
  });

  it('an abandoned reader resumed after close() rejects with ERR_CLOSED instead of returning a buffered record', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const wal = await openWal(new NodeFileStorage(dir));
    for (let i = 0; i < 20; i++) await wal.append(record(i, 100));
    const plain = wal.read()[Symbol.asyncIterator]();
    const follower = wal.read({ follow: true })[Symbol.asyncIterator]();
    // Both have the next records of their chunk buffered.
    await plain.next();
    await follower.next();
    await wal.close();
    for (const iterator of [plain, follower]) {
      const next = iterator.next();
      await expect(next).rejects.toBeInstanceOf(WalError);
      await expect(next).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    }
  });

  it('a read-only WAL releases its abandoned readers too', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const writer = await openWal(new NodeFileStorage(dir));
    for (let i = 0; i < 100; i++) await writer.append(record(i, 100));
    const { storage, open } = trackingHandles(new NodeFileStorage(dir));
    const wal = await openWal(storage, { readOnly: true });
    const plain = wal.read()[Symbol.asyncIterator]();
    const follower = wal.read({ follow: true, pollIntervalMs: 1 })[Symbol.asyncIterator]();
    await plain.next();
    await follower.next();
    expect(open().length).toBe(2);
    await wal.close();
    expect(open()).toEqual([]);
    await writer.close();
  });
});
