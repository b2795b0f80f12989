import { MemoryStorage } from '@nori/storage';
import { Wal, comparePositions } from '@nori/wal';
import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_SIDE_FILE,
  Archiver,
  ChunkKind,
  MemoryObjectStore,
  decodeGenerationRecord,
  generationKey,
  readArchiveSideFile,
  type ChunkShippedEvent,
} from '../src/index.js';
import { appendRecords, assembleGeneration, expectSameSegments, localSegments, openWal, readChunks, testOptions } from './archiver-support.js';

describe('Archiver: shipping', () => {
  it('ships sealed segments and the tail; the archived bytes are the local segments byte for byte', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal();
    await appendRecords(wal, 20);
    const shipped: ChunkShippedEvent[] = [];
    const archiver = await Archiver.start(wal, testOptions(store, { observer: { onChunkShipped: (e) => shipped.push(e) } }));
    expect(archiver.generation).toBe(1);
    await appendRecords(wal, 200, { from: 20 });
    const archived = await archiver.flush();
    expect(archived).toEqual(wal.durablePosition);
    expect(archiver.archivedPosition).toEqual(wal.durablePosition);

    const chunks = await readChunks(store, 'arch');
    expect(chunks[0]?.header.kind).toBe(ChunkKind.generationStart);
    expect(chunks[0]?.start).toEqual({ parentGeneration: null, reason: 'new-log' });
    expect(new Set(chunks.map((c) => c.header.segmentId)).size).toBeGreaterThan(3);
    expectSameSegments(assembleGeneration(chunks, 1), await localSegments(wal));
    expect(shipped.map((e) => e.seq)).toEqual(chunks.map((c) => c.header.seq));
    expect(archiver.stats()).toMatchObject({ generation: 1, nextSeq: chunks.length, chunks: chunks.length - 1 });

    const record = decodeGenerationRecord((await store.get(generationKey('arch', 1))).bytes, 'record');
    expect(record).toMatchObject({ generation: 1, startSeq: 0, writerId: chunks[0]?.header.writerId, reason: 'new-log' });
    expect(await readArchiveSideFile(wal.storage)).toMatchObject({ prefix: 'arch', generation: 1, startSeq: 0 });
    expect(await wal.storage.list()).toContain(ARCHIVE_SIDE_FILE);
    await archiver.close();
    await wal.close();
  });

  it("never ships bytes beyond the WAL's durablePosition (fsync 'os'): the archive survives a power loss as a prefix of the log", async () => {
    const storage = new MemoryStorage();
    const store = new MemoryObjectStore();
    const wal = await openWal(storage, { fsync: 'os' });
    const archiver = await Archiver.start(wal, testOptions(store, { intervalMs: 1, maxBytes: 1 }));
    await appendRecords(wal, 5);
    await wal.sync();
    const durable = wal.durablePosition;
    await appendRecords(wal, 10, { from: 5 }); // acknowledged, not durable
    expect(comparePositions(wal.writtenPosition, durable)).toBeGreaterThan(0);
    // Let the archiver run many rounds (interval 1 ms) and the maxBytes poll fire.
    for (let round = 0; round < 5; round++) await new Promise((resolve) => setTimeout(resolve, 60));
    expect(archiver.archivedPosition).toEqual(durable);
    const chunks = await readChunks(store, 'arch');
    const last = chunks[chunks.length - 1]?.header;
    expect(last === undefined ? undefined : { segmentId: last.segmentId, offset: last.offset + last.payloadLength }).toEqual(durable);
    expect((await archiver.lag()).bytes).toBe(0);
    await archiver.close();
    // A power loss keeps at least the durable bytes: the archive is a prefix of the recovered log.
    storage.crash();
    const reopened = await Wal.open({ storage, fsync: 'os', maxSegmentSize: 4096, preallocate: false });
    const local = await localSegments(reopened.wal);
    for (const [id, bytes] of assembleGeneration(chunks, 1)) {
      expect(Buffer.compare(bytes, (local.get(id) as Uint8Array).subarray(0, bytes.length)), `segment ${id}`).toBe(0);
    }
    await reopened.wal.close();
  });

  it("flush syncs the WAL first: a 'batch' append with a long window is archived when flush resolves", async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal(undefined, { fsync: { kind: 'batch', windowMs: 60_000 } });
    const archiver = await Archiver.start(wal, testOptions(store));
    const { position } = await wal.append({ key: 'late', value: 'durable only after a sync' });
    expect(comparePositions(wal.durablePosition, position)).toBeLessThanOrEqual(0);
    const archived = await archiver.flush();
    expect(comparePositions(archived, position)).toBeGreaterThan(0);
    const chunks = await readChunks(store, 'arch');
    expectSameSegments(assembleGeneration(chunks, 1), await localSegments(wal));
    await archiver.close();
    await wal.close();
  });

  it('splits ranges longer than maxChunkBytes at record boundaries; a larger record is a chunk of its own', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal(undefined, { maxSegmentSize: 64 * 1024 });
    await appendRecords(wal, 50, { size: 100 });
    await wal.append({ key: 'big', value: 'x'.repeat(2000) });
    await appendRecords(wal, 20, { from: 50, size: 100 });
    const archiver = await Archiver.start(wal, testOptions(store, { maxChunkBytes: 500 }));
    await archiver.flush();
    const chunks = await readChunks(store, 'arch');
    const sizes = chunks.slice(1).map((c) => c.payload.length);
    expect(sizes.filter((size) => size > 500)).toHaveLength(1);
    expect(Math.max(...sizes)).toBeGreaterThan(2000);
    expect(sizes.length).toBeGreaterThan(10);
    expectSameSegments(assembleGeneration(chunks, 1), await localSegments(wal));
    await archiver.close();
    await wal.close();
  });

  it('ships on the interval and when maxBytes are pending, without flush', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal();
    const archiver = await Archiver.start(wal, testOptions(store, { maxBytes: 1000 }));
    await appendRecords(wal, 30);
    // Interval is a minute: only the maxBytes trigger can ship this.
    await expect.poll(() => comparePositions(archiver.archivedPosition, wal.durablePosition), { timeout: 10_000 }).toBe(0);
    await archiver.close();

    const timed = await Archiver.start(wal, testOptions(store, { intervalMs: 5 }));
    await appendRecords(wal, 1, { from: 30 });
    await expect.poll(() => comparePositions(timed.archivedPosition, wal.durablePosition), { timeout: 10_000 }).toBe(0);
    await timed.close();
    await wal.close();
  });

  it('close({ flush: true }) ships everything first; every later call is ERR_CLOSED and the GC hold is gone', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal();
    const archiver = await Archiver.start(wal, testOptions(store));
    await appendRecords(wal, 100);
    await archiver.close({ flush: true });
    expect(archiver.state).toBe('closed');
    expect(archiver.archivedPosition).toEqual(wal.durablePosition);
    await archiver.close(); // idempotent
    await expect(archiver.flush()).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await wal.deleteSegmentsBefore(wal.writtenPosition);
    expect((await wal.segments()).map((s) => s.id)).toEqual([wal.writtenPosition.segmentId]);
    await wal.close();
  });

  it('refuses bad options with ERR_INVALID_ARGUMENT before touching the store', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal();
    await expect(Archiver.start(wal, testOptions(store, { intervalMs: 0 }))).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(Archiver.start(wal, testOptions(store, { maxChunkBytes: 1.5 }))).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(Archiver.start(wal, { store: {} as never, prefix: 'p' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(Archiver.start(wal, testOptions(store, { prefix: 'a//b' }))).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
    await expect(Archiver.start(undefined as never, testOptions(store))).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(store.keys()).toEqual([]);
    await wal.close();
  });
});
