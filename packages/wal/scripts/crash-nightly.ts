/**
 * Nightly crash campaign: the CI crash tests at a larger scale. Run from packages/wal:
 *
 *   node --conditions=@nori/source --import tsx scripts/crash-nightly.ts
 *
 * Environment (all optional):
 *   NORI_NIGHTLY_POINTS      MemoryStorage crash points (default 200000)
 *   NORI_NIGHTLY_SEED        first seed of the memory campaign, or "random" (default 10000000)
 *   NORI_NIGHTLY_STEPS       workload steps between crashes (default 200: longer logs than CI)
 *   NORI_NIGHTLY_FAULT_SEEDS fault sweeps: workload seeds per fault kind/policy (default 10)
 *   NORI_NIGHTLY_SWEEP_SEEDS crash-before-every-operation sweeps: workload seeds per policy (default 50)
 *   NORI_NIGHTLY_KILL_ROUNDS SIGKILL rounds (default 500)
 *   NORI_NIGHTLY_PARTS       comma list of parts to run: memory,sweep,faults,kill (default all)
 *
 * Prints progress and a JSON summary; exits 1 with replayable reports (seeds) on any violation.
 * A failing memory case replays in CI with NORI_CRASH_SEED=<seed> (the CI tests use 70 steps:
 * replay nightly cases here with NORI_NIGHTLY_POINTS=1 NORI_NIGHTLY_SEED=<seed>).
 */
import type { FsyncPolicy } from '../src/index.js';
import { formatFailure, runCampaign } from '../test/crash-support/campaign.js';
import { runFaultSweep, type FaultKind } from '../test/crash-support/faults.js';
import { killAllChildren, runKillCampaign } from '../test/crash-support/kill-harness.js';
import { runCrashSweep } from '../test/crash-support/sweep.js';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return value;
}

const points = envNumber('NORI_NIGHTLY_POINTS', 200_000);
const firstSeed = process.env.NORI_NIGHTLY_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : envNumber('NORI_NIGHTLY_SEED', 10_000_000);
const steps = envNumber('NORI_NIGHTLY_STEPS', 200);
const faultSeeds = envNumber('NORI_NIGHTLY_FAULT_SEEDS', 10);
const killRounds = envNumber('NORI_NIGHTLY_KILL_ROUNDS', 500);
const sweepSeeds = envNumber('NORI_NIGHTLY_SWEEP_SEEDS', 50);
const parts = new Set((process.env.NORI_NIGHTLY_PARTS ?? 'memory,sweep,faults,kill').split(',').map((p) => p.trim()));
const policies: FsyncPolicy[] = [{ kind: 'always' }, { kind: 'batch', windowMs: 50, maxBytes: 600 }, { kind: 'os' }];

const log = (line: string): void => {
  process.stdout.write(`[${new Date().toISOString()}] ${line}\n`);
};

const summary: Record<string, unknown> = { firstSeed, steps };
const failures: string[] = [];

process.on('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});

if (parts.has('memory')) {
  const started = Date.now();
  let nextReport = 10_000;
  let crashes = 0;
  const result = await runCampaign({
    firstSeed,
    points,
    caseOptions: { maxSteps: steps },
    stopOnFailure: false,
    onCase: (r) => {
      crashes += r.crashes;
      if (crashes >= nextReport) {
        log(`memory: ${crashes} crash points, seed ${r.seed}`);
        nextReport += 10_000;
      }
    },
  });
  for (const f of result.failures) {
    failures.push(formatFailure(f, `NORI_NIGHTLY_PARTS=memory NORI_NIGHTLY_POINTS=1 NORI_NIGHTLY_STEPS=${steps} NORI_NIGHTLY_SEED={seed}`));
  }
  summary.memory = { ...result, failures: result.failures.length, ms: Date.now() - started };
  log(`memory: done ${JSON.stringify(summary.memory)}`);
}

if (parts.has('sweep')) {
  const started = Date.now();
  let crashes = 0;
  for (let seed = 1; seed <= sweepSeeds; seed++) {
    for (const policy of policies) {
      for (const preallocate of [true, false]) {
        const result = await runCrashSweep({ seed: 5000 + seed, policy, preallocate, steps: 150, outcomeSeeds: 3 });
        crashes += result.crashes;
        failures.push(...result.failures.map((f) => `crash sweep (fsync ${policy.kind}, preallocate ${String(preallocate)}): ${f}`));
      }
    }
    if (seed % 10 === 0) log(`sweep: seed ${seed}/${sweepSeeds}, ${crashes} crashes`);
  }
  summary.sweep = { crashes, ms: Date.now() - started };
}

if (parts.has('faults')) {
  const started = Date.now();
  const kinds: FaultKind[] = ['eio-write', 'eio-read', 'eio-sync', 'fsyncgate', 'enospc'];
  let cases = 0;
  let failed = 0;
  for (let seed = 1; seed <= faultSeeds; seed++) {
    for (const kind of kinds) {
      for (const policy of policies) {
        for (const preallocate of [true, false]) {
          const sweep = await runFaultSweep({ seed: 1000 + seed, policy, preallocate, kind }, 7);
          cases += sweep.cases;
          failed += sweep.failed;
          failures.push(...sweep.failures);
        }
      }
    }
    log(`faults: seed ${seed}/${faultSeeds}, ${cases} cases`);
  }
  summary.faults = { cases, failed, ms: Date.now() - started };
}

if (parts.has('kill')) {
  const started = Date.now();
  const seed = firstSeed;
  const result = await runKillCampaign({
    rounds: killRounds,
    seed,
    onRound: (r) => {
      if ((r.round + 1) % 50 === 0) log(`kill: ${r.round + 1}/${killRounds} rounds`);
    },
  });
  for (const f of result.failures) failures.push(`SIGKILL seed ${seed} round ${f.round}:\n  ${f.violations.join('\n  ')}`);
  summary.kill = { ...result, failures: result.failures.length, ms: Date.now() - started };
}

summary.failures = failures.length;
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
if (failures.length > 0) {
  process.stderr.write(`${failures.join('\n\n')}\n`);
  process.exit(1);
}
