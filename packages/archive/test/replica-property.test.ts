import fc from 'fast-check';
import type { WalEntry } from '@nori/wal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChunkKind, MemoryObjectStore, encodeGenerationStart, isArchiveError, newWriterId, openReplica, type GenerationChangedEvent } from '../src/index.js';
import { archiveLog, putChunk } from './support/archive-log.js';
import { cleanupScratch, readAll, writeLog } from './support/local-log.js';
import { take } from './replica-support.js';

afterAll(cleanupScratch);

const chunkSizes = fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 4 });

describe('replica (property)', () => {
  let before: string;
  let after: string;
  let other: string;
  let entries: WalEntry[];
  beforeAll(async () => {
    // The same generator: the first 160 records of `after` are `before`'s, byte for byte.
    before = await writeLog(160, { maxSegmentSize: 3000 });
    after = await writeLog(200, { maxSegmentSize: 3000 });
    other = await writeLog(200, { maxSegmentSize: 3000, seed: 8 });
    entries = await readAll(after);
  });

  const show = (list: readonly Omit<WalEntry, 'index'>[]): string[] =>
    list.map((e) => `${e.position.segmentId}:${e.position.offset}/${Buffer.from(e.value).toString('hex')}`);

  it('any chunking of two generations, any restart point: every later record exactly once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(chunkSizes, chunkSizes, fc.integer({ min: -1, max: 159 }), async (sizes1, sizes2, cut) => {
        const store = new MemoryObjectStore({ listPageSize: 5 });
        const one = await archiveLog({ store, prefix: 'p', dir: before, chunkSizes: sizes1 });
        await archiveLog({ store, prefix: 'p', dir: after, chunkSizes: sizes2, generation: 2, startSeq: one.length, parentGeneration: 1, reason: 'takeover' });
        const from =
          cut < 0
            ? { segmentId: 0, offset: 0, generation: 1 }
            : { ...(entries[cut] as WalEntry).position, offset: (entries[cut] as WalEntry).position.offset + (entries[cut] as WalEntry).size, generation: 1 };
        const got = await take(openReplica({ store, prefix: 'p', pollIntervalMs: 1 }), 199 - cut, from);
        expect(show(got)).toEqual(show(entries.slice(cut + 1)));
        expect(got.filter((e) => e.generation === 1).length).toBe(Math.max(0, 159 - cut));
      }),
      { numRuns: 15 },
    );
  });

  it('a second generation with another history is ERR_REPLICA_DIVERGED from any restart point in the first', async () => {
    await fc.assert(
      fc.asyncProperty(chunkSizes, chunkSizes, fc.integer({ min: 0, max: 159 }), async (sizes1, sizes2, cut) => {
        const store = new MemoryObjectStore();
        const one = await archiveLog({ store, prefix: 'p', dir: before, chunkSizes: sizes1 });
        await archiveLog({ store, prefix: 'p', dir: other, chunkSizes: sizes2, generation: 2, startSeq: one.length, parentGeneration: 1, reason: 'takeover' });
        const entry = entries[cut] as WalEntry;
        const from = { segmentId: entry.position.segmentId, offset: entry.position.offset + entry.size, generation: 1 };
        const outcome = await take(openReplica({ store, prefix: 'p', pollIntervalMs: 1 }), 200, from).then(
          () => 'no error',
          (error: unknown) => (isArchiveError(error) ? error.code : String(error)),
        );
        expect(outcome).toBe('ERR_REPLICA_DIVERGED');
      }),
      { numRuns: 15 },
    );
  });

  it('a second generation whose segment ends before the replica position is ERR_REPLICA_DIVERGED, not a bad position', async () => {
    const shorter = await writeLog(200, { maxSegmentSize: 1500 });
    const store = new MemoryObjectStore();
    const one = await archiveLog({ store, prefix: 'p', dir: before });
    await archiveLog({ store, prefix: 'p', dir: shorter, generation: 2, startSeq: one.length, parentGeneration: 1, reason: 'takeover' });
    const last = (await readAll(before)).at(-1) as WalEntry;
    expect(last.position.offset).toBeGreaterThan(1500); // generation 2's segment there is shorter
    const from = { segmentId: last.position.segmentId, offset: last.position.offset, generation: 1 };
    const error = await take(openReplica({ store, prefix: 'p', pollIntervalMs: 1 }), 10, from).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isArchiveError(error, 'ERR_REPLICA_DIVERGED') ? error.message : error).toMatch(/reaches segment \d+ without holding the replica's position/);
  });

  it('a generation that started but shipped nothing passes the history check on to the next one', async () => {
    const store = new MemoryObjectStore();
    const one = await archiveLog({ store, prefix: 'p', dir: before });
    const start = { kind: ChunkKind.generationStart, seq: one.length, generation: 2, segmentId: 0, offset: 0, createdAt: 1, writerId: newWriterId() };
    await putChunk(store, 'p', start, encodeGenerationStart({ parentGeneration: 1, reason: 'takeover' }));
    const events: GenerationChangedEvent[] = [];
    const replica = openReplica({ store, prefix: 'p', pollIntervalMs: 1, observer: { onGenerationChanged: (e) => events.push(e) } });
    const seen = await take(replica, 160, { segmentId: 0, offset: 0, generation: 1 });
    const more = take(openReplica({ store, prefix: 'p', pollIntervalMs: 1, observer: { onGenerationChanged: (e) => events.push(e) } }), 40, seen.at(-1)?.next);
    await archiveLog({ store, prefix: 'p', dir: after, generation: 3, startSeq: one.length + 1, parentGeneration: 2, reason: 'takeover', chunkSizes: [2500] });
    expect(show(await more)).toEqual(show(entries.slice(160)));
    expect(events.at(-1)).toMatchObject({ generation: 3, verified: true });
    // Generation 3 with another history after the empty generation 2: diverged.
    const store2 = new MemoryObjectStore();
    const two = await archiveLog({ store: store2, prefix: 'p', dir: before });
    await putChunk(store2, 'p', { ...start, seq: two.length }, encodeGenerationStart({ parentGeneration: 1, reason: 'takeover' }));
    await archiveLog({ store: store2, prefix: 'p', dir: other, generation: 3, startSeq: two.length + 1, parentGeneration: 2, reason: 'takeover' });
    const outcome = await take(openReplica({ store: store2, prefix: 'p' }), 1, seen.at(-1)?.next).then(
      () => 'no error',
      (error: unknown) => (isArchiveError(error) ? error.code : String(error)),
    );
    expect(outcome).toBe('ERR_REPLICA_DIVERGED');
  });
});
