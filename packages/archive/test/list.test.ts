import { afterAll, describe, expect, it } from 'vitest';
import { MemoryObjectStore, generationKey, listGenerations, type ObjectStore } from '../src/index.js';
import { archiveLog } from './support/archive-log.js';
import { wrapStore } from './support/wrapped-store.js';
import { cleanupScratch, writeLog } from './support/local-log.js';

afterAll(cleanupScratch);

/** Counts ranged (header) reads, to check the binary search stays logarithmic. */
function countingStore(inner: MemoryObjectStore): { store: ObjectStore; ranged: () => number } {
  let ranged = 0;
  const store = wrapStore(inner, {
    get: (k, o) => {
      if (o?.range !== undefined) ranged += 1;
      return inner.get(k, o);
    },
  });
  return { store, ranged: () => ranged };
}

describe('listGenerations', () => {
  it('describes each generation: parent, reason, seqs, positions, times, sizes', async () => {
    const [first, second] = [await writeLog(120, { seed: 1 }), await writeLog(50, { seed: 2 })];
    const store = new MemoryObjectStore({ listPageSize: 5 });
    const one = await archiveLog({ store, prefix: 'a/b', dir: first, chunkSizes: [300], createdAt: (i) => 10_000 + i });
    const two = await archiveLog({
      store,
      prefix: 'a/b',
      dir: second,
      generation: 2,
      startSeq: one.length,
      parentGeneration: 1,
      reason: 'takeover',
      createdAt: (i) => 90_000 + i,
    });
    const catalog = await listGenerations({ store, prefix: 'a/b' });
    expect(catalog.trimmedBelow).toBe(0);
    expect(catalog.generations).toHaveLength(2);
    const [g1, g2] = catalog.generations;
    const dataBytes = (chunks: typeof one) => chunks.slice(1).reduce((sum, c) => sum + c.length, 0);
    const endOf = (chunks: typeof one) => ({ segmentId: chunks.at(-1)!.segmentId, offset: chunks.at(-1)!.offset + chunks.at(-1)!.length });
    expect(g1).toEqual({
      generation: 1,
      parentGeneration: null,
      reason: 'new-log',
      startSeq: 0,
      firstSeq: 0,
      lastSeq: one.length - 1,
      chunks: one.length,
      bytes: dataBytes(one) + one[0]!.length,
      missingChunks: 0,
      firstPosition: { segmentId: 0, offset: 0 },
      endPosition: endOf(one),
      firstCreatedAt: new Date(10_000),
      lastCreatedAt: new Date(10_000 + one.length - 1),
      firstDataCreatedAt: new Date(10_001),
      trimmed: false,
      hasRecord: true,
    });
    expect(g2).toMatchObject({
      generation: 2,
      parentGeneration: 1,
      reason: 'takeover',
      startSeq: one.length,
      lastSeq: one.length + two.length - 1,
      endPosition: endOf(two),
    });
  });

  it('finds generations without index records from chunk headers with few ranged reads', async () => {
    const inner = new MemoryObjectStore();
    let seq = 0;
    const sources = [await writeLog(300, { seed: 1 }), await writeLog(10, { seed: 2 }), await writeLog(200, { seed: 3 })];
    const written = [];
    for (const [i, dir] of sources.entries()) {
      const chunks = await archiveLog({
        store: inner,
        prefix: 'p',
        dir,
        generation: i + 1,
        startSeq: seq,
        parentGeneration: i === 0 ? null : i,
        reason: i === 0 ? 'new-log' : 'diverged',
        writeRecord: false,
        chunkSizes: [40],
      });
      written.push(chunks);
      seq += chunks.length;
    }
    const { store, ranged } = countingStore(inner);
    const catalog = await listGenerations({ store, prefix: 'p' });
    expect(catalog.generations.map((g) => [g.generation, g.startSeq, g.lastSeq, g.reason, g.parentGeneration, g.hasRecord])).toEqual([
      [1, 0, written[0]!.length - 1, 'new-log', null, false],
      [2, written[0]!.length, written[0]!.length + written[1]!.length - 1, 'diverged', 1, false],
      [3, seq - written[2]!.length, seq - 1, 'diverged', 2, false],
    ]);
    expect(seq).toBeGreaterThan(300);
    expect(ranged()).toBeLessThan(3 * 2 * Math.ceil(Math.log2(seq)) + 6);
  });

  it('counts missing chunks and honours the retention marker', async () => {
    const store = new MemoryObjectStore();
    const chunks = await archiveLog({ store, prefix: 'p', dir: await writeLog(80), chunkSizes: [200] });
    await store.delete(chunks[4]!.key);
    await store.delete(chunks[5]!.key);
    expect((await listGenerations({ store, prefix: 'p' })).generations[0]).toMatchObject({ missingChunks: 2, chunks: chunks.length - 2 });
    await store.put('p/trimmed/0000000000000006', new Uint8Array(0));
    const trimmed = await listGenerations({ store, prefix: 'p' });
    expect(trimmed.trimmedBelow).toBe(6);
    expect(trimmed.generations[0]).toMatchObject({
      firstSeq: 6,
      missingChunks: 0,
      trimmed: true,
      startSeq: 0,
      firstPosition: { segmentId: chunks[6]!.segmentId, offset: chunks[6]!.offset },
    });
  });

  it('an empty prefix has no generations; a malformed record is ERR_ARCHIVE_CORRUPT', async () => {
    const store = new MemoryObjectStore();
    expect((await listGenerations({ store, prefix: '' })).generations).toEqual([]);
    await store.put(generationKey('', 1), new TextEncoder().encode('{"format":1}'));
    await expect(listGenerations({ store, prefix: '' })).rejects.toMatchObject({ code: 'ERR_ARCHIVE_CORRUPT', key: generationKey('', 1) });
  });
});
