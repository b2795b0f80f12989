import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Position, WalEntry } from '@nori/wal';
import { MemoryObjectStore, restore } from '../src/index.js';
import { archiveLog } from './support/archive-log.js';
import { cleanupScratch, expectSameSegments, readAll, scratchDir, writeLog } from './support/local-log.js';

afterAll(cleanupScratch);

describe('restore (property)', () => {
  let source: string;
  let entries: WalEntry[];
  beforeAll(async () => {
    source = await writeLog(160, { maxSegmentSize: 3000 });
    entries = await readAll(source);
  });

  it('any chunking, any target position: the restored log is the source prefix up to the last record boundary at or below it', async () => {
    const last = entries.at(-1)!;
    const start = { segmentId: entries[0]!.position.segmentId, offset: 0 };
    const end = { segmentId: last.position.segmentId, offset: last.position.offset + last.size };
    const positions = fc.oneof(
      fc.constant(undefined),
      fc.record({ segmentId: fc.integer({ min: start.segmentId, max: end.segmentId }), offset: fc.nat({ max: 3000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 4 }), positions, async (chunkSizes, rawTo) => {
        const store = new MemoryObjectStore();
        await archiveLog({ store, prefix: 'p', dir: source, chunkSizes });
        // Targets past the end of their segment's data are fine; past the log's end are not.
        const to: Position | undefined =
          rawTo === undefined || rawTo.segmentId < end.segmentId ? rawTo : { segmentId: end.segmentId, offset: Math.min(rawTo.offset, end.offset) };
        const kept = entries.filter(
          (e) => to === undefined || e.position.segmentId < to.segmentId || (e.position.segmentId === to.segmentId && e.position.offset + e.size <= to.offset),
        );
        const dir = join(await scratchDir(), 'r');
        const report = await restore({ store, prefix: 'p', dir, to, prefetch: 1 + (chunkSizes.length % 3) });
        expect(report.records).toBe(kept.length);
        const restored = kept.length === 0 ? [] : await readAll(dir);
        expect(restored.map((e) => e.key)).toEqual(kept.map((e) => e.key));
        const lastKept = kept.at(-1);
        const inCutSegment = lastKept !== undefined && to !== undefined && lastKept.position.segmentId === to.segmentId;
        const cut = to === undefined ? undefined : { segmentId: to.segmentId, offset: inCutSegment ? lastKept.position.offset + lastKept.size : 0 };
        await expectSameSegments(source, dir, cut);
      }),
      { numRuns: 30, seed: 20261206 },
    );
  }, 60_000);
});
