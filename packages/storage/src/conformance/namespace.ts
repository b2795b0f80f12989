import { describe, expect, it } from 'vitest';
import { expectRejectsCode, readAll, utf8, type ConformanceFactory, useHarness, writeFile } from './harness.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Directory operations: list, exists, mkdir, rename, remove, syncDir. */
export function namespaceSuite(factory: ConformanceFactory): void {
  namespaceListingSuite(factory);
  namespaceRemovalSuite(factory);
}

/** Listing, mkdir, exists, rename. */
function namespaceListingSuite(factory: ConformanceFactory): void {
  describe('directory operations', () => {
    const harness = useHarness(factory);

    it('a new storage lists no files', async () => {
      const { storage } = harness();
      expect(await storage.list()).toEqual([]);
      expect(typeof storage.description).toBe('string');
      expect(storage.description.length).toBeGreaterThan(0);
    });

    it('list returns the files of one directory, sorted, without subdirectories', async () => {
      const { storage } = harness();
      await storage.mkdir('quarantine');
      for (const name of ['000010.wal', '000002.wal', 'b', 'a', 'quarantine/000001.wal']) {
        await writeFile(storage, name, utf8(name), false);
      }
      expect(await storage.list()).toEqual(['000002.wal', '000010.wal', 'a', 'b']);
      expect(await storage.list('quarantine')).toEqual(['000001.wal']);
      await expectRejectsCode(() => storage.list('nope'), 'ERR_NOT_FOUND');
    });

    it('mkdir is recursive and idempotent; exists sees files and directories', async () => {
      const { storage } = harness();
      await storage.mkdir('a/b/c');
      await storage.mkdir('a/b/c');
      await storage.mkdir('a');
      expect(await storage.exists('a')).toBe(true);
      expect(await storage.exists('a/b/c')).toBe(true);
      expect(await storage.exists('a/x')).toBe(false);
      expect(await storage.list('a/b/c')).toEqual([]);
      await writeFile(storage, 'a/b/c/f', utf8('f'));
      expect(await storage.exists('a/b/c/f')).toBe(true);
      expect(await storage.list('a/b')).toEqual([]);
    });

    it('rename moves a file and atomically replaces the target', async () => {
      const { storage } = harness();
      await writeFile(storage, 'old', utf8('new content'));
      await writeFile(storage, 'target', utf8('old content'));
      await storage.rename('old', 'target');
      expect(await storage.exists('old')).toBe(false);
      expect(text(await readAll(storage, 'target'))).toBe('new content');
      await storage.mkdir('quarantine');
      await storage.rename('target', 'quarantine/moved');
      expect(await storage.list()).toEqual([]);
      expect(await storage.list('quarantine')).toEqual(['moved']);
      await expectRejectsCode(() => storage.rename('ghost', 'x'), 'ERR_NOT_FOUND');
      await expectRejectsCode(() => storage.rename('quarantine/moved', 'nodir/x'), 'ERR_NOT_FOUND');
    });

    it('an open handle follows its file through a rename', async () => {
      const { storage } = harness();
      const file = await storage.open('before', { create: true });
      file.writevSync([utf8('one')], 0);
      await storage.rename('before', 'after');
      file.writevSync([utf8('two')], 3);
      await file.close();
      expect(text(await readAll(storage, 'after'))).toBe('onetwo');
    });
  });
}

/** Removal, files in the way of directories, syncDir. */
function namespaceRemovalSuite(factory: ConformanceFactory): void {
  describe('directory operations: removal and syncDir', () => {
    const harness = useHarness(factory);

    it('remove deletes files and empty directories; missing names fail with ERR_NOT_FOUND', async () => {
      const { storage } = harness();
      await writeFile(storage, 'gone', utf8('x'));
      await storage.remove('gone');
      expect(await storage.exists('gone')).toBe(false);
      await expectRejectsCode(() => storage.open('gone'), 'ERR_NOT_FOUND');
      await expectRejectsCode(() => storage.remove('gone'), 'ERR_NOT_FOUND');
      await storage.mkdir('d');
      await writeFile(storage, 'd/f', utf8('x'));
      await expectRejectsCode(() => storage.remove('d'), 'ENOTEMPTY');
      await storage.remove('d/f');
      await storage.remove('d');
      expect(await storage.exists('d')).toBe(false);
    });

    it('a removed file stays readable through a handle opened before', async () => {
      const { storage } = harness();
      await writeFile(storage, 'unlinked', utf8('still here'));
      const file = await storage.open('unlinked');
      await storage.remove('unlinked');
      const out = new Uint8Array(10);
      expect(await file.read(out, 0, 10, 0)).toBe(10);
      expect(text(out)).toBe('still here');
      await file.close();
      expect(await storage.list()).toEqual([]);
    });

    it('reports files in the way of directories like the OS does', async () => {
      const { storage } = harness();
      await writeFile(storage, 'f', utf8('x'));
      await expectRejectsCode(() => storage.open('f/child', { create: true }), 'ENOTDIR');
      await expectRejectsCode(() => storage.open('f/child'), 'ENOTDIR');
      await expectRejectsCode(() => storage.mkdir('f'), 'EEXIST');
      await expectRejectsCode(() => storage.mkdir('f/sub'), 'ENOTDIR');
      await expectRejectsCode(() => storage.list('f'), 'ENOTDIR');
      expect(await storage.exists('f/child')).toBe(false);
      await storage.mkdir('dir');
      await expectRejectsCode(() => storage.open('dir'), 'EISDIR');
      await expectRejectsCode(() => storage.open('dir', { readOnly: true }), 'EISDIR');
      await expectRejectsCode(() => storage.rename('dir', 'other'), 'EISDIR');
      await expectRejectsCode(() => storage.rename('f', 'dir'), 'EISDIR');
      expect(await storage.list()).toEqual(['f']);
    });

    it('syncDir accepts the root and subdirectories and rejects missing ones', async () => {
      const { storage } = harness();
      await storage.mkdir('sub');
      await storage.syncDir();
      await storage.syncDir('sub');
      await expectRejectsCode(() => storage.syncDir('missing'), 'ERR_NOT_FOUND');
    });
  });
}
