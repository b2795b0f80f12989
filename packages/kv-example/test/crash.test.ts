import { describe, expect, it } from 'vitest';
import { FakeClock, checkRecovery, crashWorkload, diskFor, prng, runUntilCrash, type CrashPolicy } from './helpers/crash-workload.js';

/** Seeds of the random-crash test; override with NORI_KV_CRASH_SEED to replay one failure. */
const SEEDS = process.env.NORI_KV_CRASH_SEED !== undefined ? [Number(process.env.NORI_KV_CRASH_SEED)] : Array.from({ length: 60 }, (_, i) => 1000 + i);

/** Every third seed runs under the `batch` policy (group commit on a timer), the rest `always`. */
function policyFor(seed: number): CrashPolicy {
  return seed % 3 === 0 ? 'batch' : 'always';
}

async function crashAndCheck(
  seed: number,
  crashAfterOps: number | undefined,
  steps: ReturnType<typeof crashWorkload>,
  diskSeed = seed,
  policy = policyFor(seed),
): Promise<boolean> {
  const memory = diskFor(diskSeed);
  const clock = new FakeClock();
  const run = await runUntilCrash(memory, steps, clock, crashAfterOps, policy);
  const problem = await checkRecovery(memory, run, clock, policy);
  if (problem !== undefined) {
    throw new Error(
      `acknowledged data lost: seed=${seed} diskSeed=${diskSeed} policy=${policy} crashAfterOps=${String(crashAfterOps)} ` +
        `(replay with NORI_KV_CRASH_SEED=${seed})\n${problem}`,
    );
  }
  return run.crashed;
}

describe('crash safety on MemoryStorage', () => {
  it('loses no acknowledged write when power fails at a random point', async () => {
    let crashes = 0;
    for (const seed of SEEDS) {
      const steps = crashWorkload(seed, 120);
      const dry = await runUntilCrash(diskFor(seed), steps, new FakeClock(), undefined, policyFor(seed));
      const crashAfterOps = Math.floor(prng(seed ^ 0x5eed)() * (dry.operations + 1));
      if (await crashAndCheck(seed, crashAfterOps, steps)) crashes++;
    }
    // The crash points are inside the workload, not after it: the test really crashes mid-way.
    expect(crashes).toBeGreaterThan(SEEDS.length * 0.8);
  });

  it('loses nothing when power fails between any two storage steps of a compaction', async () => {
    const seeds = process.env.NORI_KV_CRASH_SEED !== undefined ? [Number(process.env.NORI_KV_CRASH_SEED)] : [76, 77];
    let points = 0;
    for (const seed of seeds) {
      const steps = crashWorkload(seed, 120, [70, 110]);
      const dry = await runUntilCrash(diskFor(seed), steps, new FakeClock(), undefined, 'always');
      const deleting = dry.compactions.filter((c) => c.segmentsDeleted > 0);
      // The interesting compactions are those that also delete WAL segments.
      expect(deleting.length, `seed ${seed}`).toBeGreaterThanOrEqual(2);
      for (const { start, end } of deleting.slice(0, 2)) {
        // Every mutation of the compaction (snapshot temp file writes, fsync, rename, directory
        // fsync, each segment removal and its directory fsync) and the boundaries around it.
        for (let crashAfterOps = start; crashAfterOps <= end; crashAfterOps++) {
          // Several crash outcomes per point, in both modes ('subset' also loses directory
          // changes out of order, e.g. keeps a segment removal but not the snapshot rename).
          for (let outcome = 0; outcome < 8; outcome++) await crashAndCheck(seed, crashAfterOps, steps, seed * 100 + outcome, 'always');
          points++;
        }
      }
    }
    expect(points).toBeGreaterThan(seeds.length * 20);
  });

  it('survives repeated crashes of the recovering store itself', async () => {
    const seed = Number(process.env.NORI_KV_CRASH_SEED ?? 4242);
    const memory = diskFor(seed);
    const clock = new FakeClock();
    const steps = crashWorkload(seed, 80);
    const first = await runUntilCrash(memory, steps, clock, 120);
    expect(first.crashed).toBe(true);
    // Crash the next open (recovery, temp removal, re-anchoring) early, then recover for real.
    const second = await runUntilCrash(memory, [], clock, 1);
    expect(second.crashed).toBe(true);
    const problem = await checkRecovery(memory, first, clock);
    expect(problem).toBeUndefined();
  });
});
