import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_SIDE_FILE,
  ArchiveError,
  Archiver,
  MemoryObjectStore,
  chunkKey,
  decodeGenerationRecord,
  generationKey,
  type ObjectStore,
} from '../src/index.js';
import { backoffDelay } from '../src/archiver/backoff.js';
import { appendRecords, openWal, seededRandom, testOptions } from './archiver-support.js';

async function writeFile(storage: MemoryStorage, name: string, text: string): Promise<void> {
  const file = await storage.open(name, { create: true });
  await file.truncate(0);
  await file.writev([new TextEncoder().encode(text)], 0);
  await file.datasync();
  await file.close();
}

describe('Archiver: start and backoff details', () => {
  it('backoff doubles from initialDelayMs up to maxDelayMs, jittered within [d/2, d]', () => {
    const retry = { initialDelayMs: 100, maxDelayMs: 1000, random: seededRandom(3) };
    const ceilings = [100, 200, 400, 800, 1000, 1000];
    ceilings.forEach((ceiling, i) => {
      const delay = backoffDelay(i + 1, retry);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    });
    expect(backoffDelay(3, { ...retry, random: () => 0 })).toBe(200);
    expect(backoffDelay(3, { ...retry, random: () => 0.999999 })).toBe(400);
    // Seeded jitter is reproducible.
    const a = [1, 2, 3, 4].map((n) => backoffDelay(n, { ...retry, random: seededRandom(9) }));
    const b = [1, 2, 3, 4].map((n) => backoffDelay(n, { ...retry, random: seededRandom(9) }));
    expect(a).toEqual(b);
  });

  it('a resumed generation whose index record is missing gets it written from its generation-start chunk', async () => {
    const storage = new MemoryStorage();
    const store = new MemoryObjectStore();
    let wal = await openWal(storage);
    let archiver = await Archiver.start(wal, testOptions(store));
    await appendRecords(wal, 10);
    await archiver.close({ flush: true });
    await wal.close();
    const record = (await store.get(generationKey('arch', 1))).bytes;
    await store.delete(generationKey('arch', 1)); // as if the process died between the two puts

    wal = await openWal(storage);
    archiver = await Archiver.start(wal, testOptions(store));
    expect(archiver.generation).toBe(1);
    const rewritten = (await store.get(generationKey('arch', 1))).bytes;
    expect(Buffer.compare(rewritten, record)).toBe(0);
    expect(decodeGenerationRecord(rewritten, 'r')).toMatchObject({ generation: 1, startSeq: 0, reason: 'new-log' });
    await archiver.close();
    await wal.close();
  });

  it('a malformed archive.json is ERR_ARCHIVE_CORRUPT naming it; nothing is written', async () => {
    const storage = new MemoryStorage();
    const store = new MemoryObjectStore();
    const wal = await openWal(storage);
    const first = await Archiver.start(wal, testOptions(store));
    await first.close();
    const keys = store.keys();
    await writeFile(storage, ARCHIVE_SIDE_FILE, '{"format":1,"generation":"one"}');
    await expect(Archiver.start(wal, testOptions(store))).rejects.toMatchObject({ code: 'ERR_ARCHIVE_CORRUPT', key: ARCHIVE_SIDE_FILE });
    await writeFile(storage, ARCHIVE_SIDE_FILE, 'not json');
    await expect(Archiver.start(wal, testOptions(store))).rejects.toMatchObject({ code: 'ERR_ARCHIVE_CORRUPT', key: ARCHIVE_SIDE_FILE });
    expect(store.keys()).toEqual(keys);
    await wal.close();
  });

  it('a last chunk that is not a chunk is ERR_ARCHIVE_CORRUPT naming its key', async () => {
    const store = new MemoryObjectStore();
    await store.put(chunkKey('arch', 0), new TextEncoder().encode('short'));
    const wal = await openWal();
    await expect(Archiver.start(wal, testOptions(store))).rejects.toMatchObject({ code: 'ERR_ARCHIVE_CORRUPT', key: chunkKey('arch', 0) });
    await store.put(chunkKey('arch', 1), new Uint8Array(100));
    await expect(Archiver.start(wal, testOptions(store))).rejects.toMatchObject({ code: 'ERR_ARCHIVE_CORRUPT', key: chunkKey('arch', 1) });
    await wal.close();
  });

  it('an aborted signal stops the start before any write; a failed start releases its GC hold', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal();
    await expect(Archiver.start(wal, testOptions(store, { signal: AbortSignal.abort() }))).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(store.keys()).toEqual([]);
    const denied: ObjectStore = {
      put: (key, bytes, options) => store.put(key, bytes, options),
      get: (key, options) => store.get(key, options),
      head: (key, options) => store.head(key, options),
      list: () => ({
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new ArchiveError('ERR_ACCESS_DENIED', 'denied', { op: 'list' })) }),
      }),
      delete: (key, options) => store.delete(key, options),
    };
    await expect(Archiver.start(wal, testOptions(denied))).rejects.toMatchObject({ code: 'ERR_ACCESS_DENIED' });
    await appendRecords(wal, 150);
    await wal.deleteSegmentsBefore(wal.writtenPosition);
    expect((await wal.segments()).map((s) => s.id)).toEqual([wal.writtenPosition.segmentId]);
    await wal.close();
  });
});
