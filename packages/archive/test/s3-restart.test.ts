import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { comparePositions, type Position } from '@nori/wal';
import { afterAll, expect, it } from 'vitest';
import { ArchiveError, Archiver, S3ObjectStore, type ObjectStore } from '../src/index.js';
import { appendRecords, assembleGeneration, expectSameSegments, localSegments, openWal, readChunks } from './archiver-support.js';
import { describeS3, uniquePrefix } from './s3-env.js';

const encoder = new TextEncoder();
const run = promisify(execFile);
// Real network and a real gateway restart: generous, but bounded.
const S3_TIMEOUT_MS = 120_000;

async function removeAll(store: ObjectStore): Promise<void> {
  for await (const { key } of store.list('')) await store.delete(key);
}

/** The project RGW's second gateway: only these tests stop it, so no other test loses its store. */
const RESTART_GATEWAY = 'rgw-restart';

describeS3('S3ObjectStore across an RGW restart', (env) => {
  const gatewayUnderTest = env.restartGateway;
  const ci = process.env['CI'] !== undefined && process.env['CI'] !== '';
  const missing = 'CI runs the restart tests against the project RGW: NORI_RGW_CTL and NORI_RGW_RESTART_ENDPOINT must be set';
  if (gatewayUnderTest === undefined && !ci) {
    console.warn('skipping the RGW restart test: NORI_RGW_CTL / NORI_RGW_RESTART_ENDPOINT not set (the store is not the project RGW)');
  }
  // Every store here talks to the restart gateway; the other test files use the main one.
  const config = { ...env.config, endpoint: gatewayUnderTest?.endpoint ?? env.config.endpoint };

  const store = new S3ObjectStore({ ...config, prefix: uniquePrefix('restart'), maxAttempts: 2 });
  const stores: S3ObjectStore[] = [];
  afterAll(async () => {
    store.destroy();
    for (const archiveStore of stores) {
      await removeAll(archiveStore).catch(() => undefined);
      archiveStore.destroy();
    }
  });

  function gatewayArgs(command: 'stop-gateway' | 'start-gateway'): string[] {
    if (gatewayUnderTest === undefined) throw new Error(missing);
    return [gatewayUnderTest.control, command, RESTART_GATEWAY];
  }

  function gateway(command: 'stop-gateway' | 'start-gateway'): void {
    execFileSync('bash', gatewayArgs(command), { stdio: 'inherit', timeout: 60_000 });
  }

  it.skipIf(gatewayUnderTest === undefined && !ci)('reports ERR_UNAVAILABLE while RGW is down and works again after it restarts', async () => {
    expect(gatewayUnderTest, missing).toBeDefined();
    const key = (i: number): string => `seq/${String(i).padStart(6, '0')}`;
    for (let i = 0; i < 3; i++) await store.put(key(i), encoder.encode(`record ${i}`), { ifNoneMatch: '*' });

    gateway('stop-gateway');
    try {
      let error: unknown;
      try {
        await store.put(key(3), encoder.encode('record 3'), { ifNoneMatch: '*' });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ArchiveError);
      expect((error as ArchiveError).code).toBe('ERR_UNAVAILABLE');
      expect((error as ArchiveError).retryable).toBe(true);
      // The gateway every other test file uses stays up meanwhile (same cluster, same bucket).
      const bystander = new S3ObjectStore({ ...env.config, prefix: uniquePrefix('restart-bystander'), maxAttempts: 1 });
      try {
        await bystander.put('alive', encoder.encode('yes'), { ifNoneMatch: '*' });
        await bystander.delete('alive');
      } finally {
        bystander.destroy();
      }
    } finally {
      gateway('start-gateway');
    }

    // The same store object (same client, fresh sockets) carries on; the failed put is retried.
    for (let i = 3; i < 6; i++) await store.put(key(i), encoder.encode(`record ${i}`), { ifNoneMatch: '*' });
    const keys: string[] = [];
    for await (const entry of store.list('seq/')) keys.push(entry.key);
    expect(keys).toEqual([0, 1, 2, 3, 4, 5].map(key));
    for (let i = 0; i < 6; i++) expect(new TextDecoder().decode((await store.get(key(i))).bytes)).toBe(`record ${i}`);
  });

  // In this file, not s3-archiver.test.ts: tests that stop the gateway must not overlap.
  it.skipIf(gatewayUnderTest === undefined && !ci)(
    'RGW stopped and restarted mid-upload: nothing acknowledged as archived is lost, nothing is duplicated',
    { timeout: S3_TIMEOUT_MS },
    async () => {
      expect(gatewayUnderTest, missing).toBeDefined();
      const store = new S3ObjectStore({ ...config, prefix: uniquePrefix('archiver-restart'), maxAttempts: 2 });
      stores.push(store);
      const wal = await openWal();
      const retry = { initialDelayMs: 50, maxDelayMs: 500 };
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
      const stopped = run('bash', gatewayArgs('stop-gateway'), { timeout: 60_000 });
      await appendRecords(wal, 200, { from: 100 });
      await stopped;
      await appendRecords(wal, 100, { from: 300 });
      await run('bash', gatewayArgs('start-gateway'), { timeout: 60_000 });
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
