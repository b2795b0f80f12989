import { describe, expect, it } from 'vitest';
import { expectRejectsCode, type ConformanceFactory, useHarness } from './harness.js';

/** Names every backend must reject with `ERR_INVALID_PATH`. */
export const INVALID_NAMES: readonly string[] = [
  '',
  '/etc/passwd',
  '/abs',
  '..',
  '../escape',
  'a/../../escape',
  'a/../b',
  './a',
  'a/.',
  'a//b',
  'a/',
  'nul\0byte',
  'back\\slash',
  'C:relative',
];

/** Path validation on every method that takes a name. */
export function pathSuite(factory: ConformanceFactory): void {
  describe('path validation', () => {
    const harness = useHarness(factory);

    it.each(INVALID_NAMES.map((name) => [JSON.stringify(name), name] as const))('rejects %s everywhere with ERR_INVALID_PATH', async (_label, name) => {
      const { storage } = harness();
      await expectRejectsCode(() => storage.open(name, { create: true }), 'ERR_INVALID_PATH');
      await expectRejectsCode(() => storage.open(name), 'ERR_INVALID_PATH');
      await expectRejectsCode(() => storage.exists(name), 'ERR_INVALID_PATH');
      await expectRejectsCode(() => storage.remove(name), 'ERR_INVALID_PATH');
      await expectRejectsCode(() => storage.rename(name, 'ok'), 'ERR_INVALID_PATH');
      await expectRejectsCode(() => storage.rename('ok', name), 'ERR_INVALID_PATH');
      await expectRejectsCode(() => storage.mkdir(name), 'ERR_INVALID_PATH');
      await expectRejectsCode(() => storage.list(name), 'ERR_INVALID_PATH');
      await expectRejectsCode(() => storage.syncDir(name), 'ERR_INVALID_PATH');
    });

    it("reserves the lock's files in the root", async () => {
      const { storage } = harness();
      for (const name of ['LOCK', 'LOCK.tmp-1-abc', 'LOCK.takeover-abc']) {
        await expectRejectsCode(() => storage.open(name, { create: true }), 'ERR_INVALID_PATH');
        await expectRejectsCode(() => storage.remove(name), 'ERR_INVALID_PATH');
        await expectRejectsCode(() => storage.rename('x', name), 'ERR_INVALID_PATH');
        await expectRejectsCode(() => storage.mkdir(name), 'ERR_INVALID_PATH');
      }
      await storage.mkdir('sub');
      const nested = await storage.open('sub/LOCK', { create: true });
      await nested.close();
      expect(await storage.list('sub')).toEqual(['LOCK']);
    });

    it('rejects non-string names with ERR_INVALID_PATH', async () => {
      const { storage } = harness();
      await expectRejectsCode(() => storage.open(42 as unknown as string, { create: true }), 'ERR_INVALID_PATH');
      await expectRejectsCode(() => storage.exists(undefined as unknown as string), 'ERR_INVALID_PATH');
    });

    it('accepts nested names, dots inside names and unicode', async () => {
      const { storage } = harness();
      await storage.mkdir('quarantine/deep');
      for (const name of ['000001.wal', 'quarantine/000003.wal', 'quarantine/deep/x..y', '.hidden', 'ünïcødé']) {
        const file = await storage.open(name, { create: true });
        await file.close();
        expect(await storage.exists(name)).toBe(true);
      }
      expect(await storage.list()).toEqual(['.hidden', '000001.wal', 'ünïcødé']);
    });
  });
}
