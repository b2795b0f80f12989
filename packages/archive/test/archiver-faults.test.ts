import { comparePositions } from '@nori/wal';
import { describe, expect, it } from 'vitest';
import { ArchiveError, Archiver, MemoryObjectStore, type ObjectStore, type RetryEvent } from '../src/index.js';
import { appendRecords, assembleGeneration, expectSameSegments, localSegments, openWal, readChunks, testOptions } from './archiver-support.js';

describe('Archiver: store faults', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: random errors, timeouts and lost responses lose nothing and duplicate nothing`, async () => {
      const store = new MemoryObjectStore({
        seed,
        faults: [{ kind: 'random', probability: 0.35, ops: ['put', 'get', 'head', 'list'] }],
      });
      const wal = await openWal();
      await appendRecords(wal, 60);
      const retries: RetryEvent[] = [];
      const archiver = await Archiver.start(wal, testOptions(store, { maxChunkBytes: 700, observer: { onRetry: (e) => retries.push(e) } }));
      for (let round = 0; round < 4; round++) {
        await appendRecords(wal, 50, { from: 60 + round * 50 });
        await archiver.flush();
      }
      expect(retries.length).toBeGreaterThan(0);
      expect(archiver.state).toBe('running');
      store.clearFaults();
      // Dense seqs, one generation, continuity over the whole prefix, bytes identical.
      const chunks = await readChunks(store, 'arch');
      expect(new Set(chunks.map((c) => c.header.generation))).toEqual(new Set([1]));
      expectSameSegments(assembleGeneration(chunks, 1), await localSegments(wal));
      await archiver.close();
      await wal.close();
    });
  }

  it('a put whose response was lost is recognised as ours (same writer id and bytes), not as fencing', async () => {
    const store = new MemoryObjectStore({ faults: [{ kind: 'lost-response', op: 'put', times: 3 }] });
    const wal = await openWal();
    await appendRecords(wal, 40);
    const archiver = await Archiver.start(wal, testOptions(store));
    await archiver.flush();
    const chunks = await readChunks(store, 'arch');
    expectSameSegments(assembleGeneration(chunks, 1), await localSegments(wal));
    expect(archiver.state).toBe('running');
    await archiver.close();
    await wal.close();
  });

  it('while the store is unreachable the WAL keeps appending, lag grows, and shipping catches up afterwards', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal();
    const retries: RetryEvent[] = [];
    const archiver = await Archiver.start(
      wal,
      testOptions(store, { retry: { initialDelayMs: 1, maxDelayMs: 5 }, observer: { onRetry: (e) => retries.push(e) } }),
    );
    await appendRecords(wal, 10);
    await archiver.flush();
    const before = archiver.archivedPosition;

    store.injectFault({ kind: 'unavailable' });
    const pending = archiver.flush();
    await appendRecords(wal, 150, { from: 10 }); // the WAL is not slowed down by the store
    await expect.poll(() => retries.length, { timeout: 10_000 }).toBeGreaterThan(5);
    expect(archiver.archivedPosition).toEqual(before);
    const lag = await archiver.lag();
    expect(lag.bytes).toBeGreaterThan(150 * 100);
    await expect.poll(async () => (await archiver.lag()).seconds, { timeout: 10_000 }).toBeGreaterThan(0);

    store.clearFaults();
    await pending;
    await archiver.flush();
    expect(archiver.archivedPosition).toEqual(wal.durablePosition);
    expect((await archiver.lag()).bytes).toBe(0);
    expectSameSegments(assembleGeneration(await readChunks(store, 'arch'), 1), await localSegments(wal));
    await archiver.close();
    await wal.close();
  });

  it('close() during an outage stops at once: a waiting flush rejects with ERR_CLOSED, nothing hangs', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal();
    const retries: RetryEvent[] = [];
    const archiver = await Archiver.start(
      wal,
      testOptions(store, { retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 }, observer: { onRetry: (e) => retries.push(e) } }),
    );
    store.injectFault({ kind: 'unavailable' });
    await appendRecords(wal, 20);
    const flushing = archiver.flush();
    await expect.poll(() => retries.length, { timeout: 10_000 }).toBe(1); // now sleeping a minute before the retry
    await archiver.close();
    await expect(flushing).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(archiver.state).toBe('closed');
    await wal.close();
  });

  it('GC never removes an unarchived segment; once archived, it may', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal();
    const archiver = await Archiver.start(wal, testOptions(store));
    await appendRecords(wal, 30);
    await archiver.flush();
    const archived = archiver.archivedPosition;
    store.injectFault({ kind: 'unavailable' });
    await appendRecords(wal, 200, { from: 30 });
    expect(wal.writtenPosition.segmentId).toBeGreaterThan(archived.segmentId + 3);

    const deleted = await wal.deleteSegmentsBefore(wal.writtenPosition);
    expect(deleted.every((id) => id < archived.segmentId)).toBe(true);
    expect((await wal.segments())[0]?.id).toBe(archived.segmentId);

    store.clearFaults();
    await archiver.flush();
    await wal.deleteSegmentsBefore(wal.writtenPosition);
    expect((await wal.segments()).map((s) => s.id)).toEqual([wal.writtenPosition.segmentId]);
    await archiver.close();
    await wal.close();
  });

  it('a non-retryable store error stops the archiver: onError, and flush and later calls reject with it', async () => {
    const store = new MemoryObjectStore();
    let deny = false;
    const denying: ObjectStore = {
      put: (key, bytes, options) =>
        deny ? Promise.reject(new ArchiveError('ERR_ACCESS_DENIED', 'denied', { op: 'put', key })) : store.put(key, bytes, options),
      get: (key, options) => store.get(key, options),
      head: (key, options) => store.head(key, options),
      list: (prefix, options) => store.list(prefix, options),
      delete: (key, options) => store.delete(key, options),
    };
    const wal = await openWal();
    const errors: Error[] = [];
    const archiver = await Archiver.start(wal, testOptions(denying, { observer: { onError: (e) => errors.push(e.error) } }));
    await appendRecords(wal, 5);
    deny = true;
    await expect(archiver.flush()).rejects.toMatchObject({ code: 'ERR_ACCESS_DENIED' });
    expect(archiver.state).toBe('failed');
    expect(errors.map((e) => (e as ArchiveError).code)).toEqual(['ERR_ACCESS_DENIED']);
    deny = false;
    await expect(archiver.flush()).rejects.toMatchObject({ code: 'ERR_ACCESS_DENIED' });
    expect(comparePositions(archiver.archivedPosition, wal.durablePosition)).toBeLessThan(0);
    await archiver.close();
    await wal.close();
  });
});
