import { describe, expect, it } from 'vitest';
import type { Storage } from '../types.js';
import { bytes, expectBytes, readAll, utf8, type ConformanceFactory, type ConformanceHarness, useHarness, writeFile } from './harness.js';

async function restart(h: ConformanceHarness): Promise<Storage> {
  if (h.restart === undefined) throw new Error('harness has no restart()');
  return h.restart();
}

/** What must survive a restart (crash) once synced. Runs only when the harness has `restart`. */
export function durabilitySuite(factory: ConformanceFactory): void {
  describe('durability after sync', () => {
    const harness = useHarness(factory);

    it('data written and datasynced in a synced directory survives', async () => {
      const h = harness();
      const data = bytes(100_000, 7);
      const file = await h.storage.open('d.wal', { create: true });
      file.writevSync([data.subarray(0, 40_000)], 0);
      await file.writev([data.subarray(40_000)], 40_000);
      await file.datasync();
      await h.storage.syncDir();
      const after = await restart(h);
      expect(await after.list()).toEqual(['d.wal']);
      expectBytes(await readAll(after, 'd.wal'), data);
    });

    it('unsynced appends never damage bytes that were synced before', async () => {
      const h = harness();
      const synced = bytes(5000, 3);
      const file = await h.storage.open('a.wal', { create: true });
      file.writevSync([synced], 0);
      await file.sync();
      await h.storage.syncDir();
      for (let i = 0; i < 20; i++) file.writevSync([bytes(1000, 100 + i)], 5000 + i * 1000);
      const after = await restart(h);
      const content = await readAll(after, 'a.wal');
      expect(content.byteLength).toBeGreaterThanOrEqual(5000);
      expectBytes(content.subarray(0, 5000), synced);
    });

    it('a synced truncate and a synced preallocate survive', async () => {
      const h = harness();
      await writeFile(h.storage, 't', bytes(9000));
      const file = await h.storage.open('t');
      await file.truncate(100);
      await file.preallocate(4096);
      await file.datasync();
      const after = await restart(h);
      const content = await readAll(after, 't');
      expect(content.byteLength).toBe(4096);
      expectBytes(content.subarray(0, 100), bytes(9000).subarray(0, 100));
      expect(content.subarray(100).every((b) => b === 0)).toBe(true);
    });

    it('renames, removes and mkdirs survive once their directories are synced', async () => {
      const h = harness();
      await writeFile(h.storage, 'a', utf8('A'));
      await writeFile(h.storage, 'b', utf8('B'));
      await writeFile(h.storage, 'c', utf8('C'));
      await h.storage.mkdir('q');
      await h.storage.syncDir();
      await h.storage.rename('a', 'b');
      await h.storage.rename('c', 'q/c');
      await h.storage.syncDir();
      await h.storage.syncDir('q');
      const after = await restart(h);
      expect(await after.list()).toEqual(['b']);
      expect(await after.list('q')).toEqual(['c']);
      expect(new TextDecoder().decode(await readAll(after, 'b'))).toBe('A');
      expect(new TextDecoder().decode(await readAll(after, 'q/c'))).toBe('C');
      await after.remove('b');
      await after.syncDir();
      const again = await restart(h);
      expect(await again.list()).toEqual([]);
    });
  });
}
