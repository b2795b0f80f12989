import { describe, expect, it } from 'vitest';
import { expectRejectsCode, type ConformanceFactory, useHarness } from './harness.js';

/** The exclusive writer lock. */
export function lockSuite(factory: ConformanceFactory): void {
  describe('writer lock', () => {
    const harness = useHarness(factory);

    it('readLock reports nobody before lock() and the holder after', async () => {
      const { storage } = harness();
      expect(await storage.readLock()).toBeUndefined();
      const lock = await storage.lock();
      expect(lock.info.pid).toBe(process.pid);
      expect(typeof lock.info.hostname).toBe('string');
      expect(Number.isNaN(Date.parse(lock.info.acquiredAt))).toBe(false);
      const seen = await storage.readLock();
      expect(seen?.pid).toBe(lock.info.pid);
      expect(seen?.acquiredAt).toBe(lock.info.acquiredAt);
      await lock.release();
      expect(await storage.readLock()).toBeUndefined();
    });

    it('a second lock on the same storage fails with ERR_LOCKED', async () => {
      const { storage } = harness();
      const lock = await storage.lock();
      await expectRejectsCode(() => storage.lock(), 'ERR_LOCKED');
      await lock.release();
    });

    it('another instance on the same store cannot lock while the lock is held', async () => {
      const h = harness();
      const lock = await h.storage.lock();
      const other = await h.reopen();
      await expectRejectsCode(() => other.lock(), 'ERR_LOCKED');
      expect((await other.readLock())?.pid).toBe(process.pid);
      await lock.release();
      const second = await other.lock();
      await expectRejectsCode(() => h.storage.lock(), 'ERR_LOCKED');
      await second.release();
    });

    it('release is idempotent and asyncDispose releases', async () => {
      const { storage } = harness();
      const lock = await storage.lock();
      await lock.release();
      await lock.release();
      const again = await storage.lock();
      await again[Symbol.asyncDispose]();
      const third = await storage.lock();
      await third.release();
    });

    it('the lock does not show up in list()', async () => {
      const { storage } = harness();
      const lock = await storage.lock();
      expect(await storage.list()).toEqual([]);
      await lock.release();
    });
  });
}
