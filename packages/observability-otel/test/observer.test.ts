import { afterEach, describe, expect, it } from 'vitest';
import { diag, DiagLogLevel, metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, MeterProvider } from '@opentelemetry/sdk-metrics';
import type { WalStats } from '@nori/wal';
import {
  createOtelObserver,
  FSYNC_DURATION_BUCKETS,
  GROUP_COMMIT_SIZE_BUCKETS,
  INSTRUMENTATION_SCOPE,
  LEGACY_METRIC_NAMES_REMOVED_IN,
  NORI_WAL_LEGACY_METRICS,
  NORI_WAL_METRICS,
  type NoriWalMetricDescriptor,
  NoriOtelError,
  RECOVERY_DURATION_BUCKETS,
  type WalStatsSource,
} from '../src/index.js';
import { Collected, hrToMs, ManualReader, recoveryReport, setupMetrics, setupTracing } from './helpers.js';

const NAME = 'nori.wal.name';

function stats(overrides: Partial<WalStats> = {}): WalStats {
  return {
    segments: 2,
    diskBytes: 8192,
    queuedBytes: 512,
    appendedRecords: 10,
    appendedBytes: 1000,
    fsyncs: 3,
    writtenPosition: { segmentId: 2, offset: 100 },
    durablePosition: { segmentId: 2, offset: 50 },
    firstIndex: 1,
    lastIndex: 10,
    sparseIndexBytes: 32,
    ...overrides,
  };
}

class FakeWal implements WalStatsSource {
  state: 'open' | 'failed' | 'closed' = 'open';
  current = stats();
  statsCalls = 0;
  stats(): WalStats {
    this.statsCalls++;
    return this.current;
  }
}

afterEach(() => {
  metrics.disable();
  trace.disable();
  diag.disable();
});

describe('createOtelObserver: scripted observer events', () => {
  it('turns append, fsync, segment, recovery, corruption and failure events into exact metrics', async () => {
    const m = setupMetrics();
    const { observer } = createOtelObserver({ meter: m.meter, walName: 'orders' });

    observer.onRecovery!(recoveryReport({ mode: 'tolerate-tail', records: 1234, bytesTruncated: 17, tail: 'torn', durationMs: 42 }));
    observer.onCorruption!({ segmentId: 3, offset: 4079, reason: 'crc-mismatch', action: 'truncated' });
    observer.onCorruption!({ segmentId: 1, offset: 12, reason: 'segment 1: header says 9 GiB at offset 12', action: 'quarantined' });
    for (let i = 0; i < 3; i++) observer.onAppend!({ records: 1, bytes: 100, batch: false });
    observer.onAppend!({ records: 10, bytes: 1000, batch: true });
    observer.onAppend!({ records: 5, bytes: 400, batch: true });
    observer.onFsync!({ durationMs: 0.2, bytes: 1700, records: 13, appends: 4, ok: true });
    observer.onFsync!({ durationMs: 3, bytes: 400, records: 5, appends: 1, ok: true });
    observer.onFsync!({ durationMs: 40, bytes: 0, records: 0, appends: 0, ok: false });
    observer.onSegmentRolled!({ segmentId: 4, previousSegmentId: 3, previousSize: 65536 });
    observer.onSegmentRolled!({ segmentId: 5, previousSegmentId: 4, previousSize: 65536 });
    observer.onSegmentDeleted!({ segmentId: 1, bytes: 65536 });
    observer.onFailed!({ error: Object.assign(new Error('disk on fire'), { code: 'EIO' }) });

    const c = await m.collect();
    const w = { [NAME]: 'orders' };
    expect(c.points('nori.wal.append.records')).toEqual([
      { attributes: { ...w, 'nori.wal.batch': false }, value: 3 },
      { attributes: { ...w, 'nori.wal.batch': true }, value: 15 },
    ]);
    expect(c.points('nori.wal.append.size')).toEqual([
      { attributes: { ...w, 'nori.wal.batch': false }, value: 300 },
      { attributes: { ...w, 'nori.wal.batch': true }, value: 1400 },
    ]);

    const ok = c.histogram('nori.wal.fsync.duration', { ...w, 'nori.wal.fsync.outcome': 'ok' });
    expect(ok.count).toBe(2);
    expect(ok.sum).toBeCloseTo(0.0032, 12);
    expect(ok.min).toBeCloseTo(0.0002, 12);
    expect(ok.max).toBeCloseTo(0.003, 12);
    expect(ok.buckets.boundaries).toEqual(FSYNC_DURATION_BUCKETS);
    // 0.2 ms lands in (0.1 ms, 0.25 ms], 3 ms in (2.5 ms, 5 ms].
    const okCounts = new Array<number>(FSYNC_DURATION_BUCKETS.length + 1).fill(0);
    okCounts[FSYNC_DURATION_BUCKETS.indexOf(0.00025)] = 1;
    okCounts[FSYNC_DURATION_BUCKETS.indexOf(0.005)] = 1;
    expect(ok.buckets.counts).toEqual(okCounts);
    const failed = c.histogram('nori.wal.fsync.duration', { ...w, 'nori.wal.fsync.outcome': 'error' });
    expect(failed.count).toBe(1);
    expect(failed.sum).toBeCloseTo(0.04, 12);

    const group = c.histogram('nori.wal.group_commit.size', { ...w, 'nori.wal.fsync.outcome': 'ok' });
    expect(group.count).toBe(2);
    expect(group.sum).toBe(18);
    expect(group.buckets.boundaries).toEqual(GROUP_COMMIT_SIZE_BUCKETS);
    expect(c.histogram('nori.wal.group_commit.size', { ...w, 'nori.wal.fsync.outcome': 'error' }).sum).toBe(0);

    expect(c.points('nori.wal.segment.rotations')).toEqual([{ attributes: w, value: 2 }]);
    expect(c.points('nori.wal.segment.deletions')).toEqual([{ attributes: w, value: 1 }]);

    const recovery = { ...w, 'nori.wal.recovery.mode': 'tolerate-tail' };
    const recoveryTail = { ...recovery, 'nori.wal.recovery.tail': 'torn' };
    const rd = c.histogram('nori.wal.recovery.duration', recoveryTail);
    expect(rd.count).toBe(1);
    expect(rd.sum).toBeCloseTo(0.042, 12);
    expect(rd.buckets.boundaries).toEqual(RECOVERY_DURATION_BUCKETS);
    expect(c.points('nori.wal.recovery.records')).toEqual([{ attributes: recovery, value: 1234 }]);
    expect(c.points('nori.wal.recovery.truncated.size')).toEqual([{ attributes: recoveryTail, value: 17 }]);

    // A free-form reason must not become an attribute value: it collapses to `other`.
    expect(c.points('nori.wal.corruptions')).toEqual([
      { attributes: { ...w, 'nori.wal.corruption.action': 'quarantined', 'nori.wal.corruption.reason': 'other' }, value: 1 },
      { attributes: { ...w, 'nori.wal.corruption.action': 'truncated', 'nori.wal.corruption.reason': 'crc-mismatch' }, value: 1 },
    ]);
    expect(c.points('nori.wal.failures')).toEqual([{ attributes: { ...w, 'error.type': 'EIO' }, value: 1 }]);
    await m.shutdown();
  });

  it.each([
    ['legacy names on (the default)', {}, [...NORI_WAL_METRICS, ...NORI_WAL_LEGACY_METRICS]],
    ['legacyMetricNames: false', { legacyMetricNames: false }, NORI_WAL_METRICS],
  ] as const)(
    'exports every documented metric with its documented kind, unit, description and attribute keys: %s',
    async (_label, extra, documented: readonly NoriWalMetricDescriptor[]) => {
      const m = setupMetrics();
      const otel = createOtelObserver({ meter: m.meter, walName: 'w', ...extra });
      const o = otel.observer;
      o.onAppend!({ records: 1, bytes: 10, batch: false });
      o.onFsync!({ durationMs: 1, bytes: 10, records: 1, appends: 1, ok: true });
      o.onSegmentRolled!({ segmentId: 2, previousSegmentId: 1, previousSize: 10 });
      o.onSegmentDeleted!({ segmentId: 1, bytes: 10 });
      o.onRecovery!(recoveryReport());
      o.onCorruption!({ segmentId: 1, offset: 0, reason: 'too-large', action: 'failed' });
      o.onFailed!({ error: new Error('x') });
      using _attachment = otel.attach(new FakeWal());
      const c = await m.collect();

      expect([...c.byName.keys()].sort()).toEqual(documented.map((d) => d.name).sort());
      for (const d of documented) {
        const metric = c.metric(d.name);
        expect(metric.descriptor.unit, d.name).toBe(d.unit);
        expect(metric.descriptor.description, d.name).toBe(d.description);
        const expectedType = {
          counter: DataPointType.SUM,
          'observable-up-down-counter': DataPointType.SUM,
          histogram: DataPointType.HISTOGRAM,
          'observable-gauge': DataPointType.GAUGE,
        }[d.kind];
        expect(metric.dataPointType, d.name).toBe(expectedType);
        if (metric.dataPointType === DataPointType.SUM) {
          expect(metric.isMonotonic, d.name).toBe(d.kind === 'counter');
        }
        expect(metric.dataPoints.length, d.name).toBeGreaterThan(0);
        for (const point of metric.dataPoints) {
          expect(Object.keys(point.attributes).sort(), d.name).toEqual([...d.attributes].sort());
        }
      }
      await m.shutdown();
    },
  );

  it('maps failure errors to a bounded error.type, preferring the root cause code', async () => {
    const m = setupMetrics();
    const { observer } = createOtelObserver({ meter: m.meter });
    class WalError extends Error {
      override name = 'WalError';
      readonly code = 'ERR_FAILED';
    }
    observer.onFailed!({ error: new WalError('fsync failed') });
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    const wrapped = Object.assign(new Error('storage failed', { cause: eio }), { code: 'ESTORAGE' });
    observer.onFailed!({ error: new WalError('WAL failed', { cause: wrapped }) });
    observer.onFailed!({ error: Object.assign(new TypeError('x'), { code: 'not a code: contains spaces' }) });
    observer.onFailed!({ error: Object.assign(new Error('x'), { name: '' }) });
    const c = await m.collect();
    expect(c.points('nori.wal.failures')).toEqual([
      { attributes: { [NAME]: 'default', 'error.type': 'EIO' }, value: 1 },
      { attributes: { [NAME]: 'default', 'error.type': 'ERR_FAILED' }, value: 1 },
      { attributes: { [NAME]: 'default', 'error.type': 'TypeError' }, value: 1 },
      { attributes: { [NAME]: 'default', 'error.type': '_OTHER' }, value: 1 },
    ]);
    await m.shutdown();
  });

  it('collapses unknown corruption actions and reasons to other', async () => {
    const m = setupMetrics();
    const { observer } = createOtelObserver({ meter: m.meter, walName: 'c' });
    observer.onCorruption!({ segmentId: 1, offset: 0, reason: 'crc-mismatch', action: 'exploded' as never });
    observer.onCorruption!({ segmentId: 1, offset: 9, reason: 'key=secret-customer-42', action: 'skipped' });
    observer.onCorruption!({ segmentId: 2, offset: 9, reason: 'key=another-customer', action: 'skipped' });
    const c = await m.collect();
    expect(c.points('nori.wal.corruptions')).toEqual([
      { attributes: { [NAME]: 'c', 'nori.wal.corruption.action': 'other', 'nori.wal.corruption.reason': 'crc-mismatch' }, value: 1 },
      { attributes: { [NAME]: 'c', 'nori.wal.corruption.action': 'skipped', 'nori.wal.corruption.reason': 'other' }, value: 2 },
    ]);
    await m.shutdown();
  });

  it('does not count would-be truncation of a read-only recovery as truncated bytes', async () => {
    const m = setupMetrics();
    const { observer } = createOtelObserver({ meter: m.meter, walName: 'ro' });
    observer.onRecovery!(recoveryReport({ records: 9, bytesTruncated: 100, tail: 'torn', readOnly: true }));
    observer.onRecovery!(recoveryReport({ records: 1, bytesTruncated: 5, tail: 'torn', readOnly: false }));
    const c = await m.collect();
    const attrs = { [NAME]: 'ro', 'nori.wal.recovery.mode': 'tolerate-tail' };
    expect(c.points('nori.wal.recovery.records')).toEqual([{ attributes: attrs, value: 10 }]);
    expect(c.points('nori.wal.recovery.truncated.size')).toEqual([{ attributes: { ...attrs, 'nori.wal.recovery.tail': 'torn' }, value: 5 }]);
    expect(c.histogram('nori.wal.recovery.duration', { ...attrs, 'nori.wal.recovery.tail': 'torn' }).count).toBe(2);
    await m.shutdown();
  });

  it('keeps several instances apart by nori.wal.name', async () => {
    const m = setupMetrics();
    const a = createOtelObserver({ meter: m.meter, walName: 'a' });
    const b = createOtelObserver({ meter: m.meter, walName: 'b' });
    a.observer.onAppend!({ records: 2, bytes: 20, batch: false });
    b.observer.onAppend!({ records: 7, bytes: 70, batch: false });
    const c = await m.collect();
    expect(c.points('nori.wal.append.records')).toEqual([
      { attributes: { [NAME]: 'a', 'nori.wal.batch': false }, value: 2 },
      { attributes: { [NAME]: 'b', 'nori.wal.batch': false }, value: 7 },
    ]);
    await m.shutdown();
  });

  it('uses the global meter provider and the package scope when no meter is given', async () => {
    const reader = new ManualReader();
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    const { observer, walName } = createOtelObserver();
    expect(walName).toBe('default');
    observer.onAppend!({ records: 4, bytes: 40, batch: true });
    const { resourceMetrics } = await reader.collect();
    const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === INSTRUMENTATION_SCOPE);
    expect(scope?.metrics.map((x) => x.descriptor.name)).toContain('nori.wal.append.records');
    expect(new Collected(resourceMetrics).points('nori.wal.append.records')).toEqual([{ attributes: { [NAME]: 'default', 'nori.wal.batch': true }, value: 4 }]);
    await provider.shutdown();
  });

  it('never throws into the WAL when the SDK throws; the error goes to the diag logger', async () => {
    const m = setupMetrics();
    const logged: unknown[][] = [];
    diag.setLogger({ error: (...args: unknown[]) => logged.push(args), warn() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.ERROR);
    const broken = new Error('exporter exploded');
    const meter = new Proxy(m.meter, {
      get(target, property, receiver) {
        if (property !== 'createCounter') return Reflect.get(target, property, receiver) as unknown;
        return (name: string) => ({
          add() {
            if (name === 'nori.wal.append.records') throw broken;
          },
        });
      },
    });
    const { observer } = createOtelObserver({ meter, walName: 'x' });
    expect(() => observer.onAppend!({ records: 1, bytes: 1, batch: false })).not.toThrow();
    expect(logged).toHaveLength(1);
    expect(String(logged[0]![0])).toContain('onAppend');
    expect(logged[0]![1]).toBe(broken);
    // Other handlers keep working.
    observer.onFsync!({ durationMs: 1, bytes: 1, records: 1, appends: 1, ok: true });
    const c = await m.collect();
    expect(c.histogram('nori.wal.fsync.duration', { [NAME]: 'x', 'nori.wal.fsync.outcome': 'ok' }).count).toBe(1);
    await m.shutdown();
  });

  it('is a harmless no-op without any SDK registered', () => {
    const otel = createOtelObserver({ walName: 'quiet', spans: true });
    const o = otel.observer;
    expect(() => {
      o.onAppend!({ records: 1, bytes: 1, batch: false });
      o.onFsync!({ durationMs: 1, bytes: 1, records: 1, appends: 1, ok: false });
      o.onRecovery!(recoveryReport());
      otel.attach(new FakeWal()).detach();
    }).not.toThrow();
  });

  it('reports deltas correctly under delta temporality', async () => {
    const reader = new ManualReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
    const provider = new MeterProvider({ readers: [reader] });
    const { observer } = createOtelObserver({ meter: provider.getMeter('t') });
    observer.onAppend!({ records: 3, bytes: 30, batch: false });
    const first = new Collected((await reader.collect()).resourceMetrics);
    observer.onAppend!({ records: 5, bytes: 50, batch: false });
    const second = new Collected((await reader.collect()).resourceMetrics);
    expect(first.points('nori.wal.append.records')[0]?.value).toBe(3);
    expect(second.points('nori.wal.append.records')[0]?.value).toBe(5);
    await provider.shutdown();
  });
});

describe('attach: gauges from wal.stats()', () => {
  it('reports segments, disk usage and queued bytes on each collection until detached', async () => {
    const m = setupMetrics();
    const otel = createOtelObserver({ meter: m.meter, walName: 'g' });
    const wal = new FakeWal();

    const before = await m.collect();
    expect(before.byName.has('nori.wal.segment.count')).toBe(false);
    expect(wal.statsCalls).toBe(0);

    const attachment = otel.attach(wal);
    expect(attachment.attached).toBe(true);
    expect(attachment.wal).toBe(wal);
    const first = await m.collect();
    const w = { [NAME]: 'g' };
    expect(first.points('nori.wal.segment.count')).toEqual([{ attributes: w, value: 2 }]);
    expect(first.points('nori.wal.segment.file.size')).toEqual([{ attributes: w, value: 8192 }]);
    expect(first.points('nori.wal.queue.size')).toEqual([{ attributes: w, value: 512 }]);
    expect(wal.statsCalls).toBe(1);

    wal.current = stats({ segments: 5, diskBytes: 1_000_000, queuedBytes: 0 });
    const second = await m.collect();
    expect(second.points('nori.wal.segment.count')).toEqual([{ attributes: w, value: 5 }]);
    expect(second.points('nori.wal.segment.file.size')).toEqual([{ attributes: w, value: 1_000_000 }]);
    expect(second.points('nori.wal.queue.size')).toEqual([{ attributes: w, value: 0 }]);

    attachment.detach();
    attachment.detach();
    expect(attachment.attached).toBe(false);
    const calls = wal.statsCalls;
    wal.current = stats({ segments: 6, diskBytes: 2_000_000, queuedBytes: 64 });
    const after = await m.collect();
    expect(wal.statsCalls).toBe(calls);
    // Cumulative SDK storage may repeat the last observation, but never the detached WAL's new stats.
    for (const name of ['nori.wal.segment.count', 'nori.wal.segment.file.size', 'nori.wal.queue.size']) {
      for (const point of after.byName.get(name)?.dataPoints ?? []) expect(point.value, name).toBe(second.points(name)[0]!.value);
    }
    await m.shutdown();
  });

  it('stops reading a closed WAL', async () => {
    const m = setupMetrics();
    const otel = createOtelObserver({ meter: m.meter });
    const wal = new FakeWal();
    using _attachment = otel.attach(wal);
    await m.collect();
    wal.state = 'closed';
    wal.current = stats({ segments: 99 });
    const calls = wal.statsCalls;
    const c = await m.collect();
    expect(wal.statsCalls).toBe(calls);
    expect(c.points('nori.wal.segment.count').map((p) => p.value)).not.toContain(99);
    await m.shutdown();
  });

  it('allows one WAL at a time and re-attaching after detach; `using` detaches', async () => {
    const m = setupMetrics();
    const otel = createOtelObserver({ meter: m.meter });
    const first = new FakeWal();
    {
      using _a = otel.attach(first);
      const err = captureError(() => otel.attach(new FakeWal()));
      expect(err).toBeInstanceOf(NoriOtelError);
      expect(err.code).toBe('ERR_ALREADY_ATTACHED');
    }
    const second = new FakeWal();
    second.current = stats({ segments: 9 });
    const attachment = otel.attach(second);
    const c = await m.collect();
    expect(c.points('nori.wal.segment.count')).toEqual([{ attributes: { [NAME]: 'default' }, value: 9 }]);
    expect(first.statsCalls).toBe(0);
    attachment[Symbol.dispose]();
    expect(attachment.attached).toBe(false);
    await m.shutdown();
  });

  it('rejects things that are not a WAL', () => {
    const otel = createOtelObserver({ meter: setupMetrics().meter });
    for (const bad of [undefined, null, 42, {}, { stats: 1 }]) {
      const err = captureError(() => otel.attach(bad as unknown as WalStatsSource));
      expect(err).toBeInstanceOf(NoriOtelError);
      expect(err.code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('spans', () => {
  it('are off by default, even with a global tracer provider', () => {
    const { provider, exporter } = setupTracing();
    trace.setGlobalTracerProvider(provider);
    const { observer } = createOtelObserver({ meter: setupMetrics().meter });
    observer.onRecovery!(recoveryReport());
    observer.onFsync!({ durationMs: 1, bytes: 1, records: 1, appends: 1, ok: true });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('emit nori.wal.recovery and nori.wal.fsync spans with durations and attributes when a tracer is given', () => {
    const { tracer, exporter } = setupTracing();
    const { observer } = createOtelObserver({ meter: setupMetrics().meter, tracer, walName: 'traced' });
    observer.onRecovery!(
      recoveryReport({
        mode: 'salvage',
        tail: 'clean',
        durationMs: 250,
        bytesTruncated: 0,
        corruptions: [{ segmentId: 2, offset: 77, reason: 'crc-mismatch' }],
        quarantined: ['quarantined/000002.wal'],
        skipped: [{ from: { segmentId: 2, offset: 77 }, to: { segmentId: 2, offset: 200 } }],
      }),
    );
    observer.onFsync!({ durationMs: 1.5, bytes: 4096, records: 8, appends: 3, ok: true });
    observer.onFsync!({ durationMs: 12, bytes: 0, records: 0, appends: 0, ok: false });

    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['nori.wal.recovery', 'nori.wal.fsync', 'nori.wal.fsync']);
    const [recovery, fsyncOk, fsyncFailed] = spans;
    expect(hrToMs(recovery!.duration)).toBeCloseTo(250, 3);
    expect(recovery!.attributes).toEqual({
      [NAME]: 'traced',
      'nori.wal.recovery.mode': 'salvage',
      'nori.wal.recovery.tail': 'clean',
      'nori.wal.recovery.records': 1234,
      'nori.wal.recovery.segments': 3,
      'nori.wal.recovery.bytes_scanned': 98_765,
      'nori.wal.recovery.truncated_bytes': 0,
      'nori.wal.recovery.corruptions': 1,
      'nori.wal.recovery.quarantined': 1,
      'nori.wal.recovery.skipped_regions': 1,
      'nori.wal.recovery.batches_rolled_back': 0,
      'nori.wal.recovery.last_segment_id': 3,
      'nori.wal.recovery.last_offset': 4096,
      'nori.wal.recovery.read_only': false,
    });
    expect(recovery!.events.map((e) => [e.name, e.attributes])).toEqual([
      ['nori.wal.corruption', { 'nori.wal.segment.id': 2, 'nori.wal.corruption.offset': 77, 'nori.wal.corruption.reason': 'crc-mismatch' }],
    ]);
    expect(hrToMs(fsyncOk!.duration)).toBeCloseTo(1.5, 3);
    expect(fsyncOk!.attributes).toEqual({
      [NAME]: 'traced',
      'nori.wal.fsync.outcome': 'ok',
      'nori.wal.fsync.bytes': 4096,
      'nori.wal.fsync.records': 8,
      'nori.wal.fsync.appends': 3,
    });
    expect(fsyncOk!.status.code).toBe(SpanStatusCode.UNSET);
    expect(fsyncFailed!.status.code).toBe(SpanStatusCode.ERROR);
    expect(fsyncFailed!.attributes['nori.wal.fsync.outcome']).toBe('error');
    // The span ends when the event arrives: it covers the fsync that just happened. Span times
    // come from the monotonic clock (performance.timeOrigin + now(), like the SDK's), which can
    // drift some milliseconds from Date.now() on a busy machine: compare with a margin.
    const CLOCK_SKEW_MS = 1000;
    expect(hrToMs(fsyncFailed!.endTime)).toBeLessThanOrEqual(Date.now() + CLOCK_SKEW_MS);
    expect(hrToMs(fsyncFailed!.endTime)).toBeGreaterThan(Date.now() - 10_000);
  });

  it('can be selected per kind, and spans: true uses the global tracer', () => {
    const { provider, tracer, exporter } = setupTracing();
    const onlyRecovery = createOtelObserver({ meter: setupMetrics().meter, tracer, spans: { recovery: true } });
    onlyRecovery.observer.onFsync!({ durationMs: 1, bytes: 1, records: 1, appends: 1, ok: true });
    onlyRecovery.observer.onRecovery!(recoveryReport());
    const noneWithTracer = createOtelObserver({ meter: setupMetrics().meter, tracer, spans: false });
    noneWithTracer.observer.onRecovery!(recoveryReport());
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['nori.wal.recovery']);

    exporter.reset();
    trace.setGlobalTracerProvider(provider);
    const global = createOtelObserver({ meter: setupMetrics().meter, spans: { fsync: true } });
    global.observer.onRecovery!(recoveryReport());
    global.observer.onFsync!({ durationMs: 1, bytes: 1, records: 1, appends: 1, ok: true });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['nori.wal.fsync']);
    expect(spans[0]!.instrumentationScope.name).toBe(INSTRUMENTATION_SCOPE);
  });
});

describe('metric names (OpenTelemetry semantic-convention naming guide)', () => {
  const UNIT_WORDS = /(^|[._])(bytes?|seconds?|secs?|ms|millis(econds)?|total)([._]|$)/;

  it.each(NORI_WAL_METRICS.map((d) => [d.name, d] as const))('%s: lowercase dotted namespaces, no unit in the name', (_name, d) => {
    expect(d.name).toMatch(/^nori\.wal(\.[a-z][a-z0-9_]*)+$/);
    expect(d.name).not.toMatch(UNIT_WORDS);
  });

  it('names counts of things <entity>.count, and makes every additive value an UpDownCounter', () => {
    const observable = NORI_WAL_METRICS.filter((d) => d.kind.startsWith('observable'));
    expect(observable.map((d) => [d.name, d.kind])).toEqual([
      ['nori.wal.segment.count', 'observable-up-down-counter'],
      ['nori.wal.segment.file.size', 'observable-up-down-counter'],
      ['nori.wal.queue.size', 'observable-up-down-counter'],
    ]);
    // UpDownCounters are not pluralized; byte amounts are `.size` in `By`.
    for (const d of NORI_WAL_METRICS) {
      if (d.kind === 'observable-up-down-counter') expect(d.name, d.name).toMatch(/\.(count|size)$/);
      if (d.unit === 'By') expect(d.name, d.name).toMatch(/\.size$/);
    }
  });

  it('reports the queue as a non-monotonic sum, so queues of several WALs add up', async () => {
    const m = setupMetrics();
    const a = createOtelObserver({ meter: m.meter, walName: 'a' });
    const b = createOtelObserver({ meter: m.meter, walName: 'b' });
    const walA = new FakeWal();
    const walB = new FakeWal();
    walB.current = stats({ queuedBytes: 100 });
    using _a = a.attach(walA);
    using _b = b.attach(walB);
    const queue = (await m.collect()).metric('nori.wal.queue.size');
    expect(queue.dataPointType).toBe(DataPointType.SUM);
    expect(queue.dataPointType === DataPointType.SUM && queue.isMonotonic).toBe(false);
    expect(queue.dataPoints.reduce((total, p) => total + (p.value as number), 0)).toBe(612);
    await m.shutdown();
  });

  it('documents segment.file.size as file length (apparent size), not allocated blocks', () => {
    const d = NORI_WAL_METRICS.find((x) => x.name === 'nori.wal.segment.file.size');
    expect(d?.description).toMatch(/length/);
    expect(d?.description).toMatch(/not the blocks allocated/);
    expect(NORI_WAL_METRICS.some((x) => x.name.includes('disk.usage'))).toBe(false);
  });
});

describe('legacy metric names (deprecated)', () => {
  const replacements = {
    'nori.wal.append.bytes': 'nori.wal.append.size',
    'nori.wal.segments': 'nori.wal.segment.count',
    'nori.wal.disk.usage': 'nori.wal.segment.file.size',
    'nori.wal.queue.bytes': 'nori.wal.queue.size',
    'nori.wal.recovery.truncated_bytes': 'nori.wal.recovery.truncated.size',
  };

  it('lists every 0.1 name with its replacement and a deprecation note', () => {
    expect(Object.fromEntries(NORI_WAL_LEGACY_METRICS.map((d) => [d.name, d.replacedBy]))).toEqual(replacements);
    for (const d of NORI_WAL_LEGACY_METRICS) {
      expect(d.description, d.name).toContain(`Deprecated, removed in ${LEGACY_METRIC_NAMES_REMOVED_IN}: use ${d.replacedBy}`);
    }
    expect(NORI_WAL_LEGACY_METRICS.find((d) => d.name === 'nori.wal.queue.bytes')?.kind).toBe('observable-gauge');
  });

  async function legacyScenario(options: { legacyMetricNames?: boolean }): Promise<Collected> {
    const m = setupMetrics();
    const otel = createOtelObserver({ meter: m.meter, walName: 'old', ...options });
    otel.observer.onAppend!({ records: 2, bytes: 300, batch: true });
    otel.observer.onRecovery!(recoveryReport({ bytesTruncated: 9, tail: 'torn' }));
    using _attachment = otel.attach(new FakeWal());
    const c = await m.collect();
    await m.shutdown();
    return c;
  }

  it('emits the old names by default with exactly the values of the new ones', async () => {
    const c = await legacyScenario({});
    for (const [legacy, current] of Object.entries(replacements)) {
      expect(c.points(legacy), legacy).toEqual(c.points(current));
      expect(c.points(legacy).length, legacy).toBeGreaterThan(0);
    }
    expect(c.metric('nori.wal.queue.bytes').dataPointType).toBe(DataPointType.GAUGE);
  });

  it('emits only the new names with legacyMetricNames: false', async () => {
    const c = await legacyScenario({ legacyMetricNames: false });
    for (const [legacy, current] of Object.entries(replacements)) {
      expect(c.byName.has(legacy), legacy).toBe(false);
      expect(c.byName.has(current), current).toBe(true);
    }
  });

  it('warns on the diag logger when the legacy names are on by default, not when chosen explicitly', () => {
    const warned: unknown[][] = [];
    diag.setLogger({ error() {}, warn: (...args: unknown[]) => warned.push(args), info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
    const meter = setupMetrics().meter;
    createOtelObserver({ meter, legacyMetricNames: true });
    createOtelObserver({ meter, legacyMetricNames: false });
    expect(warned).toEqual([]);
    createOtelObserver({ meter });
    expect(warned).toHaveLength(1);
    expect(String(warned[0]![0])).toContain(`legacyMetricNames: false`);
    expect(String(warned[0]![0])).toContain(LEGACY_METRIC_NAMES_REMOVED_IN);
  });
});

describe('option validation', () => {
  const meter = setupMetrics().meter;
  const cases: [string, unknown][] = [
    ['not an object', 'orders'],
    ['null', null],
    ['unknown option (typo)', { walname: 'orders' }],
    ['empty walName', { walName: '' }],
    ['walName too long', { walName: 'x'.repeat(129) }],
    ['walName not a string', { walName: 7 }],
    ['meter not a Meter', { meter: {} }],
    ['tracer not a Tracer', { tracer: { startActiveSpan: 1 } }],
    ['spans not boolean/object', { spans: 'yes' }],
    ['unknown span kind', { spans: { append: true } }],
    ['span flag not boolean', { spans: { fsync: 1 } }],
    ['recovery flag not boolean', { spans: { recovery: 'on' } }],
    ['legacyMetricNames not boolean', { legacyMetricNames: 'yes' }],
  ];
  it.each(cases)('rejects %s with ERR_INVALID_OPTIONS', (_label, options) => {
    const err = captureError(() => createOtelObserver(options as never));
    expect(err).toBeInstanceOf(NoriOtelError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('NoriOtelError');
    expect(err.code).toBe('ERR_INVALID_OPTIONS');
  });

  it('accepts the longest allowed walName', () => {
    expect(createOtelObserver({ meter, walName: 'x'.repeat(128) }).walName).toHaveLength(128);
  });
});

function captureError(fn: () => unknown): NoriOtelError {
  try {
    fn();
  } catch (error) {
    return error as NoriOtelError;
  }
  throw new Error('expected a throw');
}
