import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_SIDE_FILE, ArchiveError, Archiver, MemoryObjectStore, readArchiveSideFile, type ObjectStore } from '../src/index.js';
import { appendRecords, assembleGeneration, expectSameSegments, localSegments, openWal, readChunks, testOptions } from './archiver-support.js';

/** Copies one file between memory storages (e.g. archive.json into a fresh WAL directory). */
async function copyFile(from: MemoryStorage, to: MemoryStorage, name: string): Promise<void> {
  const source = await from.open(name, { readOnly: true });
  const bytes = new Uint8Array(await source.size());
  await source.read(bytes, 0, bytes.length, 0);
  await source.close();
  const target = await to.open(name, { create: true });
  await target.writev([bytes], 0);
  await target.datasync();
  await target.close();
}

describe('Archiver: generations and fencing', () => {
  it('a second archiver on the prefix is fenced before writing; takeover fences the first, which stops with ERR_FENCED', async () => {
    const store = new MemoryObjectStore();
    const walA = await openWal();
    const fencedEvents: string[] = [];
    const first = await Archiver.start(walA, testOptions(store, { observer: { onFenced: (e) => fencedEvents.push(e.key ?? '') } }));
    await appendRecords(walA, 30);
    await first.flush();
    const keysBefore = store.keys();

    const walB = await openWal();
    await appendRecords(walB, 10, { from: 1000 });
    await expect(Archiver.start(walB, testOptions(store))).rejects.toMatchObject({ code: 'ERR_FENCED' });
    expect(store.keys()).toEqual(keysBefore);

    const second = await Archiver.start(walB, testOptions(store, { takeover: true }));
    expect(second.generation).toBe(2);
    await second.flush();
    await appendRecords(walA, 5, { from: 30 });
    const error = await first.flush().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ArchiveError);
    expect((error as ArchiveError).code).toBe('ERR_FENCED');
    expect(first.state).toBe('fenced');
    expect(fencedEvents).toHaveLength(1);
    await expect(first.flush()).rejects.toMatchObject({ code: 'ERR_FENCED' });
    await expect(first.lag()).rejects.toMatchObject({ code: 'ERR_FENCED' });
    expect(first.error).toBe(error);

    // The archive: generation 1 = A's log, generation 2 = a takeover holding B's whole log.
    const chunks = await readChunks(store, 'arch');
    const start2 = chunks.find((c) => c.header.generation === 2);
    expect(start2?.start).toEqual({ parentGeneration: 1, reason: 'takeover' });
    expect(chunks.filter((c) => c.header.generation === 1).every((c) => c.header.seq < (start2?.header.seq ?? 0))).toBe(true);
    expectSameSegments(assembleGeneration(chunks, 2), await localSegments(walB));
    await second.flush();
    await Promise.all([first.close(), second.close()]);
    await Promise.all([walA.close(), walB.close()]);
  });

  it('after a restart of the same WAL directory the same generation continues', async () => {
    const storage = new MemoryStorage();
    const store = new MemoryObjectStore();
    let wal = await openWal(storage);
    let archiver = await Archiver.start(wal, testOptions(store));
    await appendRecords(wal, 80);
    await archiver.close({ flush: true });
    await wal.close();
    const seqBefore = (await readChunks(store, 'arch')).length;

    wal = await openWal(storage);
    const resumed: number[] = [];
    archiver = await Archiver.start(wal, testOptions(store, { observer: { onGenerationResumed: (e) => resumed.push(e.generation) } }));
    expect(resumed).toEqual([1]);
    expect(archiver.generation).toBe(1);
    expect(archiver.stats().nextSeq).toBe(seqBefore);
    await appendRecords(wal, 80, { from: 80 });
    await archiver.flush();
    const chunks = await readChunks(store, 'arch');
    expect(chunks.filter((c) => c.start !== undefined)).toHaveLength(1);
    expectSameSegments(assembleGeneration(chunks, 1), await localSegments(wal));
    await archiver.close();
    await wal.close();
  });

  it('a local log that no longer matches its generation starts a new one (diverged) with a snapshot of every local segment', async () => {
    const storage = new MemoryStorage();
    const store = new MemoryObjectStore();
    const wal = await openWal(storage);
    const archiver = await Archiver.start(wal, testOptions(store));
    await appendRecords(wal, 60);
    await archiver.close({ flush: true });
    await wal.close();

    // A different log in a directory that still claims generation 1 (e.g. restored from an old copy).
    const other = new MemoryStorage();
    await copyFile(storage, other, ARCHIVE_SIDE_FILE);
    const divergedWal = await openWal(other);
    await appendRecords(divergedWal, 25, { from: 500 });
    const next = await Archiver.start(divergedWal, testOptions(store));
    expect(next.generation).toBe(2);
    await next.flush();
    const chunks = await readChunks(store, 'arch');
    expect(chunks.find((c) => c.header.generation === 2)?.start).toEqual({ parentGeneration: 1, reason: 'diverged' });
    expectSameSegments(assembleGeneration(chunks, 2), await localSegments(divergedWal));
    expect(await readArchiveSideFile(other)).toMatchObject({ generation: 2, reason: 'diverged' });
    await next.close();
    await divergedWal.close();
  });

  it('a new generation begins with a snapshot of the local segments from the oldest one (after local GC)', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal();
    await appendRecords(wal, 150);
    await wal.deleteSegmentsBefore({ segmentId: 3, offset: 0 });
    const oldest = (await wal.segments())[0]?.id;
    expect(oldest).toBe(3);
    const archiver = await Archiver.start(wal, testOptions(store));
    await archiver.flush();
    const chunks = await readChunks(store, 'arch');
    expect(chunks[1]?.header).toMatchObject({ segmentId: 3, offset: 0 });
    expectSameSegments(assembleGeneration(chunks, 1), await localSegments(wal));
    await archiver.close();
    await wal.close();
  });

  it('a start interrupted after archive.json but before its generation-start chunk is redone as planned', async () => {
    const store = new MemoryObjectStore();
    const walA = await openWal();
    const first = await Archiver.start(walA, testOptions(store));
    await appendRecords(walA, 10);
    await first.close({ flush: true });
    await walA.close();

    const storageB = new MemoryStorage();
    const walB = await openWal(storageB);
    await appendRecords(walB, 10, { from: 100 });
    const failingPuts: ObjectStore = {
      put: (key) => Promise.reject(new ArchiveError('ERR_ACCESS_DENIED', 'denied', { op: 'put', key })),
      get: (key, options) => store.get(key, options),
      head: (key, options) => store.head(key, options),
      list: (prefix, options) => store.list(prefix, options),
      delete: (key, options) => store.delete(key, options),
    };
    await expect(Archiver.start(walB, testOptions(failingPuts, { takeover: true }))).rejects.toMatchObject({ code: 'ERR_ACCESS_DENIED' });
    expect(await readArchiveSideFile(storageB)).toMatchObject({ generation: 2, reason: 'takeover' });
    // Restarted without takeover: the takeover decided before the crash still holds.
    const second = await Archiver.start(walB, testOptions(store));
    expect(second.generation).toBe(2);
    await second.flush();
    const chunks = await readChunks(store, 'arch');
    expectSameSegments(assembleGeneration(chunks, 2), await localSegments(walB));
    await second.close();
    await walB.close();
  });

  it('a prefix archived by a WAL without archive.json is another primary: ERR_FENCED without takeover', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal();
    const archiver = await Archiver.start(wal, testOptions(store));
    await archiver.close({ flush: true });
    await wal.storage.remove(ARCHIVE_SIDE_FILE);
    await expect(Archiver.start(wal, testOptions(store))).rejects.toMatchObject({ code: 'ERR_FENCED' });
    await wal.close();
  });
});
