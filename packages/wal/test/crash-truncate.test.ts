import { describe, expect, it } from 'vitest';
import type { FsyncPolicy } from '../src/index.js';
import { checkTruncation, runTruncateSweep, type TruncateOp } from './crash-support/truncate-sweep.js';

// A power loss before every storage operation of truncateAfter, truncateBefore and GC (see
// crash-support/truncate-sweep.ts): the log ends at its old end or exactly at the cut, never in
// between, never with a hole, and every record keeps its index.

const POLICIES: FsyncPolicy[] = [{ kind: 'always' }, { kind: 'os' }];
const OPS: TruncateOp[] = [
  { kind: 'truncateAfter', index: 25 },
  { kind: 'truncateAfter', index: 3 },
  { kind: 'truncateAfter', index: 0 },
  { kind: 'truncateBefore', index: 22 },
  { kind: 'gc', segments: 3 },
];

describe('the invariant checker', () => {
  const ends = new Set([1, 9]);
  const log = (from: number, to: number): number[][] => Array.from({ length: to - from + 1 }, (_, i) => [from + i, from + i - 1]);
  it('accepts the old end, the exact cut, and the cut followed by the next append', () => {
    const op: TruncateOp = { kind: 'truncateAfter', index: 5 };
    expect(checkTruncation(op, 10, log(1, 10), ends)).toEqual([]);
    expect(checkTruncation(op, 10, log(1, 5), ends)).toEqual([]);
    expect(checkTruncation(op, 10, [...log(1, 5), [6, 1000]], ends)).toEqual([]);
  });
  it('rejects an end between the cut and the old end, a hole, a moved index and a wrong start', () => {
    const op: TruncateOp = { kind: 'truncateAfter', index: 5 };
    expect(checkTruncation(op, 10, log(1, 7), ends).join()).toMatch(/ends with record 6/);
    expect(checkTruncation(op, 10, [...log(1, 3), ...log(5, 10)], ends).join()).toMatch(/hole/);
    expect(
      checkTruncation(
        op,
        10,
        [
          [1, 0],
          [3, 1],
        ],
        ends,
      ).join(),
    ).toMatch(/record 1 has index 3/);
    expect(checkTruncation({ kind: 'truncateBefore', index: 4 }, 10, log(3, 10), ends).join()).toMatch(/starts at index 3/);
    expect(checkTruncation({ kind: 'gc', segments: 1 }, 10, log(9, 10), ends)).toEqual([]);
  });
});

describe('a power loss before every storage operation of a truncation', () => {
  for (const policy of POLICIES) {
    for (const preallocate of [true, false]) {
      it(`keeps the log whole and its indexes stable (fsync ${policy.kind}, preallocate ${String(preallocate)})`, async () => {
        let operations = 0;
        for (const op of OPS) {
          const result = await runTruncateSweep({ seed: 7, op, policy, preallocate });
          expect(result.failures.join('\n')).toBe('');
          // Not vacuous: each operation writes side files, removes segments, fsyncs.
          expect(result.operations).toBeGreaterThan(2);
          expect(result.crashes).toBe(result.operations * 2);
          operations += result.operations;
        }
        expect(operations).toBeGreaterThan(40);
      });
    }
  }
});
