import { describe, expect, it } from 'vitest';
import type { StorageFile } from '../types.js';
import { bytes, expectBytes, expectRejectsCode, expectThrowsCode, readAll, utf8, type ConformanceFactory, useHarness, writeFile } from './harness.js';

/** Opening, sizing, truncating, preallocating, syncing and closing files. */
export function fileLifecycleSuite(factory: ConformanceFactory): void {
  fileOpenSuite(factory);
  fileHandleSuite(factory);
}

/** Open, create, truncate, preallocate. */
function fileOpenSuite(factory: ConformanceFactory): void {
  describe('file lifecycle', () => {
    const harness = useHarness(factory);

    it('open without create fails with ERR_NOT_FOUND; with create makes an empty file', async () => {
      const { storage } = harness();
      await expectRejectsCode(() => storage.open('missing.wal'), 'ERR_NOT_FOUND');
      expect(await storage.exists('missing.wal')).toBe(false);
      const file = await storage.open('missing.wal', { create: true });
      expect(await file.size()).toBe(0);
      await file.close();
      expect(await storage.exists('missing.wal')).toBe(true);
    });

    it("open with create keeps an existing file's content", async () => {
      const { storage } = harness();
      await writeFile(storage, 'keep', utf8('content'));
      const file = await storage.open('keep', { create: true });
      expect(await file.size()).toBe(7);
      await file.close();
      expect(new TextDecoder().decode(await readAll(storage, 'keep'))).toBe('content');
    });

    it('open in a missing directory fails with ERR_NOT_FOUND even with create', async () => {
      const { storage } = harness();
      await expectRejectsCode(() => storage.open('nodir/x.wal', { create: true }), 'ERR_NOT_FOUND');
    });

    it('truncate shrinks and grows; growth reads as zeros', async () => {
      const { storage } = harness();
      const file = await storage.open('t', { create: true });
      file.writevSync([bytes(10_000)], 0);
      await file.truncate(3);
      expect(await file.size()).toBe(3);
      await file.truncate(9000);
      expect(await file.size()).toBe(9000);
      const out = new Uint8Array(9000).fill(1);
      expect(await file.read(out, 0, 9000, 0)).toBe(9000);
      expectBytes(out.subarray(0, 3), bytes(10_000).subarray(0, 3));
      expect(out.subarray(3).every((b) => b === 0)).toBe(true);
      await file.truncate(0);
      expect(await file.size()).toBe(0);
      await file.close();
    });

    it('preallocate grows with zeros, keeps content and never shrinks', async () => {
      const { storage } = harness();
      const file = await storage.open('pre', { create: true });
      file.writevSync([utf8('head')], 0);
      await file.preallocate(3 * 1024 * 1024 + 5);
      expect(await file.size()).toBeGreaterThanOrEqual(3 * 1024 * 1024 + 5);
      const size = await file.size();
      const out = new Uint8Array(size).fill(9);
      expect(await file.read(out, 0, size, 0)).toBe(size);
      expect(new TextDecoder().decode(out.subarray(0, 4))).toBe('head');
      expect(out.subarray(4).every((b) => b === 0)).toBe(true);
      await file.preallocate(10);
      expect(await file.size()).toBe(size);
      file.writevSync([utf8('tail')], 100);
      expect(await file.size()).toBe(size);
      await file.close();
    });
  });
}

/** Flushes, closed and disposed handles, read-only handles. */
function fileHandleSuite(factory: ConformanceFactory): void {
  describe('file lifecycle: flushes and handles', () => {
    const harness = useHarness(factory);

    it('datasync and sync resolve on open files', async () => {
      const { storage } = harness();
      const file = await storage.open('s', { create: true });
      file.writevSync([utf8('x')], 0);
      await expect(file.datasync()).resolves.toBeUndefined();
      await expect(file.sync()).resolves.toBeUndefined();
      await file.close();
    });

    it('every method of a closed handle fails with ERR_CLOSED; close is idempotent', async () => {
      const { storage } = harness();
      const file = await storage.open('c', { create: true });
      await file.close();
      await file.close();
      const out = new Uint8Array(1);
      expectThrowsCode(() => file.writevSync([out], 0), 'ERR_CLOSED');
      expectThrowsCode(() => file.readSync(out, 0, 1, 0), 'ERR_CLOSED');
      await expectRejectsCode(() => file.writev([out], 0), 'ERR_CLOSED');
      await expectRejectsCode(() => file.read(out, 0, 1, 0), 'ERR_CLOSED');
      await expectRejectsCode(() => file.size(), 'ERR_CLOSED');
      await expectRejectsCode(() => file.truncate(0), 'ERR_CLOSED');
      await expectRejectsCode(() => file.datasync(), 'ERR_CLOSED');
      await expectRejectsCode(() => file.sync(), 'ERR_CLOSED');
      await expectRejectsCode(() => file.preallocate(1), 'ERR_CLOSED');
    });

    it('Symbol.asyncDispose closes the handle', async () => {
      const { storage } = harness();
      let escaped: StorageFile | undefined;
      {
        const file = await storage.open('d', { create: true });
        escaped = file;
        await file[Symbol.asyncDispose]();
      }
      await expectRejectsCode(() => escaped.size(), 'ERR_CLOSED');
    });

    it('a read-only handle reads but refuses writes with ERR_READ_ONLY', async () => {
      const { storage } = harness();
      await writeFile(storage, 'ro', utf8('data'));
      const file = await storage.open('ro', { readOnly: true });
      const out = new Uint8Array(4);
      expect(file.readSync(out, 0, 4, 0)).toBe(4);
      expectThrowsCode(() => file.writevSync([out], 0), 'ERR_READ_ONLY');
      await expectRejectsCode(() => file.writev([out], 0), 'ERR_READ_ONLY');
      await expectRejectsCode(() => file.truncate(0), 'ERR_READ_ONLY');
      await expectRejectsCode(() => file.preallocate(100), 'ERR_READ_ONLY');
      expect(await file.size()).toBe(4);
      await file.close();
    });
  });
}
