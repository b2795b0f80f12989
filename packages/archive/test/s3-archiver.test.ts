import { afterAll, expect, it } from 'vitest';
import { NodeFileStorage } from '@nori/storage';
import { Archiver, S3ObjectStore, WorkerObjectStore, restore, type ObjectStore } from '../src/index.js';
import { appendRecords, assembleGeneration, expectSameSegments, localSegments, openWal, readChunks } from './archiver-support.js';
import { describeS3, uniquePrefix } from './s3-env.js';
import { cleanupScratch, expectSameSegments as expectSameDirs, scratchDir } from './support/local-log.js';

// Real network and a real gateway restart: generous, but bounded.
const S3_TIMEOUT_MS = 120_000;

async function removeAll(store: ObjectStore): Promise<void> {
  for await (const { key } of store.list('')) await store.delete(key);
}

describeS3('Archiver against a real S3 store', (env) => {
  const stores: S3ObjectStore[] = [];
  const storeFor = (label: string): S3ObjectStore => {
    const store = new S3ObjectStore({ ...env.config, prefix: uniquePrefix(label), maxAttempts: 2 });
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    for (const store of stores) {
      await removeAll(store).catch(() => undefined);
      store.destroy();
    }
    await cleanupScratch();
  });
  const retry = { initialDelayMs: 50, maxDelayMs: 500 };

  it('ships a log: the archived segments are the local ones byte for byte', { timeout: S3_TIMEOUT_MS }, async () => {
    const store = storeFor('archiver-ship');
    const wal = await openWal();
    await appendRecords(wal, 100);
    const archiver = await Archiver.start(wal, { store, prefix: 'log', retry, maxChunkBytes: 3000 });
    await appendRecords(wal, 100, { from: 100 });
    await archiver.flush();
    expectSameSegments(assembleGeneration(await readChunks(store, 'log'), 1), await localSegments(wal));
    await archiver.close();
    await wal.close();
  });

  it('fences: a second primary gets ERR_FENCED; with takeover the first one is fenced', { timeout: S3_TIMEOUT_MS }, async () => {
    const store = storeFor('archiver-fence');
    const walA = await openWal();
    const walB = await openWal();
    const first = await Archiver.start(walA, { store, prefix: 'log', retry });
    await appendRecords(walA, 20);
    await first.flush();
    await expect(Archiver.start(walB, { store, prefix: 'log', retry })).rejects.toMatchObject({ code: 'ERR_FENCED' });
    const second = await Archiver.start(walB, { store, prefix: 'log', retry, takeover: true });
    await appendRecords(walA, 5, { from: 20 });
    await expect(first.flush()).rejects.toMatchObject({ code: 'ERR_FENCED' });
    await appendRecords(walB, 5, { from: 100 });
    await second.flush();
    expectSameSegments(assembleGeneration(await readChunks(store, 'log'), 2), await localSegments(walB));
    await Promise.all([first.close(), second.close()]);
    await Promise.all([walA.close(), walB.close()]);
  });

  it(
    'ships from a worker thread (WorkerObjectStore.s3): the worker reads the segment files; restore gives them back; takeover fences it',
    { timeout: S3_TIMEOUT_MS },
    async () => {
      const prefix = uniquePrefix('archiver-worker');
      await using store = WorkerObjectStore.s3({ ...env.config, prefix, maxAttempts: 2 });
      stores.push(new S3ObjectStore({ ...env.config, prefix })); // removes the objects afterwards
      const dir = await scratchDir();
      const wal = await openWal(new NodeFileStorage(dir), { fsync: 'os' });
      await appendRecords(wal, 100);
      const archiver = await Archiver.start(wal, { store, prefix: 'log', retry, maxChunkBytes: 3000 });
      expect(archiver.shipping).toBe('worker');
      await appendRecords(wal, 100, { from: 100 });
      await archiver.flush();
      expectSameSegments(assembleGeneration(await readChunks(store, 'log'), 1), await localSegments(wal));
      const restored = await scratchDir();
      await restore({ store, prefix: 'log', dir: restored });
      await expectSameDirs(dir, restored);

      const other = await openWal();
      const second = await Archiver.start(other, { store, prefix: 'log', retry, takeover: true });
      await appendRecords(wal, 5, { from: 200 });
      await expect(archiver.flush()).rejects.toMatchObject({ code: 'ERR_FENCED' });
      await Promise.all([archiver.close(), second.close()]);
      await Promise.all([wal.close(), other.close()]);
    },
  );
});
