import { NodeFileStorage } from '@nori/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { Archiver, MemoryObjectStore, WorkerObjectStore, restore, type ArchiveError, type RetryEvent } from '../src/index.js';
import { appendRecords, assembleGeneration, expectCode, expectSameSegments, localSegments, openWal, readChunks, testOptions } from './archiver-support.js';
import { cleanupScratch, expectSameSegments as expectSameDirs, scratchDir } from './support/local-log.js';
import { hostOf, settlesWithin, sharedWorkerStore } from './worker-support.js';

const shared = sharedWorkerStore();
afterAll(cleanupScratch);

describe('Archiver shipping through a WorkerObjectStore', () => {
  it('reads a file WAL in the worker and ships it byte for byte; a restore equals the local log', async () => {
    const store = await shared.fresh();
    const dir = await scratchDir();
    const wal = await openWal(new NodeFileStorage(dir), { fsync: 'os' });
    const archiver = await Archiver.start(wal, testOptions(store, { maxChunkBytes: 1500 }));
    expect(archiver.shipping).toBe('worker');
    await appendRecords(wal, 120);
    await archiver.flush();
    expect(archiver.archivedPosition).toEqual(wal.durablePosition);
    expect(archiver.stats().chunks).toBeGreaterThan(8); // cut at record boundaries below 1500 bytes
    expectSameSegments(assembleGeneration(await readChunks(store, 'arch'), 1), await localSegments(wal));
    await archiver.close();
    await wal.close();
    const restored = await scratchDir();
    await restore({ store, prefix: 'arch', dir: restored });
    await expectSameDirs(dir, restored);
  });

  for (const seed of [1, 2]) {
    it(`seed ${seed}: random errors, timeouts and lost responses in the worker lose nothing and duplicate nothing`, async () => {
      const store = await shared.fresh({ seed, faults: [{ kind: 'random', probability: 0.35, ops: ['put', 'get', 'head', 'list'] }] });
      const wal = await openWal();
      await appendRecords(wal, 60);
      const retries: RetryEvent[] = [];
      const archiver = await Archiver.start(wal, testOptions(store, { maxChunkBytes: 700, observer: { onRetry: (e) => retries.push(e) } }));
      expect(archiver.shipping).toBe('worker');
      for (let round = 0; round < 3; round++) {
        await appendRecords(wal, 50, { from: 60 + round * 50 });
        await archiver.flush();
      }
      expect(retries.some((e) => e.op === 'put')).toBe(true);
      expect(archiver.state).toBe('running');
      await store.clearFaults();
      expectSameSegments(assembleGeneration(await readChunks(store, 'arch'), 1), await localSegments(wal));
      await archiver.close();
      await wal.close();
    });
  }

  it('a put whose response was lost is recognised in the worker as ours', async () => {
    const store = await shared.fresh({ faults: [{ kind: 'lost-response', op: 'put', times: 3 }] });
    const wal = await openWal();
    await appendRecords(wal, 40);
    const archiver = await Archiver.start(wal, testOptions(store));
    await archiver.flush();
    expectSameSegments(assembleGeneration(await readChunks(store, 'arch'), 1), await localSegments(wal));
    expect(archiver.state).toBe('running');
    await archiver.close();
    await wal.close();
  });

  it('during an outage the WAL keeps appending and shipping catches up; close() during an outage rejects a flush with ERR_CLOSED', async () => {
    const store = await shared.fresh();
    const wal = await openWal();
    const retries: RetryEvent[] = [];
    const archiver = await Archiver.start(
      wal,
      testOptions(store, { retry: { initialDelayMs: 1, maxDelayMs: 5 }, observer: { onRetry: (e) => retries.push(e) } }),
    );
    await appendRecords(wal, 10);
    await archiver.flush();
    const before = archiver.archivedPosition;
    await store.injectFault({ kind: 'unavailable' });
    const pending = archiver.flush();
    await appendRecords(wal, 100, { from: 10 });
    await expect.poll(() => retries.length, { timeout: 10_000 }).toBeGreaterThan(3);
    expect(archiver.archivedPosition).toEqual(before);
    expect((await archiver.lag()).bytes).toBeGreaterThan(100 * 100);
    await store.clearFaults();
    await pending;
    await archiver.flush();
    expect(archiver.archivedPosition).toEqual(wal.durablePosition);
    expectSameSegments(assembleGeneration(await readChunks(store, 'arch'), 1), await localSegments(wal));

    await store.injectFault({ kind: 'unavailable' });
    await appendRecords(wal, 5, { from: 110 });
    const flushing = archiver.flush();
    await expect.poll(() => retries.length, { timeout: 10_000 }).toBeGreaterThan(retries.length);
    await archiver.close();
    await expectCode(flushing, 'ERR_CLOSED');
    expect(hostOf(store).pending).toBe(0);
    await store.clearFaults();
    await wal.close();
  });

  it('two archivers on one prefix through the worker: takeover fences the first with ERR_FENCED', async () => {
    const store = await shared.fresh();
    const walA = await openWal();
    const first = await Archiver.start(walA, testOptions(store));
    await appendRecords(walA, 20);
    await first.flush();
    const walB = await openWal();
    await appendRecords(walB, 10, { from: 1000 });
    await expectCode(Archiver.start(walB, testOptions(store)), 'ERR_FENCED');
    const second = await Archiver.start(walB, testOptions(store, { takeover: true }));
    await second.flush();
    await appendRecords(walA, 5, { from: 20 });
    await expectCode(first.flush(), 'ERR_FENCED');
    expect(first.state).toBe('fenced');
    expectSameSegments(assembleGeneration(await readChunks(store, 'arch'), 2), await localSegments(walB));
    await Promise.all([first.close(), second.close()]);
    await Promise.all([walA.close(), walB.close()]);
  });

  it("shipping: 'main-thread' with a WorkerObjectStore ships here; 'worker' needs a WorkerObjectStore", async () => {
    const store = await shared.fresh();
    const wal = await openWal();
    const archiver = await Archiver.start(wal, testOptions(store, { shipping: 'main-thread' }));
    expect(archiver.shipping).toBe('main-thread');
    await appendRecords(wal, 20);
    await archiver.flush();
    expectSameSegments(assembleGeneration(await readChunks(store, 'arch'), 1), await localSegments(wal));
    await archiver.close();
    await expectCode(Archiver.start(wal, testOptions(new MemoryObjectStore(), { shipping: 'worker' })), 'ERR_INVALID_ARGUMENT');
    expect((await Archiver.start(wal, testOptions(new MemoryObjectStore()))).shipping).toBe('main-thread');
    await wal.close();
  });
});

describe('Archiver: the worker crashes', () => {
  it('an idle archiver fails at once with ERR_WORKER_EXITED (onError), flush and later calls reject with it', async () => {
    const store = WorkerObjectStore.memory();
    const wal = await openWal();
    const errors: Error[] = [];
    const archiver = await Archiver.start(wal, testOptions(store, { observer: { onError: (e) => errors.push(e.error) } }));
    await appendRecords(wal, 10);
    await archiver.flush();
    hostOf(store).crashForTesting();
    await expect.poll(() => archiver.state, { timeout: 10_000 }).toBe('failed');
    expect(errors.map((e) => (e as ArchiveError).code)).toEqual(['ERR_WORKER_EXITED']);
    expect(archiver.error?.message).toContain('crash injected by a test');
    await appendRecords(wal, 5, { from: 10 });
    await expectCode(archiver.flush(), 'ERR_WORKER_EXITED');
    await expectCode(archiver.append({ key: 'k', value: 'v' }), 'ERR_WORKER_EXITED');
    await archiver.close();
    await wal.close();
    await expect(settlesWithin(store.exited, 10_000)).resolves.toBe(true);
    await store.close();
  });

  it('a flush waiting on a chunk in flight rejects with ERR_WORKER_EXITED', async () => {
    const store = WorkerObjectStore.memory();
    const wal = await openWal();
    const archiver = await Archiver.start(wal, testOptions(store, { maxChunkBytes: 500 }));
    await appendRecords(wal, 30);
    const host = hostOf(store);
    // The crash message follows the first chunk's request: the worker dies with it in flight (or,
    // should it answer first, with the next of the several chunks this flush needs).
    const request = host.request.bind(host);
    host.request = <T>(...args: Parameters<typeof host.request>): Promise<T> => {
      const answer = request<T>(...args);
      if (args[0] === 'ship') host.crashForTesting();
      return answer;
    };
    await expectCode(archiver.flush(), 'ERR_WORKER_EXITED');
    expect(archiver.state).toBe('failed');
    expect(host.pending).toBe(0);
    await archiver.close();
    await wal.close();
    await store.close();
  });
});
