import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { MemoryStorage, NodeFileStorage } from '@nori/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Wal, WalError, type RecoveryReport, type WalConfig } from '../src/index.js';
import { collect, indexOf, record, tempDir } from '@nori/test-support';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function dir(): Promise<string> {
  const temp = await tempDir();
  cleanups.push(temp.cleanup);
  return temp.dir;
}

async function configError(config: unknown): Promise<WalError> {
  const error = await Wal.open(config as WalConfig).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WalError);
  expect((error as WalError).code).toBe('ERR_CONFIG');
  return error as WalError;
}

describe('config validation', () => {
  it('rejects bad configs with ERR_CONFIG and a message naming the problem', async () => {
    const storage = new MemoryStorage();
    expect((await configError({})).message).toMatch(/dir.*storage/);
    expect((await configError({ dir: '/tmp/x', storage })).message).toMatch(/not both/);
    expect((await configError({ storage, maxSegmentSize: 10 })).message).toMatch(/maxSegmentSize must be >= 1024/);
    expect((await configError({ storage, maxSegmentSize: 1.5e3 + 0.5 })).message).toMatch(/maxSegmentSize must be an integer/);
    expect((await configError({ storage, fsync: 'sometimes' })).message).toMatch(/fsync must be/);
    expect((await configError({ storage, fsync: { kind: 'batch', windowMs: -1 } })).message).toMatch(/windowMs must be > 0/);
    expect((await configError({ storage, recovery: 'yolo' })).message).toMatch(/recovery must be/);
    expect((await configError({ storage, dir: '' })).message).toMatch(/dir/);
    expect((await configError({ storage, maxQueuedBytes: 0 })).message).toMatch(/maxQueuedBytes/);
    expect((await configError({ storage, maxRecordSize: 3 })).message).toMatch(/maxRecordSize must be >= 7/);
    expect((await configError({ storage, maxRecordSize: 2 ** 31 })).message).toMatch(/maxRecordSize must be <=/);
    expect((await configError({ storage, fsync: { kind: 'batch', windowMs: 5, maxBytes: 0 } })).message).toMatch(/maxBytes/);
    expect((await configError({ storage, preallocat: true })).message).toMatch(/preallocat/);
    expect((await configError(null)).message).toMatch(/expected an object/);
  });

  it('accepts the policy shorthands and applies nori-wal defaults', async () => {
    for (const fsync of ['always', 'os', 'batch', { kind: 'batch', windowMs: 1, maxBytes: 10 }] as const) {
      const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync });
      await wal.append(record(0));
      await wal.close();
    }
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage });
    const [segment] = await wal.segments();
    expect(segment?.name).toBe('000000.wal');
    expect(wal.stats().diskBytes).toBe(128 * 1024 * 1024); // preallocated by default
    await wal.close();
  });
});

describe('lifecycle', () => {
  it('close flushes, syncs and trims; use after close is ERR_CLOSED; close is idempotent', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'os' });
    const pending = [wal.append(record(0)), wal.appendBatch([record(1), record(2)])];
    await wal.close();
    await Promise.all(pending);
    expect(wal.state).toBe('closed');
    for (const attempt of [
      () => wal.append(record(3)),
      () => wal.appendBatch([record(3)]),
      () => wal.sync(),
      () => wal.segments(),
      () => wal.deleteSegmentsBefore({ segmentId: 0, offset: 0 }),
      () => collect(wal.read()),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    }
    await wal.close();
    // Everything was fsynced by close: a power loss loses nothing.
    storage.crash();
    const reopened = await Wal.open({ storage });
    expect((await collect(reopened.wal.read())).map((e) => indexOf(e.key))).toEqual([0, 1, 2]);
    expect(reopened.recovery.tail).toBe('clean');
    await reopened.wal.close();
  });

  it('supports await using (Symbol.asyncDispose) and releases the lock', async () => {
    const storage = new MemoryStorage();
    {
      await using opened = await Wal.open({ storage }).then((r) => r.wal);
      await opened.append(record(0));
      await expect(Wal.open({ storage })).rejects.toMatchObject({ code: 'ERR_LOCKED' });
    }
    const { wal } = await Wal.open({ storage });
    expect((await collect(wal.read())).length).toBe(1);
    await wal.close();
  });

  it('readOnly opens without the lock and modifies nothing', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, preallocate: true, maxSegmentSize: 64 * 1024 });
    await wal.append(record(0));
    await wal.sync();
    const reader = await Wal.open({ storage, readOnly: true });
    expect(reader.recovery.readOnly).toBe(true);
    expect((await collect(reader.wal.read())).length).toBe(1);
    await expect(reader.wal.append(record(1))).rejects.toMatchObject({ code: 'ERR_READ_ONLY' });
    await expect(reader.wal.appendBatch([record(1)])).rejects.toMatchObject({ code: 'ERR_READ_ONLY' });
    await expect(reader.wal.deleteSegmentsBefore({ segmentId: 1, offset: 0 })).rejects.toMatchObject({
      code: 'ERR_READ_ONLY',
    });
    expect(await reader.wal.sync()).toEqual(reader.recovery.lastPosition);
    await reader.wal.close();
    await wal.close();
  });

  it('readOnly on a missing directory is ERR_NOT_FOUND', async () => {
    const base = await dir();
    await expect(Wal.open({ dir: path.join(base, 'nope'), readOnly: true })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('stats and watermarks track appends and fsyncs', async () => {
    const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'os' });
    const p = (await wal.append(record(0))).position;
    await wal.appendBatch([record(1), record(2)]);
    const stats = wal.stats();
    expect(stats.appendedRecords).toBe(3);
    expect(stats.appendedBytes).toBe(wal.writtenPosition.offset - p.offset);
    expect(stats.writtenPosition).toEqual(wal.writtenPosition);
    expect(stats.segments).toBe(1);
    const fsyncsBefore = stats.fsyncs;
    await wal.sync();
    expect(wal.stats().fsyncs).toBeGreaterThan(fsyncsBefore);
    expect(wal.stats().durablePosition).toEqual(wal.writtenPosition);
    await wal.close();
  });

  it('rejects invalid records with typed errors and keeps working', async () => {
    const { wal } = await Wal.open({ storage: new MemoryStorage(), maxRecordSize: 1024 });
    await expect(wal.append(record(0, 2000))).rejects.toMatchObject({ code: 'ERR_RECORD_TOO_LARGE' });
    await expect(wal.append({ key: 42 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_RECORD' });
    await expect(wal.appendBatch([record(1), record(2, 5000)])).rejects.toMatchObject({ code: 'ERR_RECORD_TOO_LARGE' });
    expect(await wal.appendBatch([])).toEqual([]);
    await wal.append(record(3));
    expect((await collect(wal.read())).map((e) => indexOf(e.key))).toEqual([3]);
    await wal.close();
  });

  it('emits onRecovery with the report', async () => {
    const reports: RecoveryReport[] = [];
    const { wal, recovery } = await Wal.open({ storage: new MemoryStorage(), observer: { onRecovery: (r) => reports.push(r) } });
    expect(reports).toEqual([recovery]);
    await wal.close();
  });
});

describe('errors at the edges', () => {
  it('close() rejects with ERR_FAILED when its own fsync fails, resolves when the WAL had already failed', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'os' });
    await wal.append(record(0));
    storage.injectFault({ kind: 'eio', op: 'sync', name: '000000.wal', times: 1 });
    await expect(wal.close()).rejects.toMatchObject({ code: 'ERR_FAILED' });
    storage.clearFaults();
    // The lock was released anyway.
    const second = await Wal.open({ storage, fsync: 'always' });
    await second.wal.append(record(1));
    storage.injectFault({ kind: 'eio', op: 'sync', name: '000000.wal', times: 1 });
    await expect(second.wal.append(record(2))).rejects.toMatchObject({ code: 'ERR_FAILED' });
    storage.clearFaults();
    await second.wal.close();
    expect(second.wal.state).toBe('closed');
  });

  it('storage failures in recovery, readers and GC are WalError ERR_IO with the storage error as cause', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'os', maxSegmentSize: 1024 });
    let last = (await wal.append(record(0))).position;
    for (let i = 1; i < 30; i++) last = (await wal.append(record(i))).position;
    storage.injectFault({ kind: 'eio', op: 'read', times: 1 });
    const readError = await collect(wal.read()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(readError).toBeInstanceOf(WalError);
    expect(readError).toMatchObject({ code: 'ERR_IO', cause: { code: 'EIO' } });
    storage.injectFault({ kind: 'eio', op: 'sync', times: 1 });
    await expect(wal.deleteSegmentsBefore(last)).rejects.toMatchObject({ code: 'ERR_IO', cause: { code: 'EIO' } });
    storage.clearFaults();
    await wal.close();
    storage.injectFault({ kind: 'eio', op: 'read', times: 1 });
    await expect(Wal.open({ storage })).rejects.toMatchObject({ code: 'ERR_IO', cause: { code: 'EIO' } });
    storage.clearFaults();
    const reopened = await Wal.open({ storage });
    expect(reopened.recovery.records).toBeGreaterThan(0);
    await reopened.wal.close();
  });
});

describe('on the file system (NodeFileStorage)', () => {
  it('writes, rotates, trims on close and reopens with everything', async () => {
    const root = await dir();
    const { wal } = await Wal.open({ dir: root, fsync: 'always', maxSegmentSize: 64 * 1024 });
    const positions = await Promise.all(Array.from({ length: 300 }, (_, i) => wal.append(record(i, 500)).then((r) => r.position)));
    await wal.close();
    const names = (await readdir(root)).filter((n) => n.endsWith('.wal')).sort();
    expect(names.length).toBe(new Set(positions.map((p) => p.segmentId)).size);
    for (const name of names) expect((await stat(path.join(root, name))).size).toBeLessThanOrEqual(64 * 1024);
    const reopened = await Wal.open({ dir: root, maxSegmentSize: 64 * 1024 });
    expect(reopened.recovery.records).toBe(300);
    expect((await collect(reopened.wal.read())).map((e) => e.position)).toEqual(positions);
    await reopened.wal.close();
  });

  it('a second writer on the same directory gets ERR_LOCKED', async () => {
    const root = await dir();
    const { wal } = await Wal.open({ dir: root });
    await expect(Wal.open({ dir: root })).rejects.toMatchObject({ code: 'ERR_LOCKED' });
    const reader = await Wal.open({ dir: root, readOnly: true });
    await reader.wal.close();
    await wal.close();
  });

  it('opens on any Storage passed explicitly (sparse preallocation)', async () => {
    const root = await dir();
    const storage = new NodeFileStorage(root, { preallocate: 'sparse' });
    const { wal } = await Wal.open({ storage, fsync: { kind: 'batch', windowMs: 2 } });
    await wal.append(record(0));
    // The batch timer fsyncs without another append; on a busy machine the fsync may take a while.
    await vi.waitFor(() => expect(wal.durablePosition).toEqual(wal.writtenPosition), { timeout: 10_000, interval: 5 });
    await wal.close();
  });
});
