import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '@nori/storage';
import { Wal } from '@nori/wal';
import { Archiver, MemoryObjectStore, openReplica, type ChunkAppliedEvent, type ReplicaObserver, type RetryEvent } from '@nori/archive';
import { createReplicaOtelObserver, type NoriOtelError, type ReplicaInstrumentation } from '../src/index.js';
import { setupMetrics, sum } from './helpers.js';

const NAME = 'nori.replica.name';
const KIND = 'nori.replica.chunk.kind';
/** Retries without real waiting and without randomness (the jitter is always 0). */
const FAST_RETRY = { initialDelayMs: 1, maxDelayMs: 1, random: () => 0 };
const RECORDS = 60;

interface Recorded {
  applied: ChunkAppliedEvent[];
  retries: RetryEvent[];
  polls: { chunks: number }[];
}

/** Hands every event to the OTel observer and keeps a copy for the expectations. */
function recording(otel: ReplicaInstrumentation): { observer: ReplicaObserver; recorded: Recorded } {
  const recorded: Recorded = { applied: [], retries: [], polls: [] };
  const o = otel.observer;
  return {
    recorded,
    observer: {
      ...o,
      onChunkApplied: (e) => (recorded.applied.push(e), o.onChunkApplied!(e)),
      onRetry: (e) => (recorded.retries.push(e), o.onRetry!(e)),
      onPoll: (e) => (recorded.polls.push(e), o.onPoll!(e)),
    },
  };
}

/** A primary (WAL + Archiver) that shipped `RECORDS` records in several chunks to `store`. */
async function shipPrimary(store: MemoryObjectStore): Promise<{ close: () => Promise<void> }> {
  const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'always', maxSegmentSize: 4096, preallocate: false });
  const archiver = await Archiver.start(wal, { store, prefix: 'p', intervalMs: 60_000, retry: FAST_RETRY, maxChunkBytes: 1024 });
  for (let i = 0; i < RECORDS; i++) await wal.append({ key: `k${i}`, value: `value-${i}-`.padEnd(100, 'x') });
  await archiver.flush();
  return { close: async () => (await archiver.close(), await wal.close()) };
}

describe('replica metrics with a real WAL, Archiver and Replica on a MemoryObjectStore', () => {
  it('counts applied chunks, records, bytes, polls and seeded store retries exactly as the replica reports them; lag gauges follow replica.lag()', async () => {
    const m = setupMetrics();
    const store = new MemoryObjectStore({ seed: 5 });
    const primary = await shipPrimary(store);
    // A seeded fault on the replica's side: its first listing fails (retried by the replica).
    store.injectFault({ kind: 'unavailable', op: 'list', times: 1 });
    const otel = createReplicaOtelObserver({ meter: m.meter, replicaName: 'eu' });
    const { observer, recorded } = recording(otel);
    await using replica = openReplica({ store, prefix: 'p', pollIntervalMs: 1, retry: FAST_RETRY, observer });
    using _gauges = otel.attach(replica);
    const r = { [NAME]: 'eu' };
    let seen = 0;
    for await (const _entry of replica.follow()) {
      seen++;
      if (seen === 1) {
        // Paused inside the first data chunk: every other listed chunk is still behind.
        const lag = await replica.lag();
        expect(lag.chunks).toBeGreaterThan(1);
        const c = await m.collect();
        expect(sum(c, 'nori.replica.lag.chunk.count', r)).toBe(lag.chunks);
        expect(sum(c, 'nori.replica.lag.size', r)).toBe(lag.bytes);
        expect(sum(c, 'nori.replica.lag.duration', r)).toBe(lag.seconds);
      }
      if (seen === RECORDS) break;
    }
    const c = await m.collect();
    const applied = (kind: string) => recorded.applied.filter((e) => e.kind === kind);
    expect(applied('data').length).toBeGreaterThan(2);
    for (const kind of ['data', 'generation-start']) {
      expect(sum(c, 'nori.replica.chunks', { ...r, [KIND]: kind })).toBe(applied(kind).length);
      expect(sum(c, 'nori.replica.apply.size', { ...r, [KIND]: kind })).toBe(applied(kind).reduce((t, e) => t + e.bytes, 0));
    }
    const records = recorded.applied.reduce((t, e) => t + e.records, 0);
    expect(records).toBeGreaterThan(0);
    expect(sum(c, 'nori.replica.records', r)).toBe(records);
    const polls = (found: boolean) => recorded.polls.filter((p) => p.chunks > 0 === found).length;
    expect(polls(true)).toBeGreaterThan(0);
    expect(sum(c, 'nori.replica.polls', { ...r, 'nori.replica.poll.result': 'new-chunks' })).toBe(polls(true));
    expect(sum(c, 'nori.replica.polls', { ...r, 'nori.replica.poll.result': 'caught-up' })).toBe(polls(false));
    // The seeded listing fault was retried once, counted under its operation and ArchiveError code.
    expect(recorded.retries.map((e) => [e.op, (e.error as { code?: string }).code])).toEqual([['list', 'ERR_UNAVAILABLE']]);
    const retry = (op: string) => sum(c, 'nori.replica.store.retries', { ...r, 'nori.replica.store.operation': op, 'error.type': 'ERR_UNAVAILABLE' });
    expect([retry('list'), retry('follow')]).toEqual([1, 0]);
    // Caught up after the last record: the gauges agree with replica.lag() again.
    const lag = await replica.lag();
    const after = await m.collect();
    expect(sum(after, 'nori.replica.lag.chunk.count', r)).toBe(lag.chunks);
    expect(sum(after, 'nori.replica.lag.size', r)).toBe(lag.bytes);
    await replica.close();
    await primary.close();
    await m.shutdown();
  });

  it('counts generation changes by reason and verification, mapping unknown reasons to other', async () => {
    const m = setupMetrics();
    const otel = createReplicaOtelObserver({ meter: m.meter, replicaName: 'g' });
    const base = { seq: 1, parentGeneration: 1 };
    otel.observer.onGenerationChanged!({ ...base, generation: 2, reason: 'takeover', verified: true });
    otel.observer.onGenerationChanged!({ ...base, generation: 3, reason: 'takeover', verified: true });
    otel.observer.onGenerationChanged!({ ...base, generation: 4, reason: 'diverged', verified: false });
    otel.observer.onGenerationChanged!({ ...base, generation: 5, reason: 'surprise' as 'takeover', verified: false });
    const c = await m.collect();
    const g = (reason: string, verified: boolean) => ({ [NAME]: 'g', 'nori.replica.generation.reason': reason, 'nori.replica.generation.verified': verified });
    const changes = (reason: string, verified: boolean) => sum(c, 'nori.replica.generation.changes', g(reason, verified));
    expect([changes('takeover', true), changes('diverged', false), changes('other', false)]).toEqual([2, 1, 1]);
    expect(c.points('nori.replica.generation.changes')).toHaveLength(3);
    await m.shutdown();
  });

  it('reports exact lag gauges from lag(), none once closed or when lag() rejects, and rejects misuse', async () => {
    const m = setupMetrics();
    const otel = createReplicaOtelObserver({ meter: m.meter, replicaName: 'lagging' });
    let reported = { seconds: 2.5, chunks: 7, bytes: 4096 };
    const source = {
      closed: false,
      failing: false,
      lag: async () => {
        if (source.failing) throw new Error('store down');
        return { ...reported, appliedSeq: 3, newestSeq: 10, polledAt: 0 };
      },
    };
    const attachment = otel.attach(source);
    expect(() => otel.attach(source)).toThrow(expect.objectContaining({ code: 'ERR_ALREADY_ATTACHED' }) as NoriOtelError);
    const r = { [NAME]: 'lagging' };
    const gauges = async () => {
      const c = await m.collect();
      return [sum(c, 'nori.replica.lag.duration', r), sum(c, 'nori.replica.lag.chunk.count', r), sum(c, 'nori.replica.lag.size', r)];
    };
    expect(await gauges()).toEqual([2.5, 7, 4096]);
    reported = { seconds: 0, chunks: 0, bytes: 0 };
    expect(await gauges()).toEqual([0, 0, 0]);
    // lag() rejects, then the replica is closed: nothing new is observed (cumulative temporality
    // repeats the last observation), so the changed values never show.
    reported = { seconds: 9, chunks: 9, bytes: 9 };
    source.failing = true;
    expect(await gauges()).toEqual([0, 0, 0]);
    source.failing = false;
    source.closed = true;
    expect(await gauges()).toEqual([0, 0, 0]);
    attachment.detach();
    expect(attachment.attached).toBe(false);
    expect(() => otel.attach({} as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }) as NoriOtelError);
    expect(() => createReplicaOtelObserver({ replicaName: '' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }) as NoriOtelError);
    expect(() => createReplicaOtelObserver({ replica: 'x' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }) as NoriOtelError);
    await m.shutdown();
  });
});
