import { MemoryStorage, StorageError, type OpenOptions, type Storage, type StorageFile } from '@nori/storage';
import { record } from '@nori/test-support';
import { describe, expect, it } from 'vitest';
import { Wal, comparePositions, type WalConfig } from '../src/index.js';
import { flipByte, logOpenAndClose, withOverrides } from './storage-helpers.js';

const SEGMENT = 16 * 1024;
const SPARE = '000099.wal.next';

/**
 * A storage that logs segment opens and closes, opens of `index.json` and removals, and can hold
 * back removals (each resolves only when `release()` is called) or fail them.
 */
class WatchedStorage {
  readonly events: string[] = [];
  holdRemovals = false;
  failRemovals = false;
  private readonly held: (() => void)[] = [];

  constructor(readonly inner: MemoryStorage) {}

  view(): Storage {
    return withOverrides(this.inner, {
      remove: async (name: string) => this.remove(name),
      open: async (name: string, options?: OpenOptions) => this.open(name, options),
    });
  }

  /** Lets every held removal go on. */
  release(): void {
    for (const go of this.held.splice(0)) go();
  }

  private async remove(name: string): Promise<void> {
    this.events.push(`remove ${name}`);
    if (this.holdRemovals) await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.failRemovals) throw new StorageError('ERR_IO', `injected remove failure of ${name}`);
    await this.inner.remove(name);
    this.events.push(`removed ${name}`);
  }

  private async open(name: string, options?: OpenOptions): Promise<StorageFile> {
    if (name === 'index.json') this.events.push('open index.json');
    const file = await this.inner.open(name, options);
    if (!name.endsWith('.wal')) return file;
    return logOpenAndClose(file, name, this.events);
  }
}

/** A closed log of about 4 full segments (1 KiB records) with an index anchor and a stale spare. */
async function writeLog(): Promise<{ mem: MemoryStorage; config: WalConfig }> {
  const mem = new MemoryStorage({ seed: 11 });
  const config: WalConfig = { storage: mem, fsync: 'os', maxSegmentSize: SEGMENT, preallocate: false };
  const { wal } = await Wal.open(config);
  for (let i = 0; i < 60; i++) await wal.append(record(i, 1000));
  // Writes index.json (the first index of the new oldest segment).
  await wal.deleteSegmentsBefore({ segmentId: 1, offset: 0 });
  await wal.close();
  const spare = await mem.open(SPARE, { create: true });
  await spare.close();
  return { mem, config };
}

describe('Wal.open works on side files during the scan', () => {
  it('reads index.json and removes leftovers before the scan of the last segment ends (writable)', async () => {
    const { mem, config } = await writeLog();
    const watched = new WatchedStorage(mem);
    const { wal, recovery } = await Wal.open({ ...config, storage: watched.view() });
    const firstIndex = wal.firstIndex;
    await wal.close();
    expect(recovery.segments).toBeGreaterThanOrEqual(3);
    expect(firstIndex).toBeGreaterThan(1);
    const segments = watched.events.filter((e) => e.startsWith('close ')).map((e) => e.slice('close '.length));
    const lastScanned = watched.events.indexOf(`close ${segments[recovery.segments - 1]!}`);
    expect(watched.events.indexOf('open index.json')).toBeLessThan(lastScanned);
    expect(watched.events.indexOf(`removed ${SPARE}`)).toBeLessThan(lastScanned);
    expect(await mem.exists(SPARE)).toBe(false);
  });

  it('a read-only open reads index.json only after its scan', async () => {
    const { mem, config } = await writeLog();
    const watched = new WatchedStorage(mem);
    const { wal, recovery } = await Wal.open({ ...config, storage: watched.view(), readOnly: true });
    await wal.close();
    const closes = watched.events.filter((e) => e.startsWith('close '));
    expect(closes.length).toBeGreaterThanOrEqual(recovery.segments);
    const scanEnd = watched.events.indexOf(closes[recovery.segments - 1]!);
    expect(watched.events.indexOf('open index.json')).toBeGreaterThan(scanEnd);
    expect(watched.events.some((e) => e.startsWith('remove'))).toBe(false);
  });

  it('a failed scan waits for the leftover removal before the open rejects and the lock is released', async () => {
    const { mem, config } = await writeLog();
    await flipByte(mem, '000002.wal', 3000);
    const watched = new WatchedStorage(mem);
    watched.holdRemovals = true;
    let settled = false;
    const opening = Wal.open({ ...config, storage: watched.view(), recovery: 'strict' }).finally(() => (settled = true));
    // The scan fails while the removal is held: the open must not settle before it ends.
    for (let i = 0; i < 50 && !watched.events.includes(`remove ${SPARE}`); i++) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    watched.release();
    await expect(opening).rejects.toMatchObject({ code: 'ERR_CORRUPTION' });
    expect(watched.events).toContain(`removed ${SPARE}`);
    // The lock was released: a fresh open (which salvages nothing in strict mode) locks again.
    const again = await Wal.open({ ...config, recovery: 'point-in-time' });
    await again.wal.close();
  });

  it('a failed leftover removal fails the open with ERR_IO and releases the lock', async () => {
    const { mem, config } = await writeLog();
    const watched = new WatchedStorage(mem);
    watched.failRemovals = true;
    await expect(Wal.open({ ...config, storage: watched.view() })).rejects.toMatchObject({
      code: 'ERR_IO',
      message: expect.stringContaining('removing leftover files'),
    });
    const { wal } = await Wal.open(config);
    await wal.close();
  });

  it('makes the recovered tail durable: a power loss right after the open keeps every record it recovered', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const mem = new MemoryStorage({ seed });
      const config: WalConfig = { storage: mem, fsync: 'os', maxSegmentSize: SEGMENT, preallocate: false };
      const { wal } = await Wal.open(config);
      for (let i = 0; i < 40; i++) await wal.append(record(i, 1000));
      // The writer process dies: the page cache (unsynced appends) survives, handles and lock do not.
      expect(comparePositions(wal.durablePosition, wal.writtenPosition)).toBeLessThan(0);
      const afterDeath = mem.fork();
      const { wal: reopened, recovery } = await Wal.open({ ...config, storage: afterDeath });
      expect(recovery.records).toBe(40);
      expect(reopened.durablePosition).toEqual(recovery.lastPosition);
      // Power is lost right after the open (nothing closed, nothing appended).
      const disk = afterDeath.fork({ seed: seed + 100 });
      disk.crash();
      const { wal: again, recovery: last } = await Wal.open({ ...config, storage: disk });
      expect(last.records, `seed ${seed}`).toBe(40);
      await again.close();
      await reopened.close();
    }
  });

  it('flushes each tail segment once: the writer does not fdatasync again what the scan flushed', async () => {
    const { mem, config } = await writeLog();
    const flushes: string[] = [];
    const storage = withOverrides(mem, {
      open: async (name: string, options?: OpenOptions) => {
        const file = await mem.open(name, options);
        const datasync = file.datasync.bind(file);
        file.datasync = async () => {
          flushes.push(name);
          await datasync();
        };
        return file;
      },
    });
    const { wal } = await Wal.open({ ...config, storage });
    const active = (await wal.segments()).at(-1)?.name;
    expect(active).toBeDefined();
    expect(flushes.filter((name) => name === active)).toEqual([active]);
    await wal.close();
  });
});
