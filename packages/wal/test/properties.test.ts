import { MemoryStorage } from '@nori/storage';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Wal, comparePositions, type Position } from '../src/index.js';
import { collect, hex } from '@nori/test-support';

type Op = { kind: 'append'; size: number; durable: boolean } | { kind: 'batch'; sizes: number[] } | { kind: 'sync' } | { kind: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), size: fc.integer({ min: 0, max: 3000 }), durable: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('batch' as const), sizes: fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: 0, maxLength: 6 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'sync' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

function valueOf(id: number, size: number): Uint8Array {
  const v = new Uint8Array(size);
  for (let i = 0; i < size; i++) v[i] = (id * 7 + i * 13) & 0xff;
  return v;
}

describe('model-based properties', () => {
  it('whatever the mix of appends, batches, syncs, reopens and segment size, the log reads back exactly what was appended, in order, at the returned positions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1024, max: 8192 }),
        fc.boolean(),
        fc.constantFrom('always' as const, 'os' as const, 'batch' as const),
        async (ops, maxSegmentSize, preallocate, fsync) => {
          const storage = new MemoryStorage();
          const config = { storage, maxSegmentSize, preallocate, fsync };
          let { wal } = await Wal.open(config);
          const model: { key: string; value: string; position: Position }[] = [];
          const groups: number[] = [];
          let group = 0;
          let id = 0;
          try {
            for (const op of ops) {
              if (op.kind === 'append') {
                const key = `k${id}`;
                const value = valueOf(id++, op.size);
                const position = (await wal.append({ key, value }, { durable: op.durable })).position;
                model.push({ key, value: hex(value), position });
                groups.push(group++);
                if (op.durable) expect(comparePositions(wal.durablePosition, position)).toBeGreaterThan(0);
              } else if (op.kind === 'batch') {
                const records = op.sizes.map((size) => ({ key: `k${id}`, value: valueOf(id++, size) }));
                const positions = (await wal.appendBatch(records)).map((r) => r.position);
                expect(positions).toHaveLength(records.length);
                // One batch, one segment, contiguous.
                expect(new Set(positions.map((p) => p.segmentId)).size).toBeLessThanOrEqual(1);
                records.forEach((r, i) => {
                  model.push({ key: r.key, value: hex(r.value), position: positions[i] as Position });
                  groups.push(group);
                });
                group++;
              } else if (op.kind === 'sync') {
                expect(await wal.sync()).toEqual(wal.writtenPosition);
              } else {
                await wal.close();
                const reopened = await Wal.open(config);
                expect(reopened.recovery.corruptions).toEqual([]);
                expect(reopened.recovery.records).toBe(model.length);
                wal = reopened.wal;
              }
            }
            const entries = await collect(wal.read());
            expect(entries.map((e) => ({ key: new TextDecoder().decode(e.key), value: hex(e.value), position: e.position }))).toEqual(model);
            for (let i = 1; i < model.length; i++) {
              expect(comparePositions((model[i] as (typeof model)[number]).position, (model[i - 1] as (typeof model)[number]).position)).toBeGreaterThan(0);
            }
            // Rotation rule (Rust's): a segment exceeds the limit only when one append or batch
            // alone does, and a group starts a new segment only when it would not fit.
            const sizes = new Map((await wal.segments()).map((seg) => [seg.id, seg.size]));
            const bytesOf = new Map<number, number>();
            entries.forEach((e, i) => bytesOf.set(groups[i] as number, (bytesOf.get(groups[i] as number) ?? 0) + e.size));
            for (const [segmentId, size] of sizes) {
              const inside = new Set(groups.filter((_, i) => model[i]?.position.segmentId === segmentId));
              if (size > maxSegmentSize) expect(inside.size).toBe(1);
            }
            entries.forEach((e, i) => {
              const starts = i === 0 || groups[i - 1] !== groups[i];
              const previous = sizes.get(e.position.segmentId - 1);
              if (starts && e.position.offset === 0 && previous !== undefined) {
                expect(previous + (bytesOf.get(groups[i] as number) as number)).toBeGreaterThan(maxSegmentSize);
              }
            });
          } finally {
            await wal.close();
          }
        },
      ),
      { numRuns: 60, seed: 20261125 },
    );
  });
});
