import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { comparePositions, type Position } from '@nori/wal';
import { afterAll, expect, it } from 'vitest';
import { Archiver, S3ObjectStore, type ObjectStore } from '../src/index.js';
import { appendRecords, assembleGeneration, expectSameSegments, localSegments, openWal, readChunks } from './archiver-support.js';
import { describeS3, uniquePrefix } from './s3-env.js';

const run = promisify(execFile);
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

  const control = env.rgwControl;
  const ci = process.env['CI'] !== undefined && process.env['CI'] !== '';
  it.skipIf(control === undefined && !ci)(
    'RGW stopped and restarted mid-upload: nothing acknowledged as archived is lost, nothing is duplicated',
    { timeout: S3_TIMEOUT_MS },
    async () => {
      expect(control, 'CI runs the restart test against the project RGW: NORI_RGW_CTL must be set').toBeDefined();
      const store = storeFor('archiver-restart');
      const wal = await openWal();
      const acknowledged: Position[] = [];
      let retries = 0;
      const archiver = await Archiver.start(wal, {
        store,
        prefix: 'log',
        retry,
        intervalMs: 20,
        maxChunkBytes: 2000,
        observer: {
          onChunkShipped: (e) => {
            if (e.kind === 'data') acknowledged.push({ segmentId: e.segmentId, offset: e.offset + e.bytes });
          },
          onRetry: () => retries++,
        },
      });
      await appendRecords(wal, 100);
      const flushing = archiver.flush();
      // Stop the gateway while chunks are being uploaded (the archiver keeps running meanwhile).
      const stopped = run('bash', [control as string, 'stop-gateway'], { timeout: 60_000 });
      await appendRecords(wal, 200, { from: 100 });
      await stopped;
      await appendRecords(wal, 100, { from: 300 });
      await run('bash', [control as string, 'start-gateway'], { timeout: 60_000 });
      await flushing;
      await archiver.flush();
      expect(archiver.archivedPosition).toEqual(wal.durablePosition);

      const archived = assembleGeneration(await readChunks(store, 'log'), 1); // dense seqs + continuity
      expectSameSegments(archived, await localSegments(wal));
      expect(retries, 'the outage was seen by the archiver').toBeGreaterThan(0);
      for (const end of acknowledged) expect(archived.get(end.segmentId)?.length ?? 0).toBeGreaterThanOrEqual(end.offset);
      expect(comparePositions(acknowledged[acknowledged.length - 1] as Position, archiver.archivedPosition)).toBeLessThanOrEqual(0);
      await archiver.close();
      await wal.close();
    },
  );
});
