import { describe, expect, it } from 'vitest';
import type { ConformanceHarness } from './harness.js';
import { expectRejectsCode, readAll, utf8, type ConformanceFactory, useHarness, writeFile } from './harness.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const VICTIM = 'victim';
const VICTIM_TEXT = 'foreign data, not the log';

function symlinkMaker(h: ConformanceHarness): (name: string, target: string) => void | Promise<void> {
  const make = h.makeSymlink;
  if (make === undefined) throw new Error('runStorageConformance({ links: true }) needs harness.makeSymlink');
  return make.bind(h);
}

/** `entries()`: every entry with its kind, for backends that implement it. */
export function entriesSuite(factory: ConformanceFactory): void {
  describe('entries', () => {
    const harness = useHarness(factory);

    it('reports files and directories with their kind, sorted, without the lock files', async () => {
      const { storage } = harness();
      if (storage.entries === undefined) {
        // Optional member: a backend without it is conformant, and callers fall back to list().
        expect(await storage.list()).toEqual([]);
        return;
      }
      const lock = await storage.lock();
      await storage.mkdir('quarantine');
      await writeFile(storage, '000002.wal', utf8('b'), false);
      await writeFile(storage, '000001.wal', utf8('a'), false);
      await writeFile(storage, 'quarantine/x', utf8('x'), false);
      expect(await storage.entries()).toEqual([
        { name: '000001.wal', kind: 'file' },
        { name: '000002.wal', kind: 'file' },
        { name: 'quarantine', kind: 'directory' },
      ]);
      expect(await storage.entries('quarantine')).toEqual([{ name: 'x', kind: 'file' }]);
      await expectRejectsCode(() => storage.entries?.('nope') ?? Promise.resolve(), 'ERR_NOT_FOUND');
      await lock.release();
    });
  });
}

/** `stat()`: kind and length without opening, for backends that implement it. */
export function statSuite(factory: ConformanceFactory): void {
  describe('stat', () => {
    const harness = useHarness(factory);

    it('reports kind and length of files, directories and the root; ERR_NOT_FOUND when missing; opens nothing', async () => {
      const { storage } = harness();
      if (storage.stat === undefined) {
        // Optional member: a backend without it is conformant (callers open the file instead).
        expect(await storage.list()).toEqual([]);
        return;
      }
      await storage.mkdir('quarantine');
      await writeFile(storage, '000001.wal', utf8('hello'), false);
      await writeFile(storage, 'quarantine/000000.wal', utf8('abc'), false);
      const file = await storage.open('000002.wal', { create: true });
      await file.preallocate(4096);
      expect(await storage.stat('000001.wal')).toEqual({ kind: 'file', size: 5 });
      expect(await storage.stat('quarantine/000000.wal')).toEqual({ kind: 'file', size: 3 });
      expect(await storage.stat('000002.wal')).toEqual({ kind: 'file', size: 4096 });
      await file.close();
      expect((await storage.stat('quarantine')).kind).toBe('directory');
      expect((await storage.stat()).kind).toBe('directory');
      await expectRejectsCode(() => storage.stat?.('nope') ?? Promise.resolve(), 'ERR_NOT_FOUND');
      await expectRejectsCode(() => storage.stat?.('quarantine/nope') ?? Promise.resolve(), 'ERR_NOT_FOUND');
      await expectRejectsCode(() => storage.stat?.('../x') ?? Promise.resolve(), 'ERR_INVALID_PATH');
    });
  });
}

/** Links and special files placed in the store behind the storage's back are never followed. */
export function linksSuite(factory: ConformanceFactory): void {
  describe('links and special files', () => {
    const harness = useHarness(factory);

    it('open never follows a link: read-write, read-only and create all fail with ERR_SYMLINK', async () => {
      const h = harness();
      await writeFile(h.storage, VICTIM, utf8(VICTIM_TEXT));
      await symlinkMaker(h)('000002.wal', VICTIM);
      await expectRejectsCode(() => h.storage.open('000002.wal'), 'ERR_SYMLINK');
      await expectRejectsCode(() => h.storage.open('000002.wal', { readOnly: true }), 'ERR_SYMLINK');
      await expectRejectsCode(() => h.storage.open('000002.wal', { create: true }), 'ERR_SYMLINK');
      expect(text(await readAll(h.storage, VICTIM))).toBe(VICTIM_TEXT);
    });

    it('a dangling link is not created through', async () => {
      const h = harness();
      await symlinkMaker(h)('000003.wal', 'elsewhere');
      await expectRejectsCode(() => h.storage.open('000003.wal', { create: true }), 'ERR_SYMLINK');
      expect(await h.storage.exists('elsewhere')).toBe(false);
    });

    it('list skips links; entries reports them; remove deletes the link, not its target', async () => {
      const h = harness();
      await writeFile(h.storage, VICTIM, utf8(VICTIM_TEXT));
      await symlinkMaker(h)('000002.wal', VICTIM);
      expect(await h.storage.list()).toEqual([VICTIM]);
      if (h.storage.entries !== undefined) {
        expect(await h.storage.entries()).toEqual([
          { name: '000002.wal', kind: 'symlink' },
          { name: VICTIM, kind: 'file' },
        ]);
      }
      if (h.storage.stat !== undefined) expect((await h.storage.stat('000002.wal')).kind).toBe('symlink');
      await h.storage.remove('000002.wal');
      expect(await h.storage.exists('000002.wal')).toBe(false);
      expect(text(await readAll(h.storage, VICTIM))).toBe(VICTIM_TEXT);
    });

    it('rename refuses a link as source and replaces (never follows) a link as target', async () => {
      const h = harness();
      await writeFile(h.storage, VICTIM, utf8(VICTIM_TEXT));
      await symlinkMaker(h)('000002.wal.next', VICTIM);
      await expectRejectsCode(() => h.storage.rename('000002.wal.next', '000002.wal'), 'ERR_SYMLINK');
      await symlinkMaker(h)('000003.wal', VICTIM);
      await writeFile(h.storage, '000003.wal.next', utf8('spare'));
      await h.storage.rename('000003.wal.next', '000003.wal');
      expect(text(await readAll(h.storage, '000003.wal'))).toBe('spare');
      expect(text(await readAll(h.storage, VICTIM))).toBe(VICTIM_TEXT);
    });

    it('a link as a directory inside the store is refused too', async () => {
      const h = harness();
      await h.storage.mkdir('real');
      await writeFile(h.storage, 'real/f', utf8('x'));
      await symlinkMaker(h)('quarantine', 'real');
      await expectRejectsCode(() => h.storage.open('quarantine/f'), 'ERR_SYMLINK');
      await expectRejectsCode(() => h.storage.open('quarantine/g', { create: true }), 'ERR_SYMLINK');
      await expectRejectsCode(() => h.storage.rename('real/f', 'quarantine/f2'), 'ERR_SYMLINK');
      await expectRejectsCode(() => h.storage.list('quarantine'), 'ERR_SYMLINK');
      expect(await h.storage.list('real')).toEqual(['f']);
    });

    it('a FIFO is not a file: open fails at once with ERR_NOT_REGULAR_FILE', async () => {
      const h = harness();
      if (h.makeFifo === undefined) {
        expect(await h.storage.list()).toEqual([]); // Nothing to check without a way to make one.
        return;
      }
      await h.makeFifo('000004.wal');
      await expectRejectsCode(() => h.storage.open('000004.wal', { readOnly: true }), 'ERR_NOT_REGULAR_FILE');
      await expectRejectsCode(() => h.storage.open('000004.wal'), 'ERR_NOT_REGULAR_FILE');
      await expectRejectsCode(() => h.storage.open('000004.wal', { create: true }), 'ERR_NOT_REGULAR_FILE');
      await expectRejectsCode(() => h.storage.rename('000004.wal', 'x'), 'ERR_NOT_REGULAR_FILE');
      expect(await h.storage.list()).toEqual([]);
      if (h.storage.entries !== undefined) expect(await h.storage.entries()).toEqual([{ name: '000004.wal', kind: 'other' }]);
    });
  });
}
