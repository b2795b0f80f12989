import { describe, expect, it } from 'vitest';
import type { FsyncPolicy } from '../src/index.js';
import { describeFaultCase, runFaultCase, type FaultCase, type FaultKind } from './crash-support/faults.js';

const POLICIES: FsyncPolicy[] = [{ kind: 'always' }, { kind: 'batch', windowMs: 50, maxBytes: 600 }, { kind: 'os' }];
const SEED = 5;

function label(policy: FsyncPolicy): string {
  return policy.kind;
}

async function sweep(base: Omit<FaultCase, 'at' | 'ending'>, points: number[]): Promise<{ failures: string[]; failed: number; open: number }> {
  const failures: string[] = [];
  let failed = 0;
  let open = 0;
  for (const at of points) {
    const c: FaultCase = { ...base, at, ending: at % 2 === 0 ? 'crash' : 'close' };
    const r = await runFaultCase(c);
    if (r.failed) failed++;
    if (r.surfaced === 'open') open++;
    if (r.violations.length > 0) failures.push(`${describeFaultCase(c)}:\n    ${r.violations.join('\n    ')}`);
  }
  return { failures, failed, open };
}

describe('fault injection at every operation of a workload', () => {
  for (const kind of ['eio-write', 'eio-sync', 'fsyncgate'] as FaultKind[]) {
    for (const policy of POLICIES) {
      for (const preallocate of [true, false]) {
        it(`${kind} at every ${kind === 'eio-write' ? 'write' : kind === 'eio-sync' ? 'fsync' : 'file fsync'} (${label(policy)}, preallocate ${String(preallocate)})`, async () => {
          const base = { seed: SEED, policy, preallocate, kind };
          const clean = await runFaultCase({ ...base, at: -1, ending: 'crash' });
          expect(clean.violations).toEqual([]);
          expect(clean.surfaced).toBe('none');
          const total = kind === 'eio-write' ? clean.counts.write : kind === 'eio-sync' ? clean.counts.sync : clean.counts.fileSync;
          expect(total).toBeGreaterThan(5);
          const result = await sweep(base, Array.from({ length: total }, (_, i) => i));
          expect(result.failures.join('\n')).toBe('');
          // The sweep is not vacuous: faults hit recovery and the running WAL alike.
          expect(result.failed).toBeGreaterThan(0);
        });
      }
    }
  }

  for (const policy of POLICIES) {
    for (const preallocate of [true, false]) {
      it(`enospc at every 23rd byte until the workload fits (${label(policy)}, preallocate ${String(preallocate)})`, async () => {
        const base = { seed: SEED, policy, preallocate, kind: 'enospc' as const };
        const failures: string[] = [];
        let failed = 0;
        let fits = 0;
        for (let at = 0; fits < 2; at += 23) {
          const c: FaultCase = { ...base, at, ending: (at / 23) % 2 === 0 ? 'crash' : 'close' };
          const r = await runFaultCase(c);
          if (r.violations.length > 0) failures.push(`${describeFaultCase(c)}:\n    ${r.violations.join('\n    ')}`);
          if (r.failed) failed++;
          fits = r.surfaced === 'none' ? fits + 1 : 0;
        }
        expect(failures.join('\n')).toBe('');
        expect(failed).toBeGreaterThan(0);
      });
    }
  }
});
