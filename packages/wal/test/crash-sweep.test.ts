import { afterAll, describe, expect, it } from 'vitest';
import type { FsyncPolicy } from '../src/index.js';
import { runCrashSweep } from './crash-support/sweep.js';

// Systematic complement of the random campaigns: a power loss right before every mutating
// storage operation of fixed workloads, several crash outcomes each (see crash-support/sweep.ts).

const POLICIES: FsyncPolicy[] = [{ kind: 'always' }, { kind: 'batch', windowMs: 50, maxBytes: 600 }, { kind: 'os' }];

let total = 0;
afterAll(() => {
  console.info(`crash sweep: ${total} crash points`);
});

describe('a power loss before every storage operation', () => {
  for (const policy of POLICIES) {
    for (const preallocate of [true, false]) {
      it(`loses no acknowledged record (fsync ${policy.kind}, preallocate ${String(preallocate)})`, async () => {
        let operations = 0;
        let crashes = 0;
        for (const seed of [1, 2, 3]) {
          const result = await runCrashSweep({ seed, policy, preallocate, steps: 60, outcomeSeeds: 2 });
          expect(result.failures.join('\n')).toBe('');
          operations += result.operations;
          crashes += result.crashes;
        }
        // Not vacuous: rotations, syncs and GC give well over a hundred crash points.
        expect(operations).toBeGreaterThan(100);
        expect(crashes).toBe(operations * 4);
        total += crashes;
      });
    }
  }
});
