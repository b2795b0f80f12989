import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '@nori/storage';
import { Wal, type WalConfig, type WalObserver } from '@nori/wal';
import { combineObservers, createOtelObserver } from '../src/index.js';
import { histogramTotals, setupMetrics, setupTracing, sum } from './helpers.js';

const NAME = 'nori.wal.name';
const BASE = { maxSegmentSize: 16 * 1024, preallocate: false } as const satisfies Partial<WalConfig>;

function value(i: number): string {
  return `value-${i}-`.padEnd(120, 'x');
}

async function appendWorkload(wal: Wal, singles: number, batch: number, from = 0): Promise<void> {
  await Promise.all(Array.from({ length: singles }, (_, i) => wal.append({ key: `k${from + i}`, value: value(from + i) })));
  await wal.appendBatch(Array.from({ length: batch }, (_, i) => ({ key: `b${from + i}`, value: value(from + i) })));
  await wal.sync();
}

/** Records every event so tests can compare metrics with what the WAL actually reported. */
function recorder(): { observer: WalObserver; events: { method: string; event: unknown }[] } {
  const events: { method: string; event: unknown }[] = [];
  const on = (method: string) => (event: unknown) => {
    events.push({ method, event });
  };
  return {
    events,
    observer: {
      onAppend: on('onAppend'),
      onFsync: on('onFsync'),
      onSegmentRolled: on('onSegmentRolled'),
      onSegmentDeleted: on('onSegmentDeleted'),
      onRecovery: on('onRecovery'),
      onCorruption: on('onCorruption'),
      onFailed: on('onFailed'),
    },
  };
}

describe('with a real Wal on MemoryStorage', () => {
  it("metrics match the WAL's own stats through appends, rotation, GC and a reopen", async () => {
    const m = setupMetrics();
    const storage = new MemoryStorage();
    const otel = createOtelObserver({ meter: m.meter, walName: 'real' });
    const w = { [NAME]: 'real' };

    const opened = await Wal.open({ storage, observer: otel.observer, ...BASE });
    const wal = opened.wal;
    const attachment = otel.attach(wal);
    await appendWorkload(wal, 200, 100);
    const stats = wal.stats();
    expect(stats.appendedRecords).toBe(300);

    const c = await m.collect();
    expect(sum(c, 'nori.wal.append.records', { ...w, 'nori.wal.batch': false })).toBe(200);
    expect(sum(c, 'nori.wal.append.records', { ...w, 'nori.wal.batch': true })).toBe(100);
    expect(sum(c, 'nori.wal.append.size', w)).toBe(stats.appendedBytes);
    const fsyncs = histogramTotals(c, 'nori.wal.fsync.duration', { ...w, 'nori.wal.fsync.outcome': 'ok' });
    expect(fsyncs.count).toBe(stats.fsyncs);
    expect(fsyncs.count).toBeGreaterThan(0);
    expect(fsyncs.sum).toBeGreaterThanOrEqual(0);
    expect(histogramTotals(c, 'nori.wal.group_commit.size', w).sum).toBe(300);

    const segmentsBeforeGc = await wal.segments();
    expect(segmentsBeforeGc.length).toBeGreaterThan(1);
    expect(sum(c, 'nori.wal.segment.rotations', w)).toBe(segmentsBeforeGc.length - 1);
    expect(sum(c, 'nori.wal.segment.count', w)).toBe(stats.segments);
    expect(sum(c, 'nori.wal.segment.file.size', w)).toBe(stats.diskBytes);
    expect(sum(c, 'nori.wal.queue.size', w)).toBe(stats.queuedBytes);

    const initial = opened.recovery;
    expect(sum(c, 'nori.wal.recovery.records', w)).toBe(0);
    expect(histogramTotals(c, 'nori.wal.recovery.duration', { ...w, 'nori.wal.recovery.tail': initial.tail }).count).toBe(1);

    const active = segmentsBeforeGc.find((s) => s.active)!;
    const deleted = await wal.deleteSegmentsBefore({ segmentId: active.id, offset: 0 });
    expect(deleted.length).toBe(segmentsBeforeGc.length - 1);
    const afterGc = await m.collect();
    expect(sum(afterGc, 'nori.wal.segment.deletions', w)).toBe(deleted.length);
    expect(sum(afterGc, 'nori.wal.segment.count', w)).toBe(wal.stats().segments);
    expect(sum(afterGc, 'nori.wal.segment.file.size', w)).toBe(wal.stats().diskBytes);
    expect(wal.stats().diskBytes).toBeLessThan(stats.diskBytes);

    attachment.detach();
    await wal.close();
    const reopened = await Wal.open({ storage, observer: otel.observer, ...BASE });
    using _again = otel.attach(reopened.wal);
    const afterReopen = await m.collect();
    const recovered = reopened.recovery;
    expect(recovered.records).toBeGreaterThan(0);
    expect(sum(afterReopen, 'nori.wal.recovery.records', { ...w, 'nori.wal.recovery.mode': 'tolerate-tail' })).toBe(recovered.records);
    expect(histogramTotals(afterReopen, 'nori.wal.recovery.duration', w).count).toBe(2);
    expect(sum(afterReopen, 'nori.wal.segment.count', w)).toBe(reopened.wal.stats().segments);
    await reopened.wal.close();
    await m.shutdown();
  });

  it('reports segment.file.size as the apparent length of the segment files on a real directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nori-otel-'));
    const m = setupMetrics();
    try {
      const otel = createOtelObserver({ meter: m.meter, walName: 'files', legacyMetricNames: false });
      // Wal.open({ dir }) preallocates sparsely: the file is long, few blocks are allocated.
      const { wal } = await Wal.open({ dir, observer: otel.observer, maxSegmentSize: 1024 * 1024 });
      using _attachment = otel.attach(wal);
      await appendWorkload(wal, 3, 2);
      const names = (await readdir(dir)).filter((n) => n.endsWith('.wal'));
      expect(names.length).toBeGreaterThan(0);
      const lengths = await Promise.all(names.map(async (n) => (await stat(join(dir, n))).size));
      const c = await m.collect();
      expect(sum(c, 'nori.wal.segment.file.size', { [NAME]: 'files' })).toBe(lengths.reduce((a, b) => a + b, 0));
      expect(sum(c, 'nori.wal.segment.count', { [NAME]: 'files' })).toBe(names.length);
      await wal.close();
    } finally {
      await m.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('counts a torn tail truncated by recovery', async () => {
    const m = setupMetrics();
    const storage = new MemoryStorage();
    const otel = createOtelObserver({ meter: m.meter, walName: 'torn' });
    {
      const { wal } = await Wal.open({ storage, ...BASE });
      await appendWorkload(wal, 10, 0);
      await wal.close();
    }
    const segmentName = (await storage.list())
      .filter((n) => n.endsWith('.wal'))
      .sort()
      .at(-1)!;
    const file = await storage.open(segmentName);
    const size = await file.size();
    // The first bytes of a record whose body never made it to disk.
    file.writevSync([Uint8Array.of(0x40, 0x01, 0x02, 0x03)], size);
    await file.sync();
    await file.close();

    // A read-only open (inspect) only reports what it would truncate: not counted as truncated.
    const inspect = await Wal.open({ storage, observer: otel.observer, ...BASE, readOnly: true });
    expect(inspect.recovery.readOnly).toBe(true);
    expect(inspect.recovery.bytesTruncated).toBeGreaterThan(0);
    await inspect.wal.close();
    const afterInspect = await m.collect();
    expect(afterInspect.byName.has('nori.wal.recovery.truncated.size')).toBe(false);
    expect(sum(afterInspect, 'nori.wal.recovery.records', { [NAME]: 'torn' })).toBe(10);

    const { wal, recovery } = await Wal.open({ storage, observer: otel.observer, ...BASE });
    expect(recovery.bytesTruncated).toBe(inspect.recovery.bytesTruncated);
    const c = await m.collect();
    const attrs = { [NAME]: 'torn', 'nori.wal.recovery.mode': 'tolerate-tail', 'nori.wal.recovery.tail': recovery.tail };
    expect(recovery.tail).not.toBe('clean');
    expect(sum(c, 'nori.wal.recovery.truncated.size', attrs)).toBe(recovery.bytesTruncated);
    expect(sum(c, 'nori.wal.recovery.records', { [NAME]: 'torn' })).toBe(20);
    await wal.close();
    await m.shutdown();
  });

  it('counts corruption found in the middle of the log by the action the WAL took', async () => {
    const m = setupMetrics();
    const storage = new MemoryStorage();
    {
      const { wal } = await Wal.open({ storage, ...BASE });
      await appendWorkload(wal, 300, 0);
      await wal.close();
    }
    const segments = (await storage.list()).filter((n) => n.endsWith('.wal')).sort();
    expect(segments.length).toBeGreaterThan(1);
    const file = await storage.open(segments[0]!);
    const byte = new Uint8Array(1);
    await file.read(byte, 0, 1, 1000);
    byte[0] = byte[0]! ^ 0xff;
    file.writevSync([byte], 1000);
    await file.sync();
    await file.close();

    const seen = recorder();
    const otel = createOtelObserver({ meter: m.meter, walName: 'damaged' });
    const { wal, recovery } = await Wal.open({ storage, observer: combineObservers(otel.observer, seen.observer), ...BASE });
    const corruptionEvents = seen.events.filter((e) => e.method === 'onCorruption').map((e) => e.event as { action: string });
    expect(corruptionEvents.length).toBeGreaterThan(0);
    expect(recovery.corruptions.length).toBeGreaterThan(0);
    const c = await m.collect();
    expect(sum(c, 'nori.wal.corruptions', { [NAME]: 'damaged' })).toBe(corruptionEvents.length);
    for (const action of new Set(corruptionEvents.map((e) => e.action))) {
      expect(sum(c, 'nori.wal.corruptions', { 'nori.wal.corruption.action': action })).toBe(corruptionEvents.filter((e) => e.action === action).length);
    }
    for (const point of c.points('nori.wal.corruptions')) {
      expect(['crc-mismatch', 'varint-overflow', 'invalid-compression', 'decompression-failed', 'too-large', 'other']).toContain(
        point.attributes['nori.wal.corruption.reason'],
      );
    }
    await wal.close();
    await m.shutdown();
  });

  it('counts a failed fsync and the failed state with the root cause as error.type', async () => {
    const m = setupMetrics();
    const storage = new MemoryStorage();
    const otel = createOtelObserver({ meter: m.meter, walName: 'failing' });
    const { wal } = await Wal.open({ storage, observer: otel.observer, ...BASE, fsync: 'always' });
    await wal.append({ key: 'ok', value: 'fine' });
    storage.injectFault({ kind: 'eio', op: 'sync' });
    await expect(wal.append({ key: 'doomed', value: 'never durable' })).rejects.toThrow();
    expect(wal.state).toBe('failed');
    const c = await m.collect();
    expect(histogramTotals(c, 'nori.wal.fsync.duration', { 'nori.wal.fsync.outcome': 'error' }).count).toBeGreaterThanOrEqual(1);
    expect(histogramTotals(c, 'nori.wal.fsync.duration', { 'nori.wal.fsync.outcome': 'ok' }).count).toBeGreaterThanOrEqual(1);
    expect(c.points('nori.wal.failures')).toEqual([{ attributes: { [NAME]: 'failing', 'error.type': 'EIO' }, value: 1 }]);
    storage.clearFaults();
    await wal.close().catch(() => undefined);
    await m.shutdown();
  });

  it('keeps writing and counting when a combined observer throws: the WAL isolates it and warns once', async () => {
    const m = setupMetrics();
    const otel = createOtelObserver({ meter: m.meter, walName: 'isolated' });
    const thrower: WalObserver = {
      onAppend() {
        throw new Error('observer bug');
      },
    };
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      if (warning.name === 'NoriWalObserverWarning') warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const { wal } = await Wal.open({ storage: new MemoryStorage(), observer: combineObservers(otel.observer, thrower), ...BASE });
      await appendWorkload(wal, 3, 2);
      // process.emitWarning delivers on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(wal.state).toBe('open');
      const c = await m.collect();
      expect(sum(c, 'nori.wal.append.records', { [NAME]: 'isolated' })).toBe(5);
      expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('observer bug')]);
      await wal.close();
    } finally {
      process.off('warning', onWarning);
      await m.shutdown();
    }
  });

  it('emits a recovery span per open and an fsync span per fsync when spans are on', async () => {
    const m = setupMetrics();
    const { tracer, exporter } = setupTracing();
    const otel = createOtelObserver({ meter: m.meter, tracer, walName: 'traced' });
    const storage = new MemoryStorage();
    const { wal, recovery } = await Wal.open({ storage, observer: otel.observer, ...BASE, fsync: 'always' });
    await appendWorkload(wal, 5, 5);
    const spans = exporter.getFinishedSpans();
    const recoverySpans = spans.filter((s) => s.name === 'nori.wal.recovery');
    expect(recoverySpans).toHaveLength(1);
    expect(recoverySpans[0]!.attributes['nori.wal.recovery.tail']).toBe(recovery.tail);
    expect(spans.filter((s) => s.name === 'nori.wal.fsync')).toHaveLength(wal.stats().fsyncs);
    await wal.close();
    await m.shutdown();
  });
});
