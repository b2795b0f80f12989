import { describe, expect, it } from 'vitest';
import { MemoryStorage, StorageError } from '../src/index.js';
import { codeOf, filled, readWholeIfExists } from '@nori/test-support';
import { overSeeds } from './helpers.js';

describe('MemoryStorage faults: ENOSPC', () => {
  it('stores what fits, then fails with ENOSPC until cleared', async () => {
    const storage = new MemoryStorage();
    const file = await storage.open('f', { create: true });
    file.writevSync([filled(100, 1)], 0);
    storage.injectFault({ kind: 'enospc', afterBytes: 150 });
    file.writevSync([filled(100, 2)], 100);
    let caught: unknown;
    try {
      file.writevSync([filled(30, 3), filled(40, 4)], 200);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StorageError);
    expect((caught as StorageError).code).toBe('ENOSPC');
    expect((caught as StorageError).osCode).toBe('ENOSPC');
    expect(await file.size()).toBe(250);
    const content = (await readWholeIfExists(storage, 'f')) as Uint8Array;
    expect(content.subarray(200, 230)).toEqual(filled(30, 3));
    expect(content.subarray(230, 250)).toEqual(filled(20, 4));
    expect(await codeOf(() => file.writev([filled(1, 5)], 0))).toBe('ENOSPC');
    expect(await codeOf(() => file.preallocate(10_000))).toBe('ENOSPC');
    expect(await codeOf(() => file.truncate(10_000))).toBe('ENOSPC');
    expect(await file.size()).toBe(250);
    await file.truncate(10);
    storage.clearFaults();
    file.writevSync([filled(1000, 6)], 10);
    await file.preallocate(5000);
    expect(await file.size()).toBe(5000);
    await file.close();
  });

  it('a preallocation that does not fit fails entirely', async () => {
    const storage = new MemoryStorage();
    const file = await storage.open('f', { create: true });
    storage.injectFault({ kind: 'enospc', afterBytes: 1000 });
    expect(await codeOf(() => file.preallocate(4096))).toBe('ENOSPC');
    expect(await file.size()).toBe(0);
    await file.preallocate(1000);
    expect(await file.size()).toBe(1000);
    expect(await codeOf(() => file.writev([new Uint8Array(1)], 1000))).toBe('ENOSPC');
    await file.close();
  });
});

describe('MemoryStorage faults: EIO', () => {
  it('fails writes, reads and syncs with EIO, by name and a number of times', async () => {
    const storage = new MemoryStorage();
    const a = await storage.open('a', { create: true });
    const b = await storage.open('b', { create: true });
    storage.injectFault({ kind: 'eio', op: 'write', name: 'a', times: 2 });
    expect(await codeOf(() => a.writevSync([filled(1, 1)], 0))).toBe('EIO');
    b.writevSync([filled(1, 1)], 0);
    expect(await codeOf(() => a.writev([filled(1, 1)], 0))).toBe('EIO');
    expect(await a.size()).toBe(0);
    a.writevSync([filled(1, 1)], 0);
    storage.injectFault({ kind: 'eio', op: 'read', times: 1 });
    const out = new Uint8Array(1);
    expect(await codeOf(() => b.readSync(out, 0, 1, 0))).toBe('EIO');
    expect(b.readSync(out, 0, 1, 0)).toBe(1);
    storage.injectFault({ kind: 'eio', op: 'sync', name: 'b' });
    await a.datasync();
    expect(await codeOf(() => b.datasync())).toBe('EIO');
    expect(await codeOf(() => b.sync())).toBe('EIO');
    storage.clearFaults();
    await b.datasync();
    await a.close();
    await b.close();
  });

  it('a plain sync EIO keeps the data dirty: a retry makes it durable', async () => {
    const storage = new MemoryStorage({ seed: 1 });
    const file = await storage.open('f', { create: true });
    await storage.syncDir();
    file.writevSync([filled(2000, 9)], 0);
    storage.injectFault({ kind: 'eio', op: 'sync', times: 1 });
    expect(await codeOf(() => file.datasync())).toBe('EIO');
    await file.datasync();
    storage.crash();
    expect(await readWholeIfExists(storage, 'f')).toEqual(filled(2000, 9));
  });

  it('EIO on a directory sync leaves the entries volatile', async () => {
    const outcomes = await overSeeds(16, async (seed) => {
      const storage = new MemoryStorage({ seed });
      await storage.mkdir('q');
      await storage.syncDir();
      (await storage.open('q/f', { create: true })).writevSync([filled(1, 1)], 0);
      storage.injectFault({ kind: 'eio', op: 'sync', name: 'q', times: 1 });
      expect(await codeOf(() => storage.syncDir('q'))).toBe('EIO');
      storage.crash();
      return storage.exists('q/f');
    });
    expect(outcomes).toContain(false);
  });
});

describe('MemoryStorage faults: fsyncgate', () => {
  it('the failed sync drops the dirty pages: readable now, lost at the crash, later syncs succeed', async () => {
    await overSeeds(16, async (seed) => {
      const storage = new MemoryStorage({ seed });
      const file = await storage.open('wal', { create: true });
      file.writevSync([filled(512, 1)], 0);
      await file.datasync();
      await storage.syncDir();
      file.writevSync([filled(512, 2)], 512);
      storage.injectFault({ kind: 'fsyncgate', name: 'wal' });
      expect(await codeOf(() => file.datasync())).toBe('EIO');
      const out = new Uint8Array(512);
      expect(file.readSync(out, 0, 512, 512)).toBe(512);
      expect(out).toEqual(filled(512, 2));
      await file.datasync();
      file.writevSync([filled(512, 3)], 1024);
      await file.datasync();
      storage.crash();
      const content = (await readWholeIfExists(storage, 'wal')) as Uint8Array;
      expect(content.byteLength).toBe(1536);
      expect(content.subarray(0, 512)).toEqual(filled(512, 1));
      expect(content.subarray(512, 1024)).toEqual(filled(512, 0));
      expect(content.subarray(1024)).toEqual(filled(512, 3));
    });
  });

  it('fires once, and only for the named file', async () => {
    const storage = new MemoryStorage();
    const a = await storage.open('a', { create: true });
    const b = await storage.open('b', { create: true });
    storage.injectFault({ kind: 'fsyncgate', name: 'b' });
    await a.datasync();
    expect(await codeOf(() => b.sync())).toBe('EIO');
    await b.sync();
    await a.close();
    await b.close();
  });
});

describe('MemoryStorage faults: crash after N operations', () => {
  async function workload(storage: MemoryStorage): Promise<void> {
    const file = await storage.open('000001.wal', { create: true });
    await file.preallocate(4096);
    await file.datasync();
    await storage.syncDir();
    for (let i = 0; i < 4; i++) {
      file.writevSync([filled(100, i + 1)], i * 100);
      await file.datasync();
    }
    await storage.rename('000001.wal', '000002.wal');
    await storage.syncDir();
    await file.close();
  }

  it('counts mutating operations and crashes at each point with ERR_CRASHED', async () => {
    const reference = new MemoryStorage();
    await workload(reference);
    const total = reference.operations;
    expect(total).toBe(14);
    for (let point = 0; point < total; point++) {
      const storage = new MemoryStorage({ seed: point });
      storage.injectFault({ kind: 'crash', afterOps: point });
      expect(await codeOf(() => workload(storage))).toBe('ERR_CRASHED');
      expect(storage.crashes).toBe(1);
      expect(storage.operations).toBe(point);
      const names = await storage.list();
      for (const name of names) {
        const content = (await readWholeIfExists(storage, name)) as Uint8Array;
        // Every datasynced record is intact (records 1..k synced at ops 5, 7, 9, 11).
        const synced = Math.max(0, Math.min(4, Math.floor((point - 4) / 2)));
        for (let i = 0; i < synced; i++) expect(content.subarray(i * 100, i * 100 + 100)).toEqual(filled(100, i + 1));
      }
      if (point >= 4) expect(names.length).toBe(1);
    }
  });

  it('rejects malformed faults with ERR_INVALID_ARGUMENT', () => {
    const storage = new MemoryStorage();
    expect(() => storage.injectFault({ kind: 'enospc', afterBytes: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => storage.injectFault({ kind: 'eio', op: 'write', times: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => storage.injectFault({ kind: 'crash', afterOps: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => storage.injectFault({ kind: 'nope' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => new MemoryStorage({ sectorSize: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});
