import { ARCHIVE_SIDE_FILE } from '../src/archiver/side-file.js';
import { describe, expect, it } from 'vitest';
import { Archiver, MemoryObjectStore, applyRetention, chunkKey, openReplica, type GenerationChangedEvent, type ReplicaEntry } from '../src/index.js';
import { encodeRecord } from '@nori/codec';
import { ChunkKind, encodeGenerationStart, newWriterId } from '../src/index.js';
import { appendRecords, expectCode, openWal, testOptions } from './archiver-support.js';
import { putChunk } from './support/archive-log.js';
import { take, texts, walRecords } from './replica-support.js';

const POLL = 5;

/** A WAL with `count` records shipped to `store` under `arch` by a (then closed) archiver. */
async function shippedWal(store: MemoryObjectStore, count: number, seedFrom = 0) {
  const wal = await openWal();
  await appendRecords(wal, count, { from: seedFrom });
  const archiver = await Archiver.start(wal, testOptions(store));
  await archiver.close({ flush: true });
  return wal;
}

describe('replica', () => {
  it('follows live while a WAL appends and ships, across segments, in order and byte-equal', async () => {
    const store = new MemoryObjectStore({ listPageSize: 3 });
    const wal = await openWal();
    const archiver = await Archiver.start(wal, testOptions(store, { intervalMs: 2 }));
    const replica = openReplica({ store, prefix: 'arch', pollIntervalMs: POLL });
    const seen: ReplicaEntry[] = [];
    const following = (async () => {
      for await (const entry of replica.follow()) {
        seen.push(entry);
        if (seen.length === 300) break;
      }
    })();
    for (let round = 0; round < 10; round++) {
      await appendRecords(wal, 30, { from: round * 30 });
      if (round % 3 === 0) await archiver.flush();
    }
    await archiver.flush();
    await following;
    const local = await walRecords(wal);
    expect(texts(seen)).toEqual(local.texts);
    expect(seen.map((e) => `${e.position.segmentId}:${e.position.offset}`)).toEqual(local.positions);
    expect(new Set(seen.map((e) => e.position.segmentId)).size).toBeGreaterThan(3);
    expect(seen.every((e) => e.generation === archiver.generation)).toBe(true);
    expect(await replica.lag()).toMatchObject({ chunks: 0, bytes: 0, seconds: 0 });
    await archiver.close();
    await wal.close();
  });

  it('never yields what was not archived: records appended but not shipped stay invisible', async () => {
    const store = new MemoryObjectStore();
    const wal = await shippedWal(store, 20);
    await appendRecords(wal, 5, { from: 20 }); // no archiver: never shipped
    const replica = openReplica({ store, prefix: 'arch', pollIntervalMs: POLL });
    const controller = new AbortController();
    const seen: ReplicaEntry[] = [];
    const polls: number[] = [];
    const observed = openReplica({ store, prefix: 'arch', pollIntervalMs: POLL, observer: { onPoll: (e) => polls.push(e.chunks) } });
    for await (const entry of observed.follow({ signal: controller.signal })) {
      seen.push(entry);
      if (seen.length === 20) setTimeout(() => controller.abort(), 30);
    }
    expect(seen).toHaveLength(20);
    expect(polls.filter((n) => n === 0).length).toBeGreaterThan(0); // it kept polling, found nothing more
    expect(texts(await take(replica, 20))).toEqual((await walRecords(wal)).texts.slice(0, 20));
    await wal.close();
  });

  it('restarts from any yielded position without a record twice or missing', async () => {
    const store = new MemoryObjectStore({ listPageSize: 4 });
    const wal = await shippedWal(store, 120);
    const all = await take(openReplica({ store, prefix: 'arch', pollIntervalMs: POLL }), 120);
    for (const cut of [0, 1, 37, 64, 119]) {
      const from = (all[cut] as ReplicaEntry).next;
      const rest = await take(openReplica({ store, prefix: 'arch', pollIntervalMs: POLL }), 119 - cut, from);
      expect(texts(rest), `restart after record ${cut}`).toEqual(texts(all.slice(cut + 1)));
    }
    // Resuming at the very end waits for new records: these come next.
    const replica = openReplica({ store, prefix: 'arch', pollIntervalMs: POLL });
    const more = take(replica, 3, (all[119] as ReplicaEntry).next);
    await appendRecords(wal, 3, { from: 120 });
    const archiver = await Archiver.start(wal, testOptions(store));
    await archiver.flush();
    expect(texts(await more)).toEqual(['k120', 'k121', 'k122'].map((k, i) => `${k}=${`v${120 + i}-`.padEnd(100, String.fromCharCode(97 + ((120 + i) % 26)))}`));
    expect(replica.position).toEqual({ ...(await more).at(-1)?.next });
    await archiver.close();
    await wal.close();
  });

  it('refuses a `from` inside a record or past a segment end', async () => {
    const store = new MemoryObjectStore();
    const wal = await shippedWal(store, 60);
    const all = await take(openReplica({ store, prefix: 'arch' }), 60);
    const inside = { ...(all[10] as ReplicaEntry).position, offset: (all[10] as ReplicaEntry).position.offset + 3 };
    await expectCode(take(openReplica({ store, prefix: 'arch' }), 1, inside), 'ERR_INVALID_ARGUMENT');
    const first = all[0] as ReplicaEntry;
    const sealedEnd = all.filter((e) => e.position.segmentId === first.position.segmentId).at(-1) as ReplicaEntry;
    await expectCode(take(openReplica({ store, prefix: 'arch' }), 1, { ...sealedEnd.next, offset: sealedEnd.next.offset + 500 }), 'ERR_INVALID_ARGUMENT');
    await wal.close();
  });

  it('continues across a takeover whose history is identical, yielding only the new records', async () => {
    const store = new MemoryObjectStore();
    const wal = await shippedWal(store, 80);
    const events: GenerationChangedEvent[] = [];
    const replica = openReplica({ store, prefix: 'arch', pollIntervalMs: POLL, observer: { onGenerationChanged: (e) => events.push(e) } });
    const first = await take(replica, 80);
    // Restart from the last position after a takeover (a new generation re-ships the whole log).
    await wal.storage.remove(ARCHIVE_SIDE_FILE);
    const archiver = await Archiver.start(wal, testOptions(store, { takeover: true }));
    expect(archiver.generation).toBe(2);
    await appendRecords(wal, 10, { from: 80 });
    await archiver.flush();
    const after = await take(replica, 10, (first.at(-1) as ReplicaEntry).next);
    expect(texts([...first, ...after])).toEqual((await walRecords(wal)).texts);
    expect(after.every((e) => e.generation === 2)).toBe(true);
    expect(events.at(-1)).toMatchObject({ generation: 2, reason: 'takeover', verified: true });
    await archiver.close();
    await wal.close();
  });

  it('throws ERR_REPLICA_DIVERGED when the new generation holds a different history', async () => {
    const store = new MemoryObjectStore();
    const old = await shippedWal(store, 50);
    const seen = await take(openReplica({ store, prefix: 'arch' }), 50);
    const other = await openWal();
    await appendRecords(other, 50, { from: 1000 }); // same sizes, different bytes
    const archiver = await Archiver.start(other, testOptions(store, { takeover: true }));
    await archiver.flush();
    const error = await expectCode(take(openReplica({ store, prefix: 'arch' }), 1, (seen.at(-1) as ReplicaEntry).next), 'ERR_REPLICA_DIVERGED');
    expect(error.message).toMatch(/generation 2's segment \d+ differs/);
    expect(error.key).toMatch(/^arch\/chunks\//);
    await archiver.close();
    await other.close();
    await old.close();
  });

  it('ERR_REPLICA_TRIMMED when retention removed the position or its generation', async () => {
    const store = new MemoryObjectStore();
    const wal = await shippedWal(store, 40);
    const seen = await take(openReplica({ store, prefix: 'arch' }), 40);
    await wal.storage.remove(ARCHIVE_SIDE_FILE);
    const archiver = await Archiver.start(wal, testOptions(store, { takeover: true }));
    await archiver.flush();
    await applyRetention({ store, prefix: 'arch', keepGenerations: 1 });
    const from = (seen[5] as ReplicaEntry).next;
    await expectCode(take(openReplica({ store, prefix: 'arch' }), 1, from), 'ERR_REPLICA_TRIMMED');
    // Within the newest generation, a position before its first retained segment.
    await appendRecords(wal, 200, { from: 40 });
    await archiver.flush();
    const last = await walRecords(wal);
    const newest = last.positions.at(-1) as string;
    await applyRetention({ store, prefix: 'arch', before: { segmentId: Number(newest.split(':')[0]), offset: 0 } });
    await expectCode(take(openReplica({ store, prefix: 'arch' }), 1, { segmentId: 0, offset: 0, generation: 2 }), 'ERR_REPLICA_TRIMMED');
    await archiver.close();
    await wal.close();
  });

  it('a damaged or missing chunk is an error naming its key', async () => {
    const store = new MemoryObjectStore();
    const wal = await shippedWal(store, 200);
    store.corrupt(chunkKey('arch', 3), { offset: 90 });
    const damaged = await expectCode(take(openReplica({ store, prefix: 'arch' }), 200), 'ERR_ARCHIVE_CORRUPT');
    expect(damaged.key).toBe(chunkKey('arch', 3));
    const store2 = new MemoryObjectStore();
    const wal2 = await shippedWal(store2, 200);
    await store2.delete(chunkKey('arch', 2));
    const missing = await expectCode(take(openReplica({ store: store2, prefix: 'arch', pollIntervalMs: POLL }), 200), 'ERR_OBJECT_MISSING');
    expect(missing.key).toBe(chunkKey('arch', 2));
    await wal.close();
    await wal2.close();
  });

  it('abort and close end a waiting follow cleanly; a closed replica refuses to follow', async () => {
    const store = new MemoryObjectStore();
    const replica = openReplica({ store, prefix: 'arch', pollIntervalMs: POLL });
    const controller = new AbortController();
    const waiting = (async () => {
      const out: ReplicaEntry[] = [];
      for await (const entry of replica.follow({ signal: controller.signal })) out.push(entry);
      return out;
    })();
    setTimeout(() => controller.abort(), 20);
    expect(await waiting).toEqual([]); // an empty archive: it waited, then ended
    const second = (async () => {
      for await (const _ of replica.follow()) expect.fail('nothing to yield');
    })();
    setTimeout(() => void replica.close(), 20);
    await second;
    await expectCode(take(replica, 1), 'ERR_CLOSED');
  });

  it('retries an unavailable store and reports lag', async () => {
    const store = new MemoryObjectStore();
    const wal = await shippedWal(store, 200);
    store.injectFault({ kind: 'unavailable', op: 'list', key: 'arch/chunks/', times: 3 });
    const retries: number[] = [];
    const replica = openReplica({
      store,
      prefix: 'arch',
      pollIntervalMs: POLL,
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
      observer: { onRetry: (e) => retries.push(e.attempt) },
    });
    const lags: number[] = [];
    for await (const entry of replica.follow()) {
      if (entry.position.offset === 0 && lags.length === 0) lags.push((await replica.lag()).chunks);
      if (texts([entry])[0]?.startsWith('k199=') === true) break;
    }
    expect(retries).toEqual([1, 2, 3]);
    expect(lags[0]).toBeGreaterThan(0); // while on the first chunk, the later ones are behind
    expect(await replica.lag()).toMatchObject({ chunks: 0, bytes: 0, seconds: 0 });
    await wal.close();
  });

  it('a `from` whose named generation ended before it is diverged; an unknown generation is ERR_NO_GENERATION', async () => {
    const store = new MemoryObjectStore();
    const wal = await shippedWal(store, 40);
    const seen = await take(openReplica({ store, prefix: 'arch' }), 40);
    const end = (seen.at(-1) as ReplicaEntry).next;
    await expectCode(take(openReplica({ store, prefix: 'arch' }), 1, { ...end, generation: 7 }), 'ERR_NO_GENERATION');
    // Generation 1 ends at `end`; a later position "in generation 1" is not its history.
    await wal.storage.remove(ARCHIVE_SIDE_FILE);
    await appendRecords(wal, 40, { from: 40 });
    const archiver = await Archiver.start(wal, testOptions(store, { takeover: true }));
    await archiver.flush();
    const beyond = { segmentId: end.segmentId + 1, offset: 0, generation: 1 };
    const error = await expectCode(take(openReplica({ store, prefix: 'arch' }), 1, beyond), 'ERR_REPLICA_DIVERGED');
    expect(error.message).toMatch(/generation 1 ended at/);
    // Without the generation it reads generation 2 from there.
    const rest = await take(openReplica({ store, prefix: 'arch' }), 1, { segmentId: end.segmentId + 1, offset: 0 });
    expect(rest[0]?.position).toEqual({ segmentId: end.segmentId + 1, offset: 0 });
    await archiver.close();
    await wal.close();
  });

  it('lag: seconds between the newest chunk and the applied one, chunks and bytes behind', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal();
    let clock = 1_000_000;
    const archiver = await Archiver.start(wal, testOptions(store, { now: () => clock }));
    for (let i = 0; i < 4; i++) {
      clock += 2_000;
      await appendRecords(wal, 10, { from: i * 10 });
      await archiver.flush();
    }
    const replica = openReplica({ store, prefix: 'arch' });
    const lags = [];
    for await (const entry of replica.follow()) {
      if (entry.key.length > 0 && (lags.length === 0 || entry.seq !== lags.at(-1)?.seq)) lags.push({ seq: entry.seq, ...(await replica.lag()) });
      if (entry.next.offset === (await wal.segments()).at(-1)?.size && entry.next.segmentId === wal.durablePosition.segmentId) break;
    }
    // Chunks were cut at t = 2 s, 4 s, 6 s, 8 s (the last flush's range may span a rotation: two chunks).
    expect(lags.slice(0, 3).map((l) => l.seconds)).toEqual([6, 4, 2]);
    for (const lag of lags) expect(lag.chunks).toBe((lag.newestSeq as number) - (lag.appliedSeq as number));
    expect(lags[0]?.bytes).toBeGreaterThan(lags[1]?.bytes as number);
    expect(lags.at(-1)).toMatchObject({ seconds: 0, chunks: 0, bytes: 0 });
    await archiver.close();
    await wal.close();
  });

  it('a chunk with a record that does not verify yields none of its records (ERR_ARCHIVE_CORRUPT naming it)', async () => {
    const store = new MemoryObjectStore();
    const writerId = newWriterId();
    const header = { generation: 1, segmentId: 0, createdAt: 1, writerId };
    await putChunk(
      store,
      'arch',
      { ...header, kind: ChunkKind.generationStart, seq: 0, offset: 0 },
      encodeGenerationStart({ parentGeneration: null, reason: 'new-log' }),
    );
    const good = encodeRecord({ key: 'a', value: 'first' });
    const bad = encodeRecord({ key: 'b', value: 'second' });
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff; // record CRC broken; the chunk CRC covers it as is
    await putChunk(store, 'arch', { ...header, kind: ChunkKind.data, seq: 1, offset: 0 }, Buffer.concat([good, bad]));
    const seen: ReplicaEntry[] = [];
    const follow = (async () => {
      for await (const entry of openReplica({ store, prefix: 'arch' }).follow()) seen.push(entry);
    })();
    const error = await expectCode(follow, 'ERR_ARCHIVE_CORRUPT');
    expect(error.key).toBe(chunkKey('arch', 1));
    expect(error.message).toMatch(/record at 0:\d+ does not verify/);
    expect(seen).toEqual([]);
  });

  it('the signal of openReplica closes it: a running follow ends, a new one is refused', async () => {
    const controller = new AbortController();
    const replica = openReplica({ store: new MemoryObjectStore(), prefix: 'arch', pollIntervalMs: POLL, signal: controller.signal });
    const running = (async () => {
      for await (const _ of replica.follow()) expect.fail('nothing to yield');
    })();
    setTimeout(() => controller.abort(), 20);
    await running;
    expect(replica.closed).toBe(true);
    await expectCode(take(replica, 1), 'ERR_CLOSED');
  });

  it('retention deleting the chunks a following replica still needs is ERR_REPLICA_TRIMMED', async () => {
    const store = new MemoryObjectStore();
    const wal = await openWal();
    await appendRecords(wal, 100);
    const first = await Archiver.start(wal, testOptions(store, { maxChunkBytes: 500 }));
    await first.close({ flush: true });
    await wal.storage.remove(ARCHIVE_SIDE_FILE);
    const second = await Archiver.start(wal, testOptions(store, { takeover: true }));
    await second.flush();
    const follow = openReplica({ store, prefix: 'arch', prefetch: 1 }).follow({ from: { segmentId: 0, offset: 0, generation: 1 } });
    expect((await follow.next()).value).toMatchObject({ generation: 1, position: { segmentId: 0, offset: 0 } });
    await applyRetention({ store, prefix: 'arch', keepGenerations: 1 }); // generation 1 goes while the replica reads it
    const error = await expectCode(
      (async () => {
        for (let r = await follow.next(); r.done !== true; r = await follow.next());
      })(),
      'ERR_REPLICA_TRIMMED',
    );
    expect(error.key).toMatch(/^arch\/chunks\//);
    await second.close();
    await wal.close();
  });

  it('through store faults on both sides (lost put responses, unavailable reads) every record arrives exactly once', async () => {
    const store = new MemoryObjectStore({ seed: 5, listPageSize: 3, faults: [{ kind: 'random', probability: 0.3, ops: ['put', 'get', 'list'] }] });
    const wal = await openWal();
    const archiver = await Archiver.start(wal, testOptions(store, { intervalMs: 2, maxChunkBytes: 700 }));
    const replica = openReplica({ store, prefix: 'arch', pollIntervalMs: POLL, retry: { initialDelayMs: 1, maxDelayMs: 2 } });
    const seen: ReplicaEntry[] = [];
    const following = (async () => {
      for await (const entry of replica.follow()) {
        seen.push(entry);
        if (seen.length === 200) break;
      }
    })();
    for (let round = 0; round < 4; round++) await appendRecords(wal, 50, { from: round * 50 });
    await archiver.flush();
    await following;
    expect(texts(seen)).toEqual((await walRecords(wal)).texts);
    await archiver.close();
    await wal.close();
  });
});
