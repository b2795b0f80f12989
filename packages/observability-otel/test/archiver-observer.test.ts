import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { ArchiverLag, ArchiverStats } from '@nori/archive';
import {
  ARCHIVER_OBSERVER_METHODS,
  createArchiverOtelObserver,
  NORI_ARCHIVE_METRICS,
  NoriOtelError,
  SHIP_DURATION_BUCKETS,
  type ArchiverStatsSource,
} from '../src/index.js';
import { setupMetrics } from './helpers.js';

const NAME = 'nori.archive.name';

afterEach(() => {
  diag.disable();
});

function chunk(overrides: { seq: number; bytes: number; durationMs: number; kind?: 'data' | 'generation-start'; attempts?: number }) {
  return { key: `arch/chunks/${overrides.seq}`, generation: 1, segmentId: 1, offset: 0, attempts: 1, kind: 'data' as const, ...overrides };
}

/** An archiver stand-in whose stats, lag and state the test sets. */
class FakeArchiver implements ArchiverStatsSource {
  state = 'running';
  lagValue: ArchiverLag = { bytes: 300, seconds: 1.5 };
  statsValue: ArchiverStats = { generation: 4, nextSeq: 9, chunks: 7, bytes: 7000, archivedPosition: { segmentId: 3, offset: 1024 } };
  stats(): ArchiverStats {
    return this.statsValue;
  }
  lag(): Promise<ArchiverLag> {
    return this.state === 'running' ? Promise.resolve(this.lagValue) : Promise.reject(new Error(`archiver ${this.state}`));
  }
}

function thrown(fn: () => unknown): NoriOtelError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NoriOtelError);
    return error as NoriOtelError;
  }
  throw new Error('expected a throw');
}

describe('createArchiverOtelObserver: scripted events', () => {
  it('turns chunk, retry, failure, fencing and generation events into exact metrics', async () => {
    const m = setupMetrics();
    const { observer } = createArchiverOtelObserver({ meter: m.meter, archiverName: 'orders' });
    const unavailable = Object.assign(new Error('503'), {
      name: 'ArchiveError',
      code: 'ERR_UNAVAILABLE',
      op: 'put',
      cause: Object.assign(new Error('socket'), { code: 'ECONNRESET' }),
    });
    observer.onGenerationStarted!({ generation: 1, startSeq: 0, parentGeneration: null, reason: 'new-log' });
    observer.onGenerationStarted!({ generation: 2, startSeq: 5, parentGeneration: 1, reason: 'takeover' });
    observer.onGenerationStarted!({ generation: 3, startSeq: 9, parentGeneration: 2, reason: 'some future reason' as 'takeover' });
    observer.onGenerationResumed!({ generation: 3, nextSeq: 12 });
    observer.onChunkShipped!(chunk({ seq: 0, bytes: 40, durationMs: 2, kind: 'generation-start' }));
    observer.onChunkShipped!(chunk({ seq: 1, bytes: 1000, durationMs: 30 }));
    observer.onChunkShipped!(chunk({ seq: 2, bytes: 500, durationMs: 700, attempts: 3 }));
    observer.onRetry!({ op: 'put', key: 'k', attempt: 1, delayMs: 5, error: unavailable });
    observer.onRetry!({ op: 'put', key: 'k', attempt: 2, delayMs: 9, error: unavailable });
    observer.onRetry!({ op: 'frobnicate', key: undefined, attempt: 1, delayMs: 5, error: new TypeError('x') });
    observer.onError!({ error: Object.assign(new Error('denied'), { code: 'ERR_ACCESS_DENIED', op: 'list' }) });
    observer.onError!({ error: Object.assign(new Error('local segment missing'), { code: 'ERR_OBJECT_MISSING' }) });
    observer.onFenced!({ error: Object.assign(new Error('fenced'), { code: 'ERR_FENCED' }), key: 'arch/chunks/3' });
    observer.onRemoteDurable!({ op: 'append', records: 1, durationMs: 40, ok: true });
    observer.onRemoteDurable!({ op: 'append', records: 1, durationMs: 60, ok: true });
    observer.onRemoteDurable!({ op: 'waitArchived', records: 1, durationMs: 5, ok: false });
    observer.onRemoteDurable!({ op: 'teleport' as 'append', records: 1, durationMs: 1, ok: true });

    const c = await m.collect();
    const w = { [NAME]: 'orders' };
    const reason = (r: string) => ({ ...w, 'nori.archive.generation.reason': r });
    expect(c.points('nori.archive.generation.starts')).toEqual([
      { attributes: reason('new-log'), value: 1 },
      { attributes: reason('other'), value: 1 },
      { attributes: reason('takeover'), value: 1 },
    ]);
    expect(c.points('nori.archive.generation.resumes')).toEqual([{ attributes: w, value: 1 }]);
    const data = { ...w, 'nori.archive.chunk.kind': 'data' };
    const start = { ...w, 'nori.archive.chunk.kind': 'generation-start' };
    expect(c.points('nori.archive.chunks')).toEqual([
      { attributes: data, value: 2 },
      { attributes: start, value: 1 },
    ]);
    expect(c.points('nori.archive.ship.size')).toEqual([
      { attributes: data, value: 1500 },
      { attributes: start, value: 40 },
    ]);
    const durations = c.histogram('nori.archive.ship.duration', data);
    expect(durations.count).toBe(2);
    expect(durations.sum).toBeCloseTo(0.73, 12);
    expect(durations.buckets.boundaries).toEqual(SHIP_DURATION_BUCKETS);
    // The ArchiveError's own code, not the socket error below it; unknown ops become `other`.
    const op = (o: string, type: string) => ({ ...w, 'nori.archive.store.operation': o, 'error.type': type });
    expect(c.points('nori.archive.store.retries')).toEqual([
      { attributes: op('put', 'ERR_UNAVAILABLE'), value: 2 },
      { attributes: op('other', 'TypeError'), value: 1 },
    ]);
    expect(c.points('nori.archive.failures')).toEqual([
      { attributes: op('list', 'ERR_ACCESS_DENIED'), value: 1 },
      { attributes: op('none', 'ERR_OBJECT_MISSING'), value: 1 },
    ]);
    expect(c.points('nori.archive.fencings')).toEqual([{ attributes: w, value: 1 }]);
    const durable = (o: string, outcome: string) =>
      c.histogram('nori.archive.remote_durable.duration', { ...w, 'nori.archive.remote_durable.operation': o, 'nori.archive.remote_durable.outcome': outcome });
    expect([durable('append', 'ok').count, durable('waitArchived', 'error').count, durable('other', 'ok').count]).toEqual([2, 1, 1]);
    expect(durable('append', 'ok').sum).toBeCloseTo(0.1, 12);
    expect(durable('waitArchived', 'error').sum).toBeCloseTo(0.005, 12);
    for (const d of NORI_ARCHIVE_METRICS.filter((x) => x.kind === 'counter' || x.kind === 'histogram')) {
      expect(c.metric(d.name).descriptor.unit, d.name).toBe(d.unit);
      expect(c.metric(d.name).descriptor.description, d.name).toBe(d.description);
    }
    await m.shutdown();
  });

  it('observes lag, archived position, generation and state of the attached archiver on every collection', async () => {
    const m = setupMetrics();
    const otel = createArchiverOtelObserver({ meter: m.meter, archiverName: 'g' });
    const archiver = new FakeArchiver();
    const attachment = otel.attach(archiver);
    const w = { [NAME]: 'g' };
    const state = (s: string) => ({ ...w, 'nori.archive.archiver.state': s });
    let c = await m.collect();
    expect(c.points('nori.archive.lag.size')).toEqual([{ attributes: w, value: 300 }]);
    expect(c.points('nori.archive.lag.duration')).toEqual([{ attributes: w, value: 1.5 }]);
    expect(c.points('nori.archive.position.segment')).toEqual([{ attributes: w, value: 3 }]);
    expect(c.points('nori.archive.position.offset')).toEqual([{ attributes: w, value: 1024 }]);
    expect(c.points('nori.archive.generation.number')).toEqual([{ attributes: w, value: 4 }]);
    expect(c.points('nori.archive.archiver.count')).toEqual([
      { attributes: state('closed'), value: 0 },
      { attributes: state('failed'), value: 0 },
      { attributes: state('fenced'), value: 0 },
      { attributes: state('other'), value: 0 },
      { attributes: state('running'), value: 1 },
    ]);
    for (const d of NORI_ARCHIVE_METRICS.filter((x) => x.kind.startsWith('observable'))) {
      expect(c.metric(d.name).descriptor.unit, d.name).toBe(d.unit);
    }

    archiver.lagValue = { bytes: 0, seconds: 0 };
    archiver.statsValue = { ...archiver.statsValue, archivedPosition: { segmentId: 4, offset: 77 } };
    c = await m.collect();
    expect(c.points('nori.archive.lag.size')).toEqual([{ attributes: w, value: 0 }]);
    expect(c.points('nori.archive.position.segment')).toEqual([{ attributes: w, value: 4 }]);
    expect(c.points('nori.archive.position.offset')).toEqual([{ attributes: w, value: 77 }]);

    archiver.state = 'fenced';
    c = await m.collect();
    expect(c.points('nori.archive.archiver.count').filter((p) => p.value === 1)).toEqual([{ attributes: state('fenced'), value: 1 }]);

    attachment.detach();
    attachment.detach();
    expect(attachment.attached).toBe(false);
    // Detached: a new archiver may be attached, and the old one is no longer read.
    const next = new FakeArchiver();
    next.statsValue = { ...next.statsValue, generation: 5 };
    using _again = otel.attach(next);
    c = await m.collect();
    expect(c.points('nori.archive.generation.number')).toEqual([{ attributes: w, value: 5 }]);
    await m.shutdown();
  });

  it('skips the lag (and nothing else) when lag() throws, even synchronously; collection still succeeds', async () => {
    const m = setupMetrics();
    const otel = createArchiverOtelObserver({ meter: m.meter, archiverName: 'odd' });
    const archiver = new FakeArchiver();
    archiver.lag = () => {
      throw new Error('not a promise');
    };
    using _attachment = otel.attach(archiver);
    const c = await m.collect();
    expect(c.byName.has('nori.archive.lag.size')).toBe(false);
    expect(c.points('nori.archive.position.segment')).toEqual([{ attributes: { [NAME]: 'odd' }, value: 3 }]);
    await m.shutdown();
  });

  it('refuses a second attach while one archiver is attached, and non-archivers', () => {
    const otel = createArchiverOtelObserver({ meter: setupMetrics().meter });
    using _first = otel.attach(new FakeArchiver());
    expect(thrown(() => otel.attach(new FakeArchiver())).code).toBe('ERR_ALREADY_ATTACHED');
    expect(thrown(() => otel.attach({ stats: () => new FakeArchiver().stats() } as unknown as ArchiverStatsSource)).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('rejects bad options with ERR_INVALID_OPTIONS', () => {
    const bad: unknown[] = [
      null,
      { archiverName: '' },
      { archiverName: 'x'.repeat(129) },
      { archiverName: 7 },
      { meter: {} },
      { tracer: {} },
      { spans: 'yes' },
      { walName: 'typo' },
    ];
    for (const options of bad) {
      expect(thrown(() => createArchiverOtelObserver(options as never)).code, JSON.stringify(options)).toBe('ERR_INVALID_OPTIONS');
    }
    expect(createArchiverOtelObserver({ archiverName: 'x'.repeat(128) }).archiverName).toHaveLength(128);
    expect(createArchiverOtelObserver().archiverName).toBe('default');
  });

  it('never throws into the archiver when the SDK throws; the error goes to the diag logger', () => {
    const m = setupMetrics();
    const logged: unknown[][] = [];
    diag.setLogger({ error: (...args: unknown[]) => logged.push(args), warn() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.ERROR);
    const broken = new Error('exporter exploded');
    const meter = new Proxy(m.meter, {
      get(target, property, receiver) {
        if (property !== 'createCounter') return Reflect.get(target, property, receiver) as unknown;
        return () => ({
          add() {
            throw broken;
          },
        });
      },
    });
    const { observer } = createArchiverOtelObserver({ meter });
    expect(Object.keys(observer).sort()).toEqual([...ARCHIVER_OBSERVER_METHODS].sort());
    expect(() => observer.onFenced!({ error: new Error('fenced'), key: undefined })).not.toThrow();
    expect(logged).toHaveLength(1);
    expect(String(logged[0]![0])).toContain('onFenced');
    expect(logged[0]![1]).toBe(broken);
  });

  it('is a harmless no-op without any SDK registered', () => {
    const otel = createArchiverOtelObserver({ spans: true });
    expect(() => {
      otel.observer.onChunkShipped!(chunk({ seq: 1, bytes: 10, durationMs: 1 }));
      otel.attach(new FakeArchiver()).detach();
    }).not.toThrow();
  });
});

describe('dependencies', () => {
  it('imports @nori/archive and @nori/wal for types only (no AWS SDK for WAL-only users)', () => {
    const dir = new URL('../src/', import.meta.url);
    const imports = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        [...readFileSync(new URL(f, dir), 'utf8').matchAll(/^(import|export)\b[^;]*?from '(@nori\/[^']+)'/gms)].map((m) => ({ file: f, statement: m[0] })),
      );
    expect(imports.some((i) => i.statement.includes('@nori/archive'))).toBe(true);
    for (const { file, statement } of imports) expect(statement, file).toMatch(/^(import|export) type /);
  });
});
