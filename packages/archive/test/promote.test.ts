import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage } from '@nori/storage';
import { Wal } from '@nori/wal';
import { describe, expect, it } from 'vitest';
import { Archiver, MemoryObjectStore, isArchiveError, promote, restore } from '../src/index.js';
import { openWal, testOptions } from './archiver-support.js';

async function keysOf(wal: Wal): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of wal.read()) keys.push(Buffer.from(entry.key).toString());
  return keys;
}

describe('promote', () => {
  it('restores, opens and takes over: every remote-durable record is there; the old primary is fenced and says so', async () => {
    const store = new MemoryObjectStore();
    const oldStorage = new MemoryStorage();
    const oldWal = await openWal(oldStorage);
    const oldArchiver = await Archiver.start(oldWal, testOptions(store));
    const acknowledged: string[] = [];
    for (let i = 0; i < 40; i++) {
      await oldArchiver.append({ key: `r${i}`, value: `v${i}`.repeat(20) });
      acknowledged.push(`r${i}`);
    }

    const primary = await promote({ store, prefix: 'arch', storage: new MemoryStorage(), archiver: { intervalMs: 60_000 } });
    expect(primary.report).toMatchObject({ restoredGeneration: 1, generation: 2 });
    expect(primary.report.recovery.records).toBe(acknowledged.length);
    expect(primary.report.restore.records).toBe(acknowledged.length);
    expect(await keysOf(primary.wal)).toEqual(acknowledged);
    await primary.archiver.append({ key: 'after-promotion', value: 'x' });

    // The old primary comes back and ships: fenced, naming the new generation, nothing written.
    const fenced = await oldArchiver.append({ key: 'stale', value: 'x' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isArchiveError(fenced, 'ERR_FENCED')).toBe(true);
    expect((fenced as Error).message).toMatch(/generation 2/);
    expect(oldArchiver.state).toBe('fenced');
    await oldArchiver.close();
    await oldWal.close();

    // Restarted on its old directory, its archiver refuses to start, naming generation 2.
    const { wal: reopened } = await Wal.open({ storage: oldStorage, fsync: 'always', preallocate: false });
    const restart = await Archiver.start(reopened, testOptions(store)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isArchiveError(restart, 'ERR_FENCED')).toBe(true);
    expect((restart as Error).message).toMatch(/generation 2/);
    await reopened.close();

    await primary.close({ flush: true });
    const check = new MemoryStorage();
    const report = await restore({ store, prefix: 'arch', storage: check });
    expect(report.generation).toBe(2);
    const { wal: restored } = await Wal.open({ storage: check, readOnly: true });
    expect(await keysOf(restored)).toEqual([...acknowledged, 'after-promotion']);
    await restored.close();
  });

  it('promotes into a new directory; failures leave nothing open (empty archive: ERR_NO_GENERATION)', async () => {
    const store = new MemoryObjectStore();
    const root = await mkdtemp(join(tmpdir(), 'nori-promote-'));
    try {
      const empty = await promote({ store, prefix: 'arch', dir: join(root, 'a') }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isArchiveError(empty, 'ERR_NO_GENERATION')).toBe(true);

      const wal = await openWal();
      const archiver = await Archiver.start(wal, testOptions(store));
      await archiver.append({ key: 'only', value: 'v' });
      await archiver.close();
      await wal.close();
      await using primary = await promote({ store, prefix: 'arch', dir: join(root, 'b') });
      expect(await keysOf(primary.wal)).toEqual(['only']);
      expect(primary.archiver.generation).toBe(2);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses an aborted signal before restoring anything', async () => {
    const store = new MemoryObjectStore();
    const storage = new MemoryStorage();
    const error = await promote({ store, prefix: 'arch', storage, signal: AbortSignal.abort() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe('ERR_ABORTED');
    expect(await storage.list()).toEqual([]);
  });
});
