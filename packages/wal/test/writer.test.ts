import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, WalError, type Position, type WalObserver } from '../src/index.js';
import { GatedStorage, settle } from './gated-storage.js';
import { collect, indexOf, record, text } from '@nori/test-support';

async function keys(storage: MemoryStorage): Promise<string[]> {
  const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: false });
  const out = (await collect(wal.read())).map((e) => text(e.key));
  await wal.close();
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<WalError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WalError);
  return error as WalError;
}

describe('group commit', () => {
  it('coalesces concurrent `always` appends into few fsyncs, each resolving only once durable', async () => {
    const storage = new MemoryStorage();
    const fsyncs: { appends: number; records: number }[] = [];
    const observer: WalObserver = { onFsync: (e) => fsyncs.push({ appends: e.appends, records: e.records }) };
    const { wal } = await Wal.open({ storage, fsync: 'always', observer });
    const positions = await Promise.all(Array.from({ length: 64 }, (_, i) => wal.append(record(i)).then((r) => r.position)));
    expect(fsyncs.length).toBeLessThanOrEqual(2);
    expect(fsyncs.reduce((n, f) => n + f.appends, 0)).toBe(64);
    expect(wal.durablePosition).toEqual(wal.writtenPosition);
    // Positions are in call order, contiguous.
    for (let i = 1; i < positions.length; i++) {
      expect((positions[i] as Position).offset).toBeGreaterThan((positions[i - 1] as Position).offset);
    }
    storage.crash();
    expect((await keys(storage)).length).toBe(64);
  });

  it('appends arriving during an fsync form the next group', async () => {
    const memory = new MemoryStorage();
    const storage = new GatedStorage(memory, (name) => name.endsWith('.wal'));
    let fsyncs = 0;
    const { wal } = await Wal.open({ storage, fsync: 'always', observer: { onFsync: () => void fsyncs++ } });
    storage.hold();
    const first = wal.append(record(0));
    await settle();
    expect(storage.syncsHeld).toBe(1);
    const rest = Array.from({ length: 20 }, (_, i) => wal.append(record(i + 1)));
    await settle();
    // Written to the OS already, but not acknowledged: durability is still pending.
    expect(wal.writtenPosition.offset).toBeGreaterThan(wal.durablePosition.offset);
    storage.release();
    await Promise.all([first, ...rest]);
    expect(fsyncs).toBe(2);
    await wal.close();
  });

  it('durable: true waits for an fsync under the os policy', async () => {
    const storage = new MemoryStorage();
    let fsyncs = 0;
    const { wal } = await Wal.open({ storage, fsync: 'os', observer: { onFsync: () => void fsyncs++ } });
    await wal.append(record(0));
    expect(fsyncs).toBe(0);
    const position = (await wal.append(record(1), { durable: true })).position;
    expect(fsyncs).toBe(1);
    expect(wal.durablePosition.offset).toBeGreaterThan(position.offset);
    storage.crash();
    expect(await keys(storage)).toEqual([record(0).key, record(1).key]);
  });

  it('batch maxBytes triggers an early fsync', async () => {
    const storage = new MemoryStorage();
    let fsyncs = 0;
    const { wal } = await Wal.open({
      storage,
      fsync: { kind: 'batch', windowMs: 60_000, maxBytes: 1000 },
      observer: { onFsync: () => void fsyncs++ },
    });
    for (let i = 0; i < 5; i++) await wal.append(record(i));
    expect(fsyncs).toBe(0);
    for (let i = 5; i < 12; i++) await wal.append(record(i));
    await settle();
    expect(fsyncs).toBeGreaterThanOrEqual(1);
    await wal.close();
  });
});

describe('failures', () => {
  it('an fsync failure fails the WAL: pending and later appends reject with ERR_FAILED (never retried)', async () => {
    const storage = new MemoryStorage();
    const failed: Error[] = [];
    const { wal } = await Wal.open({ storage, fsync: 'always', observer: { onFailed: (e) => failed.push(e.error) } });
    await wal.append(record(0));
    const durableBefore = wal.durablePosition;
    storage.injectFault({ kind: 'fsyncgate' });
    const errors = await Promise.all([wal.append(record(1)), wal.append(record(2))].map(rejection));
    for (const error of errors) {
      expect(error.code).toBe('ERR_FAILED');
      expect((error.cause as { code?: string }).code).toBe('EIO');
    }
    expect(wal.state).toBe('failed');
    expect(wal.durablePosition).toEqual(durableBefore);
    expect(failed).toHaveLength(1);
    expect((await rejection(wal.append(record(3)))).code).toBe('ERR_FAILED');
    expect((await rejection(wal.sync())).code).toBe('ERR_FAILED');
    // The log stays readable.
    expect((await collect(wal.read())).length).toBeGreaterThanOrEqual(1);
    await wal.close();
    expect(wal.state).toBe('closed');
  });

  it('ENOSPC fails the WAL without acknowledging the failed records; the log stays readable', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: false });
    const acked: number[] = [];
    storage.injectFault({ kind: 'enospc', afterBytes: 2000 });
    let failure: WalError | undefined;
    for (let i = 0; i < 40 && failure === undefined; i++) {
      try {
        await wal.append(record(i));
        acked.push(i);
      } catch (error) {
        failure = error as WalError;
      }
    }
    expect(failure?.code).toBe('ERR_FAILED');
    expect((failure?.cause as { code?: string }).code).toBe('ENOSPC');
    expect(wal.state).toBe('failed');
    expect((await collect(wal.read())).map((e) => indexOf(e.key))).toEqual(acked);
    await wal.close();
    storage.clearFaults();
    const reopened = await Wal.open({ storage, fsync: 'os', preallocate: false });
    expect((await collect(reopened.wal.read())).map((e) => indexOf(e.key))).toEqual(acked);
    expect(reopened.recovery.tail).toBe('torn');
    await reopened.wal.close();
  });

  it('an EIO on write fails the WAL', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: false });
    await wal.append(record(0));
    storage.injectFault({ kind: 'eio', op: 'write', name: '000000.wal', times: 1 });
    const error = await rejection(wal.append(record(1)));
    expect(error.code).toBe('ERR_FAILED');
    expect((error.cause as { code?: string }).code).toBe('EIO');
    expect((await rejection(wal.append(record(2)))).code).toBe('ERR_FAILED');
    await wal.close();
  });
});

describe('queueing', () => {
  async function busyWal(maxQueuedBytes?: number) {
    const memory = new MemoryStorage();
    const storage = new GatedStorage(memory, (name) => name === 'batches.intent');
    const { wal } = await Wal.open({ storage, fsync: 'os', ...(maxQueuedBytes === undefined ? {} : { maxQueuedBytes }) });
    storage.hold();
    // A multi-record batch makes the writer wait for the intent fsync: later appends queue.
    const batch = wal.appendBatch([record(0), record(1)]);
    await settle();
    expect(storage.syncsHeld).toBe(1);
    return { memory, storage, wal, batch };
  }

  it('an append aborted while queued rejects with ERR_ABORTED and is never written', async () => {
    const { storage, wal, batch } = await busyWal();
    const controller = new AbortController();
    const kept = wal.append(record(2));
    const aborted = wal.append(record(3), { signal: controller.signal });
    const after = wal.append(record(4));
    controller.abort();
    expect((await rejection(aborted)).code).toBe('ERR_ABORTED');
    storage.release();
    await Promise.all([batch, kept, after]);
    expect((await collect(wal.read())).map((e) => indexOf(e.key))).toEqual([0, 1, 2, 4]);
    await wal.close();
  });

  it('an already aborted signal rejects at once', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'os' });
    const error = await rejection(wal.append(record(0), { signal: AbortSignal.abort() }));
    expect(error.code).toBe('ERR_ABORTED');
    expect(await collect(wal.read())).toEqual([]);
    await wal.close();
  });

  it('backpressure: queued bytes never exceed maxQueuedBytes; appends wait for room, in order', async () => {
    const { storage, wal, batch } = await busyWal(1000);
    const pending = Array.from({ length: 20 }, (_, i) => wal.append(record(i + 2)).then((r) => r.position));
    await settle();
    expect(wal.stats().queuedBytes).toBeLessThanOrEqual(1000);
    expect(wal.stats().queuedBytes).toBeGreaterThan(0);
    storage.release();
    const positions = await Promise.all(pending);
    await batch;
    for (let i = 1; i < positions.length; i++) {
      expect((positions[i] as Position).offset).toBeGreaterThan((positions[i - 1] as Position).offset);
    }
    expect((await collect(wal.read())).map((e) => indexOf(e.key))).toEqual(Array.from({ length: 22 }, (_, i) => i));
    await wal.close();
  });
});

describe('crash-atomic appendBatch', () => {
  it('after a power loss either every record of a batch is recovered or none', async () => {
    let partialWithoutIntent = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const storage = new MemoryStorage({ seed, crashMode: 'subset', sectorSize: 64 });
      const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: seed % 2 === 0 });
      await wal.append({ key: 'before', value: 'x' });
      await wal.sync();
      const batches = [0, 1, 2].map((b) => wal.appendBatch(Array.from({ length: 8 }, (_, i) => ({ key: `b${b}-${i}`, value: 'v'.repeat(150) }))));
      await Promise.all(batches);
      storage.crash();
      const { wal: reopened, recovery } = await Wal.open({ storage, fsync: 'os', preallocate: seed % 2 === 0 });
      const got = (await collect(reopened.read())).map((e) => text(e.key));
      expect(got[0]).toBe('before');
      for (let b = 0; b < 3; b++) {
        const n = got.filter((k) => k.startsWith(`b${b}-`)).length;
        expect([0, 8]).toContain(n);
      }
      if (recovery.batchesRolledBack > 0) partialWithoutIntent++;
      await reopened.close();
    }
    // The rollback path really ran (a partial batch reached the disk in some runs).
    expect(partialWithoutIntent).toBeGreaterThan(0);
  });

  it('no byte of a batch reaches the OS before its intent entry is durable: a power loss during that fsync leaves none of it', async () => {
    // Pins the order the README's "Why a batch costs two fsyncs" argument needs: writing the data
    // while the intent's fsync still runs (or fsyncing both together) lets a power loss keep part
    // of the batch without the entry that would roll it back.
    for (let seed = 1; seed <= 20; seed++) {
      const memory = new MemoryStorage({ seed, crashMode: 'subset', sectorSize: 64 });
      const storage = new GatedStorage(memory, (name) => name === 'batches.intent');
      const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: seed % 2 === 0 });
      await wal.append({ key: 'before', value: 'x' });
      await wal.sync();
      const before = wal.writtenPosition;
      storage.hold();
      const batch = wal.appendBatch(Array.from({ length: 8 }, (_, i) => ({ key: `b-${i}`, value: 'v'.repeat(150) })));
      batch.catch(() => undefined);
      await settle();
      expect(storage.syncsHeld).toBe(1);
      expect(wal.writtenPosition).toEqual(before);
      memory.crash();
      const { wal: reopened } = await Wal.open({ storage: memory, fsync: 'os', preallocate: seed % 2 === 0 });
      expect((await collect(reopened.read())).map((e) => text(e.key))).toEqual(['before']);
      await reopened.close();
    }
  });

  it('a batch never straddles a rotation; a batch larger than a segment gets its own segment', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: false, maxSegmentSize: 2048 });
    await wal.append(record(0, 1000));
    const small = (await wal.appendBatch([record(1, 400), record(2, 400), record(3, 400)])).map((r) => r.position);
    expect(new Set(small.map((p) => p.segmentId))).toEqual(new Set([1]));
    expect(small[0]?.offset).toBe(0);
    const big = (await wal.appendBatch(Array.from({ length: 6 }, (_, i) => record(10 + i, 500)))).map((r) => r.position);
    expect(new Set(big.map((p) => p.segmentId))).toEqual(new Set([2]));
    const next = await wal.append(record(20));
    expect(next.position).toEqual({ segmentId: 3, offset: 0 });
    await wal.close();
  });
});

describe('rotation', () => {
  it('concurrent appends never double-rotate and fill segments up to the limit', async () => {
    const storage = new MemoryStorage();
    const rolled: number[] = [];
    const { wal } = await Wal.open({
      storage,
      fsync: 'always',
      preallocate: true,
      maxSegmentSize: 4096,
      observer: { onSegmentRolled: (e) => rolled.push(e.segmentId) },
    });
    const positions = await Promise.all(Array.from({ length: 200 }, (_, i) => wal.append(record(i)).then((r) => r.position)));
    const ids = [...new Set(positions.map((p) => p.segmentId))];
    expect(ids).toEqual(ids.map((_, i) => i));
    expect(rolled).toEqual(ids.slice(1));
    const segments = await wal.segments();
    const size = positions[1]!.offset - positions[0]!.offset;
    for (const s of segments.slice(0, -1)) {
      expect(s.size).toBeLessThanOrEqual(4096);
      expect(s.size + size).toBeGreaterThan(4096);
    }
    await wal.close();
    // Rotated and closed segments are trimmed to their logical end.
    for (const s of segments) {
      const file = await storage.open(s.name);
      expect(await file.size()).toBe(s.size);
      await file.close();
    }
  });
});

describe('rotation overlaps the old segment fsync with preparing the next one', () => {
  async function rotating(fsync: 'os' | 'always') {
    const memory = new MemoryStorage();
    const storage = new GatedStorage(memory, (name) => name === '000000.wal');
    const { wal } = await Wal.open({ storage, fsync, preallocate: false, maxSegmentSize: 1024 });
    const first = await Promise.all(Array.from({ length: 8 }, (_, i) => wal.append(record(i)).then((r) => r.position)));
    expect(first.every((p) => p.segmentId === 0)).toBe(true);
    storage.hold();
    const next = wal.append(record(8));
    await settle(20);
    return { memory, storage, wal, next };
  }

  it('the next segment exists while the old fsync runs, but gets no data and no acknowledgement before it', async () => {
    const { memory, storage, wal, next } = await rotating('os');
    expect(storage.syncsHeld).toBe(1);
    expect(await memory.exists('000001.wal')).toBe(true);
    let settled = false;
    void next.then(() => (settled = true));
    await settle();
    expect(settled).toBe(false);
    expect(wal.writtenPosition.segmentId).toBe(0);
    expect(wal.durablePosition.segmentId).toBe(0);
    const file = await memory.open('000001.wal', { readOnly: true });
    expect(await file.size()).toBe(0);
    await file.close();
    storage.release();
    expect((await next).position).toEqual({ segmentId: 1, offset: 0 });
    await wal.close();
  });

  it('a failed old-segment fsync fails the WAL; the record meant for the next segment is never acknowledged', async () => {
    const { memory, storage, wal, next } = await rotating('always');
    memory.injectFault({ kind: 'eio', op: 'sync', name: '000000.wal' });
    storage.release();
    await expect(next).rejects.toMatchObject({ code: 'ERR_FAILED' });
    expect(wal.state).toBe('failed');
    expect(wal.durablePosition.segmentId).toBe(0);
    await wal.close();
    memory.clearFaults();
    expect((await keys(memory)).length).toBe(8);
  });
});

describe('observer', () => {
  it('reports appends, fsync groups, rolls and GC with their figures', async () => {
    const appends: { records: number; bytes: number; batch: boolean }[] = [];
    const fsyncs: { bytes: number; records: number; appends: number; ok: boolean }[] = [];
    const rolls: { segmentId: number; previousSegmentId: number; previousSize: number }[] = [];
    const deletions: { segmentId: number; bytes: number }[] = [];
    const { wal } = await Wal.open({
      storage: new MemoryStorage(),
      fsync: 'always',
      maxSegmentSize: 2048,
      preallocate: false,
      observer: {
        onAppend: (e) => appends.push(e),
        onFsync: (e) => fsyncs.push({ bytes: e.bytes, records: e.records, appends: e.appends, ok: e.ok }),
        onSegmentRolled: (e) => rolls.push(e),
        onSegmentDeleted: (e) => deletions.push(e),
      },
    });
    const [a, b] = await Promise.all([wal.append(record(0)), wal.appendBatch([record(1), record(2)])]);
    const size = b[0]!.position.offset - a.position.offset;
    expect(appends).toEqual([
      { records: 1, bytes: size, batch: false },
      { records: 2, bytes: 2 * size, batch: true },
    ]);
    expect(fsyncs).toEqual([{ bytes: 3 * size, records: 3, appends: 2, ok: true }]);
    for (let i = 3; i < 40; i++) await wal.append(record(i));
    expect(rolls.length).toBeGreaterThan(0);
    expect(rolls[0]).toEqual({ segmentId: 1, previousSegmentId: 0, previousSize: Math.floor(2048 / size) * size });
    await wal.deleteSegmentsBefore(wal.writtenPosition);
    expect(deletions[0]).toEqual({ segmentId: 0, bytes: Math.floor(2048 / size) * size });
    await wal.close();
  });
});

describe('observer isolation', () => {
  it('calls hooks with the observer as `this`, and a throwing hook never breaks the log', async () => {
    class Counting {
      appends = 0;
      onAppend(): void {
        this.appends++;
      }
      onFsync(): void {
        throw new Error('observer bug');
      }
    }
    const observer = new Counting();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'always', observer });
      await wal.append(record(0));
      await wal.append(record(1));
      expect(observer.appends).toBe(2);
      expect(wal.state).toBe('open');
      expect(wal.durablePosition).toEqual(wal.writtenPosition);
      await wal.close();
      await settle();
      expect(warnings.some((w) => w.includes('onFsync threw'))).toBe(true);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('background segment preparation', () => {
  it('prepares the next segment once the active one is half full and rotates by renaming it', async () => {
    const storage = new MemoryStorage();
    const stale = await storage.open('000042.wal.next', { create: true });
    await stale.close();
    const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: true, maxSegmentSize: 4096 });
    expect(await storage.exists('000042.wal.next')).toBe(false);
    await wal.append(record(1));
    await settle();
    expect(await storage.exists('000001.wal.next')).toBe(false);
    let last = wal.writtenPosition;
    while (last.offset < 2048) {
      await wal.append(record(3));
      last = wal.writtenPosition;
    }
    await settle();
    expect(await storage.exists('000001.wal.next')).toBe(true);
    while (wal.writtenPosition.segmentId === 0) await wal.append(record(4));
    expect(await storage.exists('000001.wal.next')).toBe(false);
    const segment = await storage.open('000001.wal');
    expect(await segment.size()).toBe(4096);
    await segment.close();
    await wal.close();
    expect((await storage.list()).filter((n) => n.endsWith('.next'))).toEqual([]);
    const reopened = await Wal.open({ storage, preallocate: true, maxSegmentSize: 4096 });
    expect(reopened.recovery.corruptions).toEqual([]);
    await reopened.wal.close();
  });
});
