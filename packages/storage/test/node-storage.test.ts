import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NodeFileStorage, StorageError } from '../src/index.js';
import { fromNodeError } from '../src/errors.js';
import { remainingBuffers } from '../src/node/fs-async.js';
import { codeOf } from '@nori/test-support';

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-node-'));
});

afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Records which directories get opened for an fsync (opened with O_DIRECTORY). */
function watchDirectorySyncs(): string[] {
  const synced: string[] = [];
  const note = (file: fs.PathLike, flags: unknown): void => {
    if (typeof flags === 'number' && (flags & fs.constants.O_DIRECTORY) !== 0) synced.push(path.relative(root, String(file)) || '.');
  };
  // Both: metadata calls run inline (openSync) by default, on the thread pool (open) if asked.
  const original = fs.open;
  vi.spyOn(fs, 'open').mockImplementation(((file: fs.PathLike, flags: number, mode: number, callback: never) => {
    note(file, flags);
    return (original as (...args: unknown[]) => void)(file, flags, mode, callback);
  }) as typeof fs.open);
  const originalSync = fs.openSync;
  vi.spyOn(fs, 'openSync').mockImplementation(((file: fs.PathLike, flags: number, mode: number) => {
    note(file, flags);
    return originalSync(file, flags, mode);
  }) as typeof fs.openSync);
  return synced;
}

type FsFunction = { [K in keyof typeof fs]: (typeof fs)[K] extends (...args: never[]) => unknown ? K : never }[keyof typeof fs];

/** Spies on `fs` functions (calling through) and counts calls of the `pooled` and the `inline` ones. */
function countCalls(names: { pooled: readonly FsFunction[]; inline: readonly FsFunction[] }): { pooled: number; inline: number } {
  const calls = { pooled: 0, inline: 0 };
  for (const counter of ['pooled', 'inline'] as const) {
    for (const name of names[counter]) {
      const original = fs[name] as (...args: unknown[]) => unknown;
      vi.spyOn(fs, name).mockImplementation(((...args: unknown[]) => {
        calls[counter]++;
        return original(...args);
      }) as never);
    }
  }
  return calls;
}

describe('NodeFileStorage', () => {
  it("runs metadata calls inline by default and on the thread pool with metadata: 'thread-pool'", async () => {
    const calls = countCalls({ pooled: ['open', 'lstat', 'readdir', 'close'], inline: ['openSync', 'lstatSync', 'readdirSync', 'closeSync'] });
    const work = async (storage: NodeFileStorage): Promise<void> => {
      const file = await storage.open('a.wal', { create: true });
      await file.close();
      expect(await storage.exists('a.wal')).toBe(true);
      expect(await storage.list()).toEqual(['a.wal']);
    };
    await work(new NodeFileStorage(root, { syncDirOnChange: false }));
    expect(calls.pooled).toBe(0);
    expect(calls.inline).toBeGreaterThanOrEqual(5);
    calls.inline = 0;
    await work(new NodeFileStorage(path.join(root, 'pool'), { syncDirOnChange: false, metadata: 'thread-pool' }));
    expect(calls.inline).toBe(0);
    expect(calls.pooled).toBeGreaterThanOrEqual(5);
    expect(() => new NodeFileStorage(root, { metadata: 'sometimes' as 'inline' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it("runs flushes on the thread pool by default and on the calling thread with syncCalls: 'inline'", async () => {
    const calls = countCalls({ pooled: ['fdatasync', 'fsync'], inline: ['fdatasyncSync', 'fsyncSync'] });
    const work = async (storage: NodeFileStorage): Promise<void> => {
      const file = await storage.open('a.wal', { create: true });
      await file.writev([new Uint8Array([1, 2, 3])], 0);
      await file.datasync();
      await file.sync();
      await file.close();
      await storage.syncDir();
    };
    await work(new NodeFileStorage(root, { syncDirOnChange: false }));
    expect(calls).toEqual({ pooled: 3, inline: 0 });
    calls.pooled = 0;
    await work(new NodeFileStorage(path.join(root, 'inline'), { syncDirOnChange: false, syncCalls: 'inline' }));
    expect(calls).toEqual({ pooled: 0, inline: 3 });
    expect(() => new NodeFileStorage(root, { syncCalls: 'later' as 'inline' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining('syncCalls') }),
    );
  });

  it('describes itself by its absolute root and resolves relative roots', () => {
    const relative = path.relative(process.cwd(), root);
    const storage = new NodeFileStorage(relative);
    expect(storage.root).toBe(root);
    expect(storage.description).toBe(`file:${root}`);
    expect(() => new NodeFileStorage('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_PATH' }));
  });

  it('creates a missing root with its parents on the first create', async () => {
    const storage = new NodeFileStorage(path.join(root, 'a', 'b'));
    expect(await codeOf(() => storage.list())).toBe('ERR_NOT_FOUND');
    expect(await codeOf(() => storage.open('000001.wal'))).toBe('ERR_NOT_FOUND');
    const file = await storage.open('000001.wal', { create: true });
    await file.close();
    expect(fs.readdirSync(path.join(root, 'a', 'b'))).toEqual(['000001.wal']);
  });

  it('fsyncs the parent directory after create, rename, remove and mkdir', async () => {
    const storage = new NodeFileStorage(root);
    await storage.mkdir('q');
    const synced = watchDirectorySyncs();
    const file = await storage.open('a', { create: true });
    await file.close();
    expect(synced).toEqual(['.']);
    await (await storage.open('a')).close();
    expect(synced).toEqual(['.']);
    await storage.rename('a', 'b');
    expect(synced).toEqual(['.', '.']);
    await storage.rename('b', 'q/c');
    expect(synced.slice(2).sort()).toEqual(['.', 'q']);
    await storage.remove('q/c');
    expect(synced.at(-1)).toBe('q');
    await storage.mkdir('x/y');
    expect(synced.slice(-2)).toEqual(['.', 'x']);
    await storage.mkdir('x/y');
    expect(synced).toHaveLength(7);
  });

  it('with syncDirOnChange: false, only syncDir fsyncs directories', async () => {
    const storage = new NodeFileStorage(root, { syncDirOnChange: false });
    const synced = watchDirectorySyncs();
    await (await storage.open('a', { create: true })).close();
    await storage.rename('a', 'b');
    await storage.remove('b');
    await storage.mkdir('d');
    expect(synced).toEqual([]);
    await storage.syncDir('d');
    expect(synced).toEqual(['d']);
  });

  it('preallocate in zeros mode allocates blocks; sparse mode only sets the length', async () => {
    const size = 4 * 1024 * 1024;
    const zeros = new NodeFileStorage(root);
    const sparse = new NodeFileStorage(root, { preallocate: 'sparse' });
    const a = await zeros.open('zeros', { create: true });
    const b = await sparse.open('sparse', { create: true });
    await a.preallocate(size);
    await b.preallocate(size);
    await a.datasync();
    await b.datasync();
    await a.close();
    await b.close();
    const za = fs.statSync(path.join(root, 'zeros'));
    const sb = fs.statSync(path.join(root, 'sparse'));
    expect(za.size).toBe(size);
    expect(sb.size).toBe(size);
    // st_blocks counts 512-byte units actually allocated.
    expect(za.blocks * 512).toBeGreaterThanOrEqual(size);
    expect(sb.blocks * 512).toBeLessThan(size);
  });

  it('writes thousands of buffers in one gathered write (more than IOV_MAX)', async () => {
    const storage = new NodeFileStorage(root);
    const file = await storage.open('many', { create: true });
    const buffers = Array.from({ length: 5000 }, (_, i) => new Uint8Array([i & 0xff, (i >> 8) & 0xff]));
    file.writevSync(buffers, 0);
    await file.writev(buffers, 10_000);
    const out = new Uint8Array(20_000);
    expect(await file.read(out, 0, 20_000, 0)).toBe(20_000);
    for (let i = 0; i < 5000; i++) {
      expect(out[2 * i]).toBe(i & 0xff);
      expect(out[10_000 + 2 * i + 1]).toBe((i >> 8) & 0xff);
    }
    await file.close();
  });

  it('writes a single buffer with pwrite (writeSync), finishing short writes', async () => {
    const storage = new NodeFileStorage(root);
    const file = await storage.open('single', { create: true });
    const original = fs.writeSync;
    // Every pwrite writes at most 3 bytes: the loop must finish the buffer at the right offsets.
    const pwrite = vi
      .spyOn(fs, 'writeSync')
      .mockImplementation(((fd: number, b: Uint8Array, off: number, len: number, pos: number) =>
        (original as (...args: unknown[]) => number)(fd, b, off, Math.min(len, 3), pos)) as typeof fs.writeSync);
    const pwritev = vi.spyOn(fs, 'writevSync');
    file.writevSync([new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])], 2);
    expect(pwritev).not.toHaveBeenCalled();
    expect(pwrite).toHaveBeenCalledTimes(3);
    file.writevSync([new Uint8Array([9]), new Uint8Array([10])], 10);
    expect(pwritev).toHaveBeenCalledTimes(1);
    const out = new Uint8Array(12);
    expect(await file.read(out, 0, 12, 0)).toBe(12);
    expect(Buffer.compare(out, new Uint8Array([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))).toBe(0);
    await file.close();
  });

  it('maps OS errors to StorageError with the original code kept', async () => {
    const storage = new NodeFileStorage(root);
    await storage.mkdir('dir');
    let caught: unknown;
    try {
      await storage.open('dir');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StorageError);
    expect((caught as StorageError).code).toBe('EISDIR');
    expect((caught as StorageError).syscall).toBe('open');
    expect((caught as StorageError).path).toBe('dir');
    try {
      await storage.open('missing');
    } catch (error) {
      caught = error;
    }
    expect((caught as StorageError).code).toBe('ERR_NOT_FOUND');
    expect((caught as StorageError).osCode).toBe('ENOENT');
    expect((caught as Error).cause).toBeInstanceOf(Error);
    fs.writeFileSync(path.join(root, 'file'), 'x');
    expect(await codeOf(() => storage.list('file'))).toBe('ENOTDIR');
  });

  it('keeps ENOSPC and EIO as codes', () => {
    for (const code of ['ENOSPC', 'EIO', 'EACCES']) {
      const error = fromNodeError(Object.assign(new Error(code), { code }), 'write', 'x.wal');
      expect(error.code).toBe(code);
      expect(error.osCode).toBe(code);
      expect(error.message).toContain('x.wal');
    }
    expect(fromNodeError('odd', 'write', 'x').code).toBe('EIO');
  });
});

describe('remainingBuffers', () => {
  it('drops fully written buffers and slices the partially written one', () => {
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4, 5]);
    const c = new Uint8Array([6]);
    expect(remainingBuffers([a, b, c], 0)).toEqual([a, b, c]);
    expect(remainingBuffers([a, b, c], 4)).toEqual([new Uint8Array([5]), c]);
    expect(remainingBuffers([a, b, c], 5)).toEqual([c]);
    expect(remainingBuffers([a, new Uint8Array(0), b], 3)).toEqual([b]);
  });
});

describe('NodeFileStorage metadata calls on open descriptors (issue 17)', () => {
  it('open() and size() stat the descriptor without a thread-pool round trip', async () => {
    const storage = new NodeFileStorage(root);
    const created = await storage.open('a.wal', { create: true });
    await created.writev([new Uint8Array(123)], 0);
    await created.close();
    const pooled = vi.spyOn(fs, 'fstat');
    const file = await storage.open('a.wal');
    try {
      expect(await file.size()).toBe(123);
    } finally {
      await file.close();
    }
    expect(pooled).not.toHaveBeenCalled();
  });

  it('a failed flush rejects with a typed EIO in both syncCalls modes', async () => {
    for (const [mode, datasync, fsync] of [
      ['thread-pool', 'fdatasync', 'fsync'],
      ['inline', 'fdatasyncSync', 'fsyncSync'],
    ] as const) {
      const storage = new NodeFileStorage(path.join(root, mode), { syncCalls: mode });
      const file = await storage.open('c.wal', { create: true });
      const eio = (syscall: string): Error => Object.assign(new Error(`EIO: i/o error, ${syscall}`), { code: 'EIO', syscall });
      if (mode === 'inline') {
        vi.spyOn(fs, datasync).mockImplementation(() => {
          throw eio('fdatasync');
        });
        vi.spyOn(fs, fsync).mockImplementation(() => {
          throw eio('fsync');
        });
      } else {
        vi.spyOn(fs, datasync).mockImplementation((_fd: number, done: (error: Error | null) => void) => done(eio('fdatasync')));
        vi.spyOn(fs, fsync).mockImplementation((_fd: number, done: (error: Error | null) => void) => done(eio('fsync')));
      }
      try {
        // A synchronous throw must become a rejection, never an exception from the call itself.
        const flushed = file.datasync();
        await expect(flushed).rejects.toMatchObject({ code: 'EIO', syscall: 'fdatasync', path: 'c.wal' });
        await expect(file.sync()).rejects.toMatchObject({ code: 'EIO', syscall: 'fsync' });
        await expect(storage.syncDir()).rejects.toMatchObject({ code: 'EIO' });
      } finally {
        vi.restoreAllMocks();
        await file.close();
      }
    }
  });

  it('a stat failure still rejects size() with a typed error', async () => {
    const storage = new NodeFileStorage(root);
    const file = await storage.open('b.wal', { create: true });
    vi.spyOn(fs, 'fstatSync').mockImplementation(() => {
      throw Object.assign(new Error('EIO: i/o error, fstat'), { code: 'EIO', syscall: 'fstat' });
    });
    try {
      await expect(file.size()).rejects.toMatchObject({ code: 'EIO', syscall: 'fstat' });
    } finally {
      vi.restoreAllMocks();
      await file.close();
    }
  });
});
