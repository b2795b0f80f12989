import { MemoryStorage } from '@nori/storage';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Wal } from '../src/index.js';
import { collect, indexOf, record } from '@nori/test-support';

// Random sequences of appends, batches, truncateAfter, truncateBefore, GC and reopens against a
// model: every record keeps the index it was given, reads and get agree with the model.

type Op =
  | { kind: 'append'; count: number; batch: boolean }
  | { kind: 'truncateAfter'; at: number }
  | { kind: 'truncateBefore'; at: number }
  | { kind: 'gc'; at: number }
  | { kind: 'reopen' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 12 }), batch: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncateAfter' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncateBefore' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gc' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

/** A value in `[lo, hi]` picked by `fraction`. */
const pick = (lo: number, hi: number, fraction: number): number => lo + Math.min(hi - lo, Math.floor(fraction * (hi - lo + 1)));

describe('sequence numbers under random operations', () => {
  it('match a model through appends, truncations, GC and reopens', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const storage = new MemoryStorage();
        const config = { storage, fsync: 'os' as const, maxSegmentSize: 1024, preallocate: false };
        let wal = (await Wal.open(config)).wal;
        // model[i]: the record number held at index i + 1 (undefined: removed from the front).
        const model: number[] = [];
        let first = 1;
        let nextId = 0;
        try {
          for (const step of ops) {
            const last = model.length;
            if (step.kind === 'append') {
              const inputs = Array.from({ length: step.count }, () => record(nextId++, 40));
              const results = step.batch ? await wal.appendBatch(inputs) : await Promise.all(inputs.map((r) => wal.append(r)));
              results.forEach((r, i) => expect(r.index).toBe(last + 1 + i));
              for (let i = 0; i < step.count; i++) model.push(nextId - step.count + i);
            } else if (step.kind === 'truncateAfter') {
              const at = pick(first - 1, last, step.at);
              await wal.truncateAfter(at);
              model.length = at;
            } else if (step.kind === 'truncateBefore') {
              const at = pick(first, last + 1, step.at);
              await wal.truncateBefore(at);
              first = Math.max(first, at);
            } else if (step.kind === 'gc') {
              const segments = await wal.segments();
              const target = segments[pick(0, segments.length - 1, step.at)];
              if (target !== undefined) await wal.deleteSegmentsBefore({ segmentId: target.id, offset: 0 });
              // GC removes whole segments only: the front moves to a segment start, never past the end.
              expect(wal.firstIndex).toBeGreaterThanOrEqual(first);
              expect(wal.firstIndex).toBeLessThanOrEqual(model.length + 1);
              first = wal.firstIndex;
            } else {
              await wal.close();
              wal = (await Wal.open(config)).wal;
            }
            expect([wal.firstIndex, wal.lastIndex]).toEqual([first, model.length]);
            const entries = await collect(wal.read());
            expect(entries.map((e) => [e.index, indexOf(e.key)])).toEqual(model.slice(first - 1).map((id, i) => [first + i, id]));
            for (const entry of entries.filter((_, i) => i % 5 === 0)) {
              const got = await wal.get(entry.index);
              expect([got.index, indexOf(got.key)]).toEqual([entry.index, indexOf(entry.key)]);
            }
          }
        } finally {
          await wal.close();
        }
      }),
      { numRuns: 60, seed: 1818 },
    );
  });
});
