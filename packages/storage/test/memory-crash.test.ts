import { describe, expect, it } from 'vitest';
import { MemoryStorage, type MemoryStorageOptions } from '../src/index.js';
import { codeOf, filled, readWholeIfExists } from '@nori/test-support';
import { overSeeds } from './helpers.js';

const SECTOR = 512;

async function syncedFile(storage: MemoryStorage, name: string, content: Uint8Array): Promise<void> {
  const file = await storage.open(name, { create: true });
  file.writevSync([content], 0);
  await file.datasync();
  await file.close();
  await storage.syncDir();
}

/** Per-sector classification of a crashed file region: 'old', 'new' or 'zero'. */
function sectors(content: Uint8Array, from: number, to: number, oldByte: number, newByte: number): string[] {
  const kinds: string[] = [];
  for (let at = from; at < to; at += SECTOR) {
    const slice = content.subarray(at, Math.min(to, at + SECTOR));
    const first = slice[0];
    expect(
      slice.every((b) => b === first),
      `sector at ${String(at)} is uniform`,
    ).toBe(true);
    kinds.push(first === newByte ? 'new' : first === oldByte ? 'old' : first === 0 ? 'zero' : `other:${String(first)}`);
  }
  return kinds;
}

function seeded(seed: number, extra: MemoryStorageOptions = {}): MemoryStorage {
  return new MemoryStorage({ seed, sectorSize: SECTOR, ...extra });
}

describe('MemoryStorage crash: directory entries', () => {
  it('a created and datasynced file without syncDir may vanish, but is complete when it survives', async () => {
    const outcomes = await overSeeds(24, async (seed) => {
      const storage = seeded(seed);
      const file = await storage.open('000001.wal', { create: true });
      file.writevSync([filled(3000, 7)], 0);
      await file.datasync();
      storage.crash();
      const content = await readWholeIfExists(storage, '000001.wal');
      if (content !== undefined) expect(content).toEqual(filled(3000, 7));
      return content === undefined ? 'lost' : 'kept';
    });
    expect(outcomes).toContain('lost');
    expect(outcomes).toContain('kept');
  });

  it('a synced directory entry always survives', async () => {
    await overSeeds(16, async (seed) => {
      const storage = seeded(seed);
      await syncedFile(storage, 'x', filled(10, 1));
      storage.crash();
      expect(await storage.list()).toEqual(['x']);
    });
  });

  it('an unsynced rename may be undone; it is atomic either way', async () => {
    const outcomes = await overSeeds(24, async (seed) => {
      const storage = seeded(seed);
      await syncedFile(storage, 'tmp', filled(10, 1));
      await syncedFile(storage, 'final', filled(10, 2));
      await storage.rename('tmp', 'final');
      storage.crash();
      const list = await storage.list();
      if (list.length === 1) {
        expect(await readWholeIfExists(storage, 'final')).toEqual(filled(10, 1));
        return 'renamed';
      }
      expect(list).toEqual(['final', 'tmp']);
      expect(await readWholeIfExists(storage, 'final')).toEqual(filled(10, 2));
      return 'undone';
    });
    expect(new Set(outcomes)).toEqual(new Set(['renamed', 'undone']));
  });

  it('an unsynced remove may be undone', async () => {
    const outcomes = await overSeeds(24, async (seed) => {
      const storage = seeded(seed);
      await syncedFile(storage, 'old.wal', filled(10, 1));
      await storage.remove('old.wal');
      storage.crash();
      return (await storage.exists('old.wal')) ? 'back' : 'gone';
    });
    expect(new Set(outcomes)).toEqual(new Set(['back', 'gone']));
  });

  it('files in a directory whose mkdir was not synced vanish with it', async () => {
    const outcomes = await overSeeds(24, async (seed) => {
      const storage = seeded(seed);
      await storage.mkdir('quarantine');
      const file = await storage.open('quarantine/a', { create: true });
      file.writevSync([filled(5, 5)], 0);
      await file.datasync();
      await storage.syncDir('quarantine');
      storage.crash();
      const dir = await storage.exists('quarantine');
      const child = await storage.exists('quarantine/a');
      if (!dir) expect(child).toBe(false);
      else expect(child).toBe(true);
      return dir ? 'dir' : 'no-dir';
    });
    expect(new Set(outcomes)).toEqual(new Set(['dir', 'no-dir']));
  });
});

describe('MemoryStorage crash: file data', () => {
  it('an unsynced overwrite survives per sector (torn writes)', async () => {
    const seen = new Set<string>();
    await overSeeds(40, async (seed) => {
      const storage = seeded(seed);
      await syncedFile(storage, 'f', filled(4 * SECTOR, 1));
      const file = await storage.open('f');
      file.writevSync([filled(4 * SECTOR, 2)], 0);
      storage.crash();
      const content = (await readWholeIfExists(storage, 'f')) as Uint8Array;
      expect(content.byteLength).toBe(4 * SECTOR);
      const kinds = sectors(content, 0, 4 * SECTOR, 1, 2);
      expect(kinds.every((k) => k === 'old' || k === 'new')).toBe(true);
      seen.add(new Set(kinds).size === 2 ? 'torn' : (kinds[0] as string));
    });
    expect(seen).toEqual(new Set(['torn', 'old', 'new']));
  });

  it('tearing follows absolute sector boundaries for unaligned writes', async () => {
    await overSeeds(20, async (seed) => {
      const storage = seeded(seed);
      await syncedFile(storage, 'f', filled(3 * SECTOR, 1));
      const file = await storage.open('f');
      file.writevSync([filled(SECTOR, 2)], 100);
      storage.crash();
      const content = (await readWholeIfExists(storage, 'f')) as Uint8Array;
      const head = content.subarray(100, SECTOR);
      const tail = content.subarray(SECTOR, SECTOR + 100);
      expect(head.every((b) => b === head[0])).toBe(true);
      expect(tail.every((b) => b === tail[0])).toBe(true);
      expect(content.subarray(0, 100).every((b) => b === 1)).toBe(true);
    });
  });

  it('an unsynced append leaves a torn or zero-filled tail, never garbage', async () => {
    const seen = new Set<string>();
    await overSeeds(60, async (seed) => {
      const storage = seeded(seed);
      await syncedFile(storage, 'log', filled(SECTOR, 1));
      const file = await storage.open('log');
      file.writevSync([filled(4 * SECTOR, 2)], SECTOR);
      storage.crash();
      const content = (await readWholeIfExists(storage, 'log')) as Uint8Array;
      expect(content.byteLength).toBeGreaterThanOrEqual(SECTOR);
      expect(content.byteLength).toBeLessThanOrEqual(5 * SECTOR);
      expect(content.byteLength % SECTOR).toBe(0);
      expect(content.subarray(0, SECTOR).every((b) => b === 1)).toBe(true);
      const kinds = sectors(content, SECTOR, content.byteLength, 1, 2);
      expect(kinds.every((k) => k === 'new' || k === 'zero')).toBe(true);
      if (content.byteLength === SECTOR) seen.add('nothing');
      else if (kinds.includes('zero')) seen.add('holes');
      else seen.add('data');
      if (content.byteLength === 5 * SECTOR && kinds.at(-1) === 'zero') seen.add('zero-tail');
    });
    expect(seen).toEqual(new Set(['nothing', 'holes', 'data', 'zero-tail']));
  });

  it('writes into a synced preallocation leave zeros where they were lost', async () => {
    await overSeeds(20, async (seed) => {
      const storage = seeded(seed);
      const file = await storage.open('seg', { create: true });
      await file.preallocate(8 * SECTOR);
      await file.datasync();
      await storage.syncDir();
      file.writevSync([filled(3 * SECTOR, 9)], 0);
      storage.crash();
      const content = (await readWholeIfExists(storage, 'seg')) as Uint8Array;
      expect(content.byteLength).toBe(8 * SECTOR);
      const kinds = sectors(content, 0, 8 * SECTOR, -1, 9);
      expect(kinds.slice(3).every((k) => k === 'zero')).toBe(true);
      expect(kinds.every((k) => k === 'new' || k === 'zero')).toBe(true);
    });
  });

  it('prefix mode keeps writes in order: a later write never survives without the earlier ones', async () => {
    await overSeeds(40, async (seed) => {
      const storage = seeded(seed);
      await syncedFile(storage, 'log', new Uint8Array(0));
      const file = await storage.open('log');
      for (let i = 0; i < 6; i++) file.writevSync([filled(SECTOR, 10 + i)], i * SECTOR);
      storage.crash();
      const content = (await readWholeIfExists(storage, 'log')) as Uint8Array;
      let lastKept = -1;
      for (let i = 0; i * SECTOR < content.byteLength; i++) if (content[i * SECTOR] === 10 + i) lastKept = i;
      for (let i = 0; i < lastKept; i++) expect(content[i * SECTOR]).toBe(10 + i);
    });
  });

  it('subset mode may keep a later write and lose an earlier one', async () => {
    const outcomes = await overSeeds(40, async (seed) => {
      const storage = seeded(seed, { crashMode: 'subset' });
      await syncedFile(storage, 'log', new Uint8Array(0));
      const file = await storage.open('log');
      file.writevSync([filled(SECTOR, 1)], 0);
      file.writevSync([filled(SECTOR, 2)], SECTOR);
      storage.crash();
      const content = (await readWholeIfExists(storage, 'log')) as Uint8Array;
      return content.byteLength === 2 * SECTOR && content[0] === 0 && content[SECTOR] === 2;
    });
    expect(outcomes).toContain(true);
  });

  it('an unsynced truncate is either applied or not', async () => {
    const outcomes = await overSeeds(24, async (seed) => {
      const storage = seeded(seed);
      await syncedFile(storage, 'f', filled(1000, 3));
      const file = await storage.open('f');
      await file.truncate(10);
      storage.crash();
      const content = (await readWholeIfExists(storage, 'f')) as Uint8Array;
      expect([10, 1000]).toContain(content.byteLength);
      expect(content.every((b) => b === 3)).toBe(true);
      return content.byteLength;
    });
    expect(new Set(outcomes)).toEqual(new Set([10, 1000]));
  });

  it('data synced through one handle survives even if another handle wrote later', async () => {
    await overSeeds(10, async (seed) => {
      const storage = seeded(seed);
      await syncedFile(storage, 'f', filled(100, 1));
      const a = await storage.open('f');
      const b = await storage.open('f');
      a.writevSync([filled(100, 2)], 0);
      await b.datasync();
      a.writevSync([filled(100, 3)], 100);
      storage.crash();
      const content = (await readWholeIfExists(storage, 'f')) as Uint8Array;
      expect(content.subarray(0, 100)).toEqual(filled(100, 2));
    });
  });
});

describe('MemoryStorage crash: process semantics', () => {
  it('handles opened before a crash fail with ERR_CRASHED; close still succeeds', async () => {
    const storage = seeded(1);
    const file = await storage.open('f', { create: true });
    storage.crash();
    const out = new Uint8Array(1);
    expect(await codeOf(() => file.writevSync([out], 0))).toBe('ERR_CRASHED');
    expect(await codeOf(() => file.readSync(out, 0, 1, 0))).toBe('ERR_CRASHED');
    expect(await codeOf(() => file.writev([out], 0))).toBe('ERR_CRASHED');
    expect(await codeOf(() => file.read(out, 0, 1, 0))).toBe('ERR_CRASHED');
    expect(await codeOf(() => file.size())).toBe('ERR_CRASHED');
    expect(await codeOf(() => file.truncate(0))).toBe('ERR_CRASHED');
    expect(await codeOf(() => file.datasync())).toBe('ERR_CRASHED');
    expect(await codeOf(() => file.sync())).toBe('ERR_CRASHED');
    expect(await codeOf(() => file.preallocate(10))).toBe('ERR_CRASHED');
    await file.close();
    expect(storage.crashes).toBe(1);
  });

  it('a crash releases the lock; the old lock cannot be released afterwards', async () => {
    const storage = seeded(1);
    const lock = await storage.lock();
    expect(await codeOf(() => storage.lock())).toBe('ERR_LOCKED');
    storage.crash();
    expect(await storage.readLock()).toBeUndefined();
    expect(await codeOf(() => lock.release())).toBe('ERR_CRASHED');
    const next = await storage.lock();
    expect(await codeOf(() => storage.lock())).toBe('ERR_LOCKED');
    await next.release();
  });

  it('the storage is usable after a crash, and crashes repeat', async () => {
    const storage = seeded(3);
    for (let round = 0; round < 5; round++) {
      const file = await storage.open('f', { create: true });
      file.writevSync([filled(10, round + 1)], 0);
      await file.datasync();
      await storage.syncDir();
      storage.crash();
      expect(await readWholeIfExists(storage, 'f')).toEqual(filled(10, round + 1));
    }
    expect(storage.crashes).toBe(5);
  });

  it('crash outcomes are a pure function of the seed and the operations', async () => {
    async function run(seed: number): Promise<string> {
      const storage = seeded(seed);
      const file = await storage.open('f', { create: true });
      for (let i = 0; i < 16; i++) file.writevSync([filled(300, i + 1)], i * 300);
      storage.crash({ mode: 'subset' });
      await storage.syncDir();
      return Buffer.from((await readWholeIfExists(storage, 'f')) ?? new Uint8Array(0)).toString('hex');
    }
    const runs = await overSeeds(6, run);
    expect(await overSeeds(6, run)).toEqual(runs);
    expect(new Set(runs).size).toBeGreaterThan(1);
  });
});

describe('MemoryStorage.fork', () => {
  it('copies durable, cached and pending state independently', async () => {
    const storage = seeded(5);
    await syncedFile(storage, 'f', filled(100, 1));
    const file = await storage.open('f');
    file.writevSync([filled(100, 2)], 100);
    const copy = storage.fork({ seed: 9 });
    expect(await readWholeIfExists(copy, 'f')).toEqual(new Uint8Array(Buffer.concat([filled(100, 1), filled(100, 2)])));
    file.writevSync([filled(50, 3)], 0);
    expect((await readWholeIfExists(copy, 'f'))?.[0]).toBe(1);
    const copied = await copy.open('f');
    copied.writevSync([filled(10, 4)], 0);
    await copied.close();
    expect((await readWholeIfExists(storage, 'f'))?.[0]).toBe(3);
    copy.crash();
    const crashed = (await readWholeIfExists(copy, 'f')) as Uint8Array;
    expect(crashed.subarray(10, 100)).toEqual(filled(90, 1));
    expect([1, 4]).toContain(crashed[0]);
    expect(storage.crashes).toBe(0);
    await file.close();
  });

  it('lets one state be crashed many ways', async () => {
    const storage = seeded(1);
    await syncedFile(storage, 'log', new Uint8Array(0));
    const file = await storage.open('log');
    file.writevSync([filled(8 * SECTOR, 7)], 0);
    const sizes = new Set<number>();
    for (let seed = 1; seed <= 30; seed++) {
      const copy = storage.fork({ seed });
      copy.crash();
      sizes.add((await readWholeIfExists(copy, 'log'))?.byteLength ?? -1);
    }
    expect(sizes.size).toBeGreaterThan(3);
    expect(await readWholeIfExists(storage, 'log')).toEqual(filled(8 * SECTOR, 7));
    await file.close();
  });
});
