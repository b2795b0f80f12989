import { describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '@nori/storage';
import { Wal, type Position } from '@nori/wal';
import {
  ArchiveError,
  Archiver,
  MemoryObjectStore,
  type ArchiverObserver,
  type ArchiverOptions,
  type ChunkShippedEvent,
  type ObjectStore,
  type RemoteDurableEvent,
  type RetryEvent,
} from '@nori/archive';
import { createArchiverOtelObserver, NORI_ARCHIVE_SPAN_NAMES, type ArchiverInstrumentation } from '../src/index.js';
import { histogramTotals, setupMetrics, setupTracing, sum, type Collected } from './helpers.js';

const NAME = 'nori.archive.name';
const KIND = 'nori.archive.chunk.kind';
const OP = 'nori.archive.store.operation';
const ERROR_TYPE = 'error.type';

/** Retries without real waiting and without randomness (the jitter is always 0). */
const FAST_RETRY = { initialDelayMs: 1, maxDelayMs: 1, random: () => 0 };

async function openWal(storage = new MemoryStorage(), maxSegmentSize = 4096): Promise<Wal> {
  const { wal } = await Wal.open({ storage, fsync: 'always', maxSegmentSize, preallocate: false });
  return wal;
}

async function appendRecords(wal: Wal, count: number, from = 0): Promise<void> {
  for (let i = from; i < from + count; i++) await wal.append({ key: `k${i}`, value: `value-${i}-`.padEnd(100, 'x') });
}

/** What the archiver reported, next to what the adapter made of it. */
interface Recorded {
  chunks: ChunkShippedEvent[];
  retries: RetryEvent[];
}

/** Hands every event to the OTel observer and keeps a copy for the expectations. */
function recording(otel: ArchiverInstrumentation): { observer: ArchiverObserver; recorded: Recorded } {
  const recorded: Recorded = { chunks: [], retries: [] };
  const o = otel.observer;
  return {
    recorded,
    observer: {
      ...o,
      onChunkShipped: (e) => {
        recorded.chunks.push(e);
        o.onChunkShipped!(e);
      },
      onRetry: (e) => {
        recorded.retries.push(e);
        o.onRetry!(e);
      },
    },
  };
}

function options(store: ObjectStore, extra: Partial<ArchiverOptions>): ArchiverOptions {
  return { store, prefix: 'arch', intervalMs: 60_000, retry: FAST_RETRY, ...extra };
}

/** Bytes from `from` to `to` of a log whose segments (before `to`'s) have the given sizes. */
async function bytesBetween(wal: Wal, from: Position, to: Position): Promise<number> {
  if (from.segmentId === to.segmentId) return to.offset - from.offset;
  const sealed = (await wal.segments()).filter((s) => s.id >= from.segmentId && s.id < to.segmentId);
  return sealed.reduce((total, s) => total + s.size, -from.offset) + to.offset;
}

function expectPosition(c: Collected, attrs: Record<string, unknown>, position: Position): void {
  expect(sum(c, 'nori.archive.position.segment', attrs)).toBe(position.segmentId);
  expect(sum(c, 'nori.archive.position.offset', attrs)).toBe(position.offset);
}

describe('archiver metrics with a real WAL and Archiver on a MemoryObjectStore', () => {
  it('counts chunks, bytes, ship durations and seeded store faults exactly as the archiver reports them', async () => {
    const m = setupMetrics();
    const store = new MemoryObjectStore({
      seed: 3,
      faults: [
        { kind: 'timeout', op: 'list', times: 2 },
        { kind: 'unavailable', op: 'put', times: 3 },
      ],
    });
    const otel = createArchiverOtelObserver({ meter: m.meter, archiverName: 'orders' });
    const { observer, recorded } = recording(otel);
    const wal = await openWal();
    const archiver = await Archiver.start(wal, options(store, { observer }));
    using _gauges = otel.attach(archiver);
    await appendRecords(wal, 120);
    const archived = await archiver.flush();
    const stats = archiver.stats();
    const c = await m.collect();
    const w = { [NAME]: 'orders' };

    // The workload spans several segments, so several data chunks were shipped.
    expect(stats.chunks).toBeGreaterThan(1);
    expect(sum(c, 'nori.archive.chunks', { ...w, [KIND]: 'data' })).toBe(stats.chunks);
    expect(sum(c, 'nori.archive.chunks', { ...w, [KIND]: 'generation-start' })).toBe(1);
    expect(sum(c, 'nori.archive.ship.size', { ...w, [KIND]: 'data' })).toBe(stats.bytes);
    const first = (await wal.segments())[0]!;
    expect(stats.bytes).toBe(await bytesBetween(wal, { segmentId: first.id, offset: 0 }, wal.stats().durablePosition));
    const durations = histogramTotals(c, 'nori.archive.ship.duration', w);
    expect(durations.count).toBe(stats.chunks + 1);
    expect(durations.sum).toBeCloseTo(
      recorded.chunks.reduce((t, e) => t + e.durationMs / 1000, 0),
      9,
    );

    // Every seeded fault was one retry, by operation and ArchiveError code.
    expect(recorded.retries.map((r) => [r.op, (r.error as ArchiveError).code])).toEqual([
      ['list', 'ERR_TIMEOUT'],
      ['list', 'ERR_TIMEOUT'],
      ['put', 'ERR_UNAVAILABLE'],
      ['put', 'ERR_UNAVAILABLE'],
      ['put', 'ERR_UNAVAILABLE'],
    ]);
    expect(sum(c, 'nori.archive.store.retries', { ...w, [OP]: 'list', [ERROR_TYPE]: 'ERR_TIMEOUT' })).toBe(2);
    expect(sum(c, 'nori.archive.store.retries', { ...w, [OP]: 'put', [ERROR_TYPE]: 'ERR_UNAVAILABLE' })).toBe(3);
    expect(sum(c, 'nori.archive.store.retries')).toBe(5);
    expect(sum(c, 'nori.archive.generation.starts', { ...w, 'nori.archive.generation.reason': 'new-log' })).toBe(1);
    expect(c.byName.has('nori.archive.failures')).toBe(false);
    expect(c.byName.has('nori.archive.fencings')).toBe(false);

    // Caught up: no lag, the archived position is the WAL's durable position.
    expect(archived).toEqual(wal.stats().durablePosition);
    expect(sum(c, 'nori.archive.lag.size', w)).toBe(0);
    expect(sum(c, 'nori.archive.lag.duration', w)).toBe(0);
    expectPosition(c, w, archived);
    expect(sum(c, 'nori.archive.generation.number', w)).toBe(archiver.generation);
    await archiver.close();
    await wal.close();
    await m.shutdown();
  });

  it('reports the lag of durable bytes not shipped yet, in bytes and seconds, from archiver.lag()', async () => {
    const m = setupMetrics();
    let clock = 1_000_000;
    const otel = createArchiverOtelObserver({ meter: m.meter, archiverName: 'lagging' });
    const wal = await openWal(new MemoryStorage(), 1024 * 1024);
    const archiver = await Archiver.start(wal, options(new MemoryObjectStore(), { observer: otel.observer, now: () => clock }));
    using _gauges = otel.attach(archiver);
    await appendRecords(wal, 10);
    const shipped = await archiver.flush();
    await appendRecords(wal, 25, 10);
    // The archiver notices pending bytes on its own poll; advance the clock until it has.
    await vi.waitFor(
      async () => {
        clock += 1500;
        expect((await archiver.lag()).seconds).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 20 },
    );
    const lag = await archiver.lag();
    const c = await m.collect();
    const w = { [NAME]: 'lagging' };
    expect(lag.bytes).toBe(await bytesBetween(wal, shipped, wal.stats().durablePosition));
    expect(lag.bytes).toBeGreaterThan(0);
    expect(sum(c, 'nori.archive.lag.size', w)).toBe(lag.bytes);
    expect(sum(c, 'nori.archive.lag.duration', w)).toBe(lag.seconds);
    expectPosition(c, w, shipped);

    const caughtUp = await archiver.flush();
    const after = await m.collect();
    expect(sum(after, 'nori.archive.lag.size', w)).toBe(0);
    expect(sum(after, 'nori.archive.lag.duration', w)).toBe(0);
    expectPosition(after, w, caughtUp);
    await archiver.close();
    const closed = await m.collect();
    expect(sum(closed, 'nori.archive.archiver.count', { ...w, 'nori.archive.archiver.state': 'closed' })).toBe(1);
    expect(sum(closed, 'nori.archive.archiver.count', w)).toBe(1);
    await wal.close();
    await m.shutdown();
  });

  it('counts a non-retryable store error as a failure by operation and code; the lag series stops', async () => {
    const m = setupMetrics();
    const inner = new MemoryObjectStore();
    let denyPuts = false;
    const store: ObjectStore = {
      put: (key, bytes, opts) => (denyPuts ? Promise.reject(new ArchiveError('ERR_ACCESS_DENIED', 'denied', { op: 'put', key })) : inner.put(key, bytes, opts)),
      get: (key, opts) => inner.get(key, opts),
      head: (key, opts) => inner.head(key, opts),
      list: (prefix, opts) => inner.list(prefix, opts),
      delete: (key, opts) => inner.delete(key, opts),
    };
    const otel = createArchiverOtelObserver({ meter: m.meter, archiverName: 'denied' });
    const wal = await openWal();
    const archiver = await Archiver.start(wal, options(store, { observer: otel.observer }));
    using _gauges = otel.attach(archiver);
    await appendRecords(wal, 5);
    denyPuts = true;
    await expect(archiver.flush()).rejects.toMatchObject({ code: 'ERR_ACCESS_DENIED' });
    expect(archiver.state).toBe('failed');
    const c = await m.collect();
    const w = { [NAME]: 'denied' };
    expect(c.points('nori.archive.failures')).toEqual([{ attributes: { ...w, [OP]: 'put', [ERROR_TYPE]: 'ERR_ACCESS_DENIED' }, value: 1 }]);
    expect(c.byName.has('nori.archive.store.retries')).toBe(false);
    expect(c.byName.has('nori.archive.lag.size')).toBe(false);
    expect(sum(c, 'nori.archive.archiver.count', { ...w, 'nori.archive.archiver.state': 'failed' })).toBe(1);
    expectPosition(c, w, archiver.archivedPosition);
    await archiver.close();
    await wal.close();
    await m.shutdown();
  });

  it('fencing: a takeover counts a generation start (takeover) for the new primary and one fencing for the old', async () => {
    const m = setupMetrics();
    const store = new MemoryObjectStore();
    const otelA = createArchiverOtelObserver({ meter: m.meter, archiverName: 'a' });
    const otelB = createArchiverOtelObserver({ meter: m.meter, archiverName: 'b' });
    const walA = await openWal();
    const first = await Archiver.start(walA, options(store, { observer: otelA.observer }));
    using _a = otelA.attach(first);
    await appendRecords(walA, 30);
    await first.flush();

    const walB = await openWal();
    await appendRecords(walB, 10, 1000);
    await expect(Archiver.start(walB, options(store, { observer: otelB.observer }))).rejects.toMatchObject({ code: 'ERR_FENCED' });
    const second = await Archiver.start(walB, options(store, { observer: otelB.observer, takeover: true }));
    using _b = otelB.attach(second);
    await second.flush();
    const beforeFencing = await m.collect();
    expect(beforeFencing.points('nori.archive.lag.size').map((p) => p.attributes[NAME])).toEqual(['a', 'b']);
    await appendRecords(walA, 5, 30);
    await expect(first.flush()).rejects.toMatchObject({ code: 'ERR_FENCED' });

    const c = await m.collect();
    const a = { [NAME]: 'a' };
    const b = { [NAME]: 'b' };
    expect(c.points('nori.archive.fencings')).toEqual([{ attributes: a, value: 1 }]);
    expect(c.points('nori.archive.generation.starts')).toEqual([
      { attributes: { ...a, 'nori.archive.generation.reason': 'new-log' }, value: 1 },
      { attributes: { ...b, 'nori.archive.generation.reason': 'takeover' }, value: 1 },
    ]);
    expect(c.points('nori.archive.generation.number')).toEqual([
      { attributes: a, value: 1 },
      { attributes: b, value: 2 },
    ]);
    // The fenced archiver says so in its state (its lag is no longer read); the new primary is caught up.
    const running = (attrs: Record<string, unknown>) => ({ ...attrs, 'nori.archive.archiver.state': 'running' });
    const fenced = (attrs: Record<string, unknown>) => ({ ...attrs, 'nori.archive.archiver.state': 'fenced' });
    expect(sum(beforeFencing, 'nori.archive.archiver.count', running(a))).toBe(1);
    expect(sum(c, 'nori.archive.archiver.count', running(a))).toBe(0);
    expect(sum(c, 'nori.archive.archiver.count', fenced(a))).toBe(1);
    expect(sum(c, 'nori.archive.archiver.count', a)).toBe(1);
    expect(sum(c, 'nori.archive.archiver.count', running(b))).toBe(1);
    expect(sum(c, 'nori.archive.lag.size', b)).toBe(0);
    expect(sum(c, 'nori.archive.chunks', { ...b, [KIND]: 'data' })).toBe(second.stats().chunks);
    expect(c.byName.has('nori.archive.failures')).toBe(false);
    await Promise.all([first.close(), second.close()]);
    await Promise.all([walA.close(), walB.close()]);
    await m.shutdown();
  });

  it('counts a resumed generation after a restart of the same WAL', async () => {
    const m = setupMetrics();
    const storage = new MemoryStorage();
    const store = new MemoryObjectStore();
    const otel = createArchiverOtelObserver({ meter: m.meter, archiverName: 'restart' });
    let wal = await openWal(storage);
    let archiver = await Archiver.start(wal, options(store, { observer: otel.observer }));
    await appendRecords(wal, 20);
    await archiver.close({ flush: true });
    await wal.close();
    wal = await openWal(storage);
    archiver = await Archiver.start(wal, options(store, { observer: otel.observer }));
    const c = await m.collect();
    const w = { [NAME]: 'restart' };
    expect(c.points('nori.archive.generation.resumes')).toEqual([{ attributes: w, value: 1 }]);
    expect(c.points('nori.archive.generation.starts')).toEqual([{ attributes: { ...w, 'nori.archive.generation.reason': 'new-log' }, value: 1 }]);
    await archiver.close();
    await wal.close();
    await m.shutdown();
  });

  it('emits one nori.archive.chunk.ship span per created chunk with its seq, bytes and attempts', async () => {
    const m = setupMetrics();
    const t = setupTracing();
    const otel = createArchiverOtelObserver({ meter: m.meter, tracer: t.tracer, archiverName: 'traced' });
    const { observer, recorded } = recording(otel);
    const wal = await openWal();
    const archiver = await Archiver.start(wal, options(new MemoryObjectStore({ faults: [{ kind: 'unavailable', op: 'put', times: 1 }] }), { observer }));
    await appendRecords(wal, 60);
    await archiver.flush();
    const spans = t.exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(recorded.chunks.map(() => NORI_ARCHIVE_SPAN_NAMES.ship));
    expect(
      spans.map((s) => [
        s.attributes['nori.archive.chunk.seq'],
        s.attributes['nori.archive.chunk.bytes'],
        s.attributes['nori.archive.chunk.attempts'],
        s.attributes[KIND],
      ]),
    ).toEqual(recorded.chunks.map((e) => [e.seq, e.bytes, e.attempts, e.kind]));
    // The seeded fault made the first chunk (the generation start) take two attempts.
    expect(spans[0]!.attributes['nori.archive.chunk.attempts']).toBe(2);
    await archiver.close();
    await wal.close();
    await m.shutdown();
    await t.provider.shutdown();
  });
});

describe('remote-durable wait latency with a real WAL and Archiver', () => {
  it('records one nori.archive.remote_durable.duration per settled call, by operation and outcome, with the durations the archiver reported', async () => {
    const m = setupMetrics();
    const otel = createArchiverOtelObserver({ meter: m.meter, archiverName: 'durable' });
    const events: RemoteDurableEvent[] = [];
    const observer: ArchiverObserver = { ...otel.observer, onRemoteDurable: (e) => (events.push(e), otel.observer.onRemoteDurable!(e)) };
    // A seeded fault: the first data PUT is retried, so the waiting appends span a retry.
    const store = new MemoryObjectStore({ seed: 11, faults: [{ kind: 'unavailable', op: 'put', times: 2 }] });
    const wal = await openWal();
    const archiver = await Archiver.start(wal, options(store, { observer }));
    const appended = await Promise.all(Array.from({ length: 8 }, (_, i) => archiver.append({ key: `k${i}`, value: `v${i}` })));
    await archiver.appendBatch([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    await archiver.waitArchived(appended[0]!.position);
    await expect(archiver.waitArchived({ segmentId: 1, offset: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const c = await m.collect();
    const attrs = (op: string, outcome: string) => ({
      [NAME]: 'durable',
      'nori.archive.remote_durable.operation': op,
      'nori.archive.remote_durable.outcome': outcome,
    });
    const cases = [
      ['append', 'ok'],
      ['appendBatch', 'ok'],
      ['waitArchived', 'ok'],
      ['waitArchived', 'error'],
    ] as const;
    for (const [op, outcome] of cases) {
      const mine = events.filter((e) => e.op === op && e.ok === (outcome === 'ok'));
      const totals = histogramTotals(c, 'nori.archive.remote_durable.duration', attrs(op, outcome));
      expect(totals.count, `${op} ${outcome}`).toBe(mine.length);
      expect(totals.sum).toBeCloseTo(mine.reduce((t, e) => t + e.durationMs, 0) / 1000, 9);
    }
    expect(cases.map(([op, outcome]) => histogramTotals(c, 'nori.archive.remote_durable.duration', attrs(op, outcome)).count)).toEqual([8, 1, 1, 1]);
    expect(sum(c, 'nori.archive.store.retries', { [NAME]: 'durable', [OP]: 'put', [ERROR_TYPE]: 'ERR_UNAVAILABLE' })).toBe(2);
    await archiver.close();
    await wal.close();
    await m.shutdown();
  });
});
