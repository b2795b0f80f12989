import { MemoryStorage } from '@nori/storage';
import { comparePositions, type Position } from '@nori/wal';
import { describe, expect, it } from 'vitest';
import { ArchiveError, Archiver, isArchiveError } from '../src/index.js';
import { appendRecords, openWal, testOptions } from './archiver-support.js';
import { RecordingStore } from './remote-durable-support.js';

const value = (i: number): string => `value-${i}-`.padEnd(200, 'x');

/** The rejection of `promise` (fails the test when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<ArchiveError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome, 'the promise rejects').toBeInstanceOf(Error);
  return outcome as ArchiveError;
}

describe('Archiver: remote-durable appends', () => {
  it('64 concurrent appends share a few PUTs and fsyncs; each resolves only once its bytes are in the store', async () => {
    const store = new RecordingStore();
    const wal = await openWal(new MemoryStorage(), { fsync: 'os', maxSegmentSize: 1 << 20 });
    const archiver = await Archiver.start(wal, testOptions(store));
    const fsyncsBefore = wal.stats().fsyncs;
    const missing: Position[] = [];
    const appends = Array.from({ length: 64 }, (_, i) =>
      archiver.append({ key: `k${i}`, value: value(i) }).then(({ position }) => {
        // Checked synchronously inside the resolution: the store already holds the record.
        if (!store.holds(position)) missing.push(position);
        return position;
      }),
    );
    const positions = await Promise.all(appends);
    expect(missing).toEqual([]);
    expect(new Set(positions.map((p) => `${p.segmentId}:${p.offset}`)).size).toBe(64);
    expect(store.dataPuts).toBeGreaterThan(0);
    expect(store.dataPuts).toBeLessThanOrEqual(4);
    expect(wal.stats().fsyncs - fsyncsBefore).toBeLessThanOrEqual(4);
    await archiver.close();
    await wal.close();
  });

  it('waiters that arrive while a PUT is in flight are all carried by the next PUT', async () => {
    const store = new RecordingStore();
    const wal = await openWal(new MemoryStorage(), { maxSegmentSize: 1 << 20 });
    const archiver = await Archiver.start(wal, testOptions(store));
    store.hold();
    const first = archiver.append({ key: 'first', value: value(0) });
    await store.heldPuts(1);
    const later = Array.from({ length: 10 }, (_, i) => archiver.append({ key: `later${i}`, value: value(i) }));
    // All ten are durable (the sync marker settles after them) and waiting before the PUT finishes.
    await wal.sync();
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.dataPuts).toBe(0);
    store.release();
    const firstPosition = (await first).position;
    const positions = (await Promise.all(later)).map((r) => r.position);
    expect(store.dataPuts).toBe(2);
    expect(store.ranges[0]).toMatchObject({ segmentId: firstPosition.segmentId, offset: firstPosition.offset });
    expect(positions.every((p) => store.holds(p) && store.ranges[1] !== undefined && p.offset >= store.ranges[1].offset)).toBe(true);
    await archiver.close();
    await wal.close();
  });

  it('appendBatch resolves once the whole batch is archived; waitArchived syncs an os-policy record and waits', async () => {
    const store = new RecordingStore();
    const wal = await openWal(new MemoryStorage(), { fsync: 'os', maxSegmentSize: 1 << 20 });
    const archiver = await Archiver.start(wal, testOptions(store));
    const batch = (await archiver.appendBatch([0, 1, 2].map((i) => ({ key: `b${i}`, value: value(i) })))).map((r) => r.position);
    expect(batch.every((p) => store.holds(p))).toBe(true);
    expect(await archiver.appendBatch([])).toEqual([]);

    const { position } = await wal.append({ key: 'os', value: value(9) }); // acknowledged, not durable
    expect(comparePositions(wal.durablePosition, position)).toBeLessThanOrEqual(0);
    const archived = await archiver.waitArchived(position);
    expect(store.holds(position)).toBe(true);
    expect(comparePositions(archived, position)).toBeGreaterThan(0);
    // Already archived: resolves at once, without another PUT.
    const puts = store.dataPuts;
    await archiver.waitArchived(batch[0] as Position);
    expect(store.dataPuts).toBe(puts);
    await archiver.close();
    await wal.close();
  });

  it('waitArchived refuses a bad position or one where nothing was appended (ERR_INVALID_ARGUMENT)', async () => {
    const store = new RecordingStore();
    const wal = await openWal();
    const archiver = await Archiver.start(wal, testOptions(store));
    await appendRecords(wal, 3);
    for (const bad of [{ segmentId: -1, offset: 0 }, { segmentId: 0, offset: 1.5 }, null]) {
      const error = await rejectionOf(archiver.waitArchived(bad as unknown as Position));
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    }
    const beyond = await rejectionOf(archiver.waitArchived({ segmentId: wal.writtenPosition.segmentId + 5, offset: 0 }));
    expect(beyond.code).toBe('ERR_INVALID_ARGUMENT');
    expect(beyond.message).toMatch(/no record was appended/);
    await archiver.close();
    await wal.close();
  });

  it('abort: a pre-aborted append writes nothing; an abort while waiting rejects, the record still ships', async () => {
    const store = new RecordingStore();
    const wal = await openWal(new MemoryStorage(), { maxSegmentSize: 1 << 20 });
    const archiver = await Archiver.start(wal, testOptions(store));
    const before = wal.stats().appendedRecords;
    const aborted = await rejectionOf(archiver.append({ key: 'k', value: 'v' }, { signal: AbortSignal.abort() }));
    expect((aborted as { code?: string }).code).toBe('ERR_ABORTED');
    expect(wal.stats().appendedRecords).toBe(before);

    store.hold();
    const controller = new AbortController();
    const pending = archiver.append({ key: 'slow', value: value(1) }, { signal: controller.signal });
    await store.heldPuts(1);
    controller.abort(new Error('caller gave up'));
    const error = await rejectionOf(pending);
    expect(error.code).toBe('ERR_ABORTED');
    store.release();
    const archived = await archiver.flush();
    expect(store.holds({ segmentId: archived.segmentId, offset: 0 })).toBe(true);
    await archiver.close();
    await wal.close();
  });

  it('closed: refused before writing; close rejects waiting appends with ERR_CLOSED', async () => {
    const store = new RecordingStore();
    const wal = await openWal(new MemoryStorage(), { maxSegmentSize: 1 << 20 });
    const archiver = await Archiver.start(wal, testOptions(store));
    store.hold();
    const pending = archiver.append({ key: 'k', value: value(1) });
    await store.heldPuts(1);
    const closing = archiver.close();
    store.release();
    await closing;
    expect((await rejectionOf(pending)).code).toBe('ERR_CLOSED');
    const before = wal.stats().appendedRecords;
    expect((await rejectionOf(archiver.append({ key: 'k2', value: 'v' }))).code).toBe('ERR_CLOSED');
    expect((await rejectionOf(archiver.appendBatch([{ key: 'k3', value: 'v' }]))).code).toBe('ERR_CLOSED');
    expect(wal.stats().appendedRecords).toBe(before);
    await wal.close();
  });

  it('failed: a store refusing every put fails waiting appends with its error; later appends are refused', async () => {
    const store = new RecordingStore();
    const wal = await openWal(new MemoryStorage(), { maxSegmentSize: 1 << 20 });
    const archiver = await Archiver.start(wal, testOptions(store));
    store.denyPuts = new ArchiveError('ERR_ACCESS_DENIED', 'put refused (test)');
    const error = await rejectionOf(archiver.append({ key: 'k', value: value(1) }));
    expect(isArchiveError(error, 'ERR_ACCESS_DENIED')).toBe(true);
    expect(archiver.state).toBe('failed');
    const before = wal.stats().appendedRecords;
    expect(isArchiveError(await rejectionOf(archiver.append({ key: 'k2', value: 'v' })), 'ERR_ACCESS_DENIED')).toBe(true);
    expect(wal.stats().appendedRecords).toBe(before);
    await archiver.close();
    await wal.close();
  });
});
