import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ChunkKind,
  MemoryObjectStore,
  encodeGenerationRecord,
  encodeGenerationStart,
  generationKey,
  listGenerations,
  newWriterId,
  trimmedKey,
} from '../src/index.js';
import { putChunk } from './support/archive-log.js';

/** One generation of a synthetic archive: how many data chunks, whether its record exists. */
const generationShape = fc.record({ dataChunks: fc.nat({ max: 12 }), withRecord: fc.boolean() });

describe('listGenerations (property)', () => {
  it('finds every generation boundary from chunk headers, with or without index records, above any marker', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(generationShape, { minLength: 1, maxLength: 6 }), fc.nat(), async (shapes, markerPick) => {
        const store = new MemoryObjectStore({ listPageSize: 3 });
        const writerId = newWriterId();
        const expected: { generation: number; startSeq: number; lastSeq: number }[] = [];
        let seq = 0;
        for (const [index, shape] of shapes.entries()) {
          const generation = index + 1;
          const startSeq = seq;
          const base = { generation, writerId, createdAt: 1000 + seq };
          const reason = index === 0 ? 'new-log' : 'takeover';
          const start = { parentGeneration: index === 0 ? null : index, reason } as const;
          await putChunk(store, 'p', { ...base, kind: ChunkKind.generationStart, seq: seq++, segmentId: 0, offset: 0 }, encodeGenerationStart(start));
          for (let i = 0; i < shape.dataChunks; i++) {
            await putChunk(store, 'p', { ...base, createdAt: 1000 + seq, kind: ChunkKind.data, seq: seq++, segmentId: 0, offset: i }, new Uint8Array([i]));
          }
          if (shape.withRecord) {
            await store.put(
              generationKey('p', generation),
              encodeGenerationRecord({ generation, startSeq, createdAt: new Date(1000).toISOString(), writerId, ...start }),
            );
          }
          expected.push({ generation, startSeq, lastSeq: seq - 1 });
        }
        // A retention marker at a generation start (what keepGenerations / olderThan write).
        const kept = expected.slice(markerPick % expected.length);
        if (kept[0]!.startSeq > 0) await store.put(trimmedKey('p', kept[0]!.startSeq), new Uint8Array(0));
        const catalog = await listGenerations({ store, prefix: 'p' });
        expect(catalog.generations.map((g) => ({ generation: g.generation, startSeq: g.startSeq, lastSeq: g.lastSeq }))).toEqual(kept);
        expect(catalog.generations.every((g) => g.missingChunks === 0 && g.reason !== undefined)).toBe(true);
      }),
      { numRuns: 60, seed: 1206 },
    );
  });
});
