import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryObjectStore, applyRetention, chunkKey, generationKey, listGenerations, restore, trimmedKey } from '../src/index.js';
import { archiveLog, type WrittenChunk } from './support/archive-log.js';
import { wrapStore } from './support/wrapped-store.js';
import { cleanupScratch, expectSameSegments, readAll, scratchDir, writeLog } from './support/local-log.js';

afterAll(cleanupScratch);

interface Fixture {
  store: MemoryObjectStore;
  sources: string[];
  chunks: WrittenChunk[][];
}

/** Three generations; generation g's chunks are cut at 1000 * g + index ms. */
async function threeGenerations(): Promise<Fixture> {
  const store = new MemoryObjectStore();
  const sources: string[] = [];
  const chunks: WrittenChunk[][] = [];
  let seq = 0;
  for (let g = 1; g <= 3; g++) {
    const dir = await writeLog(60 * g, { seed: g, maxSegmentSize: 2048 });
    const written = await archiveLog({
      store,
      prefix: 'p',
      dir,
      generation: g,
      startSeq: seq,
      parentGeneration: g === 1 ? null : g - 1,
      reason: g === 1 ? 'new-log' : 'takeover',
      chunkSizes: [500],
      createdAt: (i) => 1000 * g + i,
    });
    sources.push(dir);
    chunks.push(written);
    seq += written.length;
  }
  return { store, sources, chunks };
}

async function restoreNewest(fixture: Fixture): Promise<string> {
  const dir = join(await scratchDir(), 'restored');
  await restore({ store: fixture.store, prefix: 'p', dir });
  return dir;
}

describe('applyRetention', () => {
  it('keepGenerations: marker first, then whole older generations and their records; the newest still restores', async () => {
    const fixture = await threeGenerations();
    const { store, chunks } = fixture;
    const dry = await applyRetention({ store, prefix: 'p', keepGenerations: 2, dryRun: true });
    const gone = chunks[0]!.map((c) => c.key);
    expect(dry).toMatchObject({ dryRun: true, previousMarker: 0, marker: chunks[1]![0]!.seq, chunkKeys: gone, recordKeys: [generationKey('p', 1)] });
    expect(store.keys()).toContain(gone[0]);
    const order: string[] = [];
    const spy = wrapStore(store, {
      put: (key, bytes, options) => {
        order.push(`put ${key}`);
        return store.put(key, bytes, options);
      },
      delete: (key, options) => {
        order.push(`delete ${key}`);
        return store.delete(key, options);
      },
    });
    const report = await applyRetention({ store: spy, prefix: 'p', keepGenerations: 2 });
    expect(report.chunkKeys).toEqual(gone);
    expect(order[0]).toBe(`put ${trimmedKey('p', chunks[1]![0]!.seq)}`);
    expect(order.slice(1)).toEqual([...gone, generationKey('p', 1)].map((key) => `delete ${key}`));
    const catalog = await listGenerations({ store, prefix: 'p' });
    expect(catalog.generations.map((g) => g.generation)).toEqual([2, 3]);
    expect(catalog.trimmedBelow).toBe(chunks[1]![0]!.seq);
    await expectSameSegments(fixture.sources[2]!, await restoreNewest(fixture));
    expect(await applyRetention({ store, prefix: 'p', keepGenerations: 2 })).toMatchObject({ marker: undefined, chunkKeys: [] });
  });

  it('olderThan deletes generations whose last chunk is older, never the newest', async () => {
    const fixture = await threeGenerations();
    const { store, chunks } = fixture;
    const report = await applyRetention({ store, prefix: 'p', olderThan: new Date(2500) });
    expect(report.marker).toBe(chunks[2]![0]!.seq);
    expect(report.chunkKeys).toEqual([...chunks[0]!, ...chunks[1]!].map((c) => c.key));
    expect((await applyRetention({ store, prefix: 'p', olderThan: new Date(10 ** 12) })).chunkKeys).toEqual([]);
    expect((await listGenerations({ store, prefix: 'p' })).generations.map((g) => g.generation)).toEqual([3]);
  });

  it('before deletes whole segments of the newest generation; the rest restores byte for byte', async () => {
    const fixture = await threeGenerations();
    const { store, chunks } = fixture;
    const newest = chunks[2]!;
    const segments = [...new Set(newest.slice(1).map((c) => c.segmentId))];
    expect(segments.length).toBeGreaterThan(3);
    const keepFrom = segments[2]!;
    const firstKept = newest.find((c) => c.kind === 1 && c.segmentId === keepFrom)!;
    const report = await applyRetention({ store, prefix: 'p', before: { segmentId: keepFrom, offset: 100 } });
    expect(report.marker).toBe(firstKept.seq);
    expect(store.keys()).not.toContain(chunkKey('p', firstKept.seq - 1));
    expect(store.keys()).toContain(generationKey('p', 3));
    const dir = await restoreNewest(fixture);
    const restored = await readAll(dir);
    const source = await readAll(fixture.sources[2]!);
    expect(restored.map((e) => e.key)).toEqual(source.filter((e) => e.position.segmentId >= keepFrom).map((e) => e.key));
    await expectSameSegments(fixture.sources[2]!, dir, undefined, keepFrom);
    // A position past the end keeps the last segment (and so the last chunk).
    const last = newest.at(-1)!;
    const far = await applyRetention({ store, prefix: 'p', before: { segmentId: 10_000, offset: 0 } });
    expect(far.marker).toBe(newest.find((c) => c.kind === 1 && c.segmentId === last.segmentId)!.seq);
    expect(store.keys()).toContain(last.key);
    expect(far.markerKeys).toEqual([trimmedKey('p', firstKept.seq)]);
  });

  it('a chunk missing above the marker is still an error after retention', async () => {
    const fixture = await threeGenerations();
    const { store, chunks } = fixture;
    await applyRetention({ store, prefix: 'p', keepGenerations: 1 });
    await store.delete(chunks[2]![3]!.key);
    await expect(restoreNewest(fixture)).rejects.toMatchObject({ code: 'ERR_OBJECT_MISSING', key: chunks[2]![3]!.key });
  });

  it('finishes a retention interrupted after its marker was written', async () => {
    const fixture = await threeGenerations();
    const { store, chunks } = fixture;
    const keep = chunks[1]![0]!.seq;
    await store.put(trimmedKey('p', keep), new Uint8Array(0)); // the marker, then a crash before any delete
    expect(store.keys()).toContain(chunks[0]![0]!.key);
    const report = await applyRetention({ store, prefix: 'p', keepGenerations: 2 });
    expect(report).toMatchObject({ previousMarker: keep, marker: keep, chunkKeys: chunks[0]!.map((c) => c.key), recordKeys: [generationKey('p', 1)] });
    expect(store.keys().filter((key) => key.startsWith('p/chunks/'))).toHaveLength(chunks[1]!.length + chunks[2]!.length);
    expect(await applyRetention({ store, prefix: 'p', keepGenerations: 2 })).toMatchObject({ marker: undefined, chunkKeys: [] });
  });

  it('a restore that loses chunks to a concurrent retention says so', async () => {
    const fixture = await threeGenerations();
    const { store, chunks } = fixture;
    let retained = false;
    const racing = wrapStore(store, {
      get: async (key, options) => {
        if (!retained && options?.range === undefined && key === chunks[0]![1]!.key) {
          retained = true;
          await applyRetention({ store, prefix: 'p', keepGenerations: 1 });
        }
        return store.get(key, options);
      },
    });
    const dir = join(await scratchDir(), 'raced');
    await expect(restore({ store: racing, prefix: 'p', dir, generation: 1, prefetch: 1 })).rejects.toMatchObject({
      code: 'ERR_OBJECT_MISSING',
      message: expect.stringMatching(/removed by a retention that ran during the restore \(retention marker now \d+\); run the restore again/),
    });
  });

  it('refuses calls without a rule or with bad values', async () => {
    const store = new MemoryObjectStore();
    await expect(applyRetention({ store, prefix: 'p' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(applyRetention({ store, prefix: 'p', keepGenerations: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(applyRetention({ store, prefix: 'p', olderThan: new Date(Number.NaN) })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(await applyRetention({ store, prefix: 'p', keepGenerations: 1 })).toMatchObject({ marker: undefined });
  });
});
