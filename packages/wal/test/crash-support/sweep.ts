import { MemoryStorage } from '@nori/storage';
import { Wal, type FsyncPolicy } from '../../src/index.js';
import { checkReport } from './campaign.js';
import { CRASH_MODES, MAX_SWEEP_FAILURES, MUTATING_OPS, checkRecovered } from './crash-points.js';
import { LogModel, checkRecovery, withoutWithdrawn, type ExpectedLog } from './model.js';
import { ProcessStorage, type StorageLie } from './process-storage.js';
import { Rng } from '@nori/test-support';
import { SMALL_RECORDS } from './records.js';
import { Workload, describeError, readAll, realSleep } from './workload.js';

/** Options of {@link runCrashSweep}. */
export interface CrashSweepOptions {
  seed: number;
  policy: FsyncPolicy;
  preallocate: boolean;
  /** Workload steps. Default 40. */
  steps?: number;
  /** Crash outcomes explored per operation: PRNG seeds x crash modes. Default 2 seeds, both modes. */
  outcomeSeeds?: number;
  /** Harness mutation tests only: the storage lies about fsyncs. */
  lie?: StorageLie;
}

/** What a crash sweep did. */
export interface CrashSweepResult {
  /** Mutating storage operations of the workload (each one a crash point). */
  operations: number;
  /** Crashed copies opened and verified. */
  crashes: number;
  failures: string[];
}

/**
 * Exhaustive crash points for one fixed workload: right before every mutating storage operation,
 * the disk (page cache and pending changes included) is copied with `MemoryStorage.fork()`
 * together with what the model knew at that instant; each copy then loses power with several
 * PRNG seeds and both crash modes, is recovered by a fresh WAL and checked.
 */
export async function runCrashSweep(options: CrashSweepOptions): Promise<CrashSweepResult> {
  const rng = new Rng(options.seed);
  const memory = new MemoryStorage({ seed: rng.seed(), sectorSize: 64 });
  const model = new LogModel();
  const snapshots: { at: number; storage: MemoryStorage; expected: ExpectedLog }[] = [];
  const outcomeSeeds = options.outcomeSeeds ?? 2;
  let operations = 0;
  const hook = (op: string): void => {
    if (!MUTATING_OPS.has(op)) return;
    const expected: ExpectedLog = {
      records: model.records.map((r) => ({ ...r })),
      lastDurable: model.lastDurable,
      gcFloor: model.gcFloor,
    };
    for (let s = 0; s < outcomeSeeds; s++) {
      snapshots.push({ at: operations, storage: memory.fork({ seed: options.seed * 1000 + operations * 10 + s }), expected });
    }
    operations++;
  };
  const config = { fsync: options.policy, maxSegmentSize: 1024, preallocate: options.preallocate };
  const { wal } = await Wal.open({ ...config, storage: new ProcessStorage(memory, options.lie === undefined ? { hook } : { hook, lie: options.lie }) });
  let nextId = 1;
  const workload = new Workload({
    wal,
    model,
    rng,
    profile: SMALL_RECORDS,
    policy: options.policy,
    nextId: () => nextId++,
    sleep: realSleep,
    live: () => true,
  });
  for (let step = 0; step < (options.steps ?? 40); step++) await workload.step();
  await workload.settle();
  await wal.close();

  const failures: string[] = [];
  if (workload.errors.length > 0) failures.push(`workload failed: ${workload.errors.map((e) => `${e.what}: ${describeError(e.error)}`).join('; ')}`);
  let crashes = 0;
  for (const snapshot of snapshots) {
    const disks = CRASH_MODES.map((mode, i) => ({ mode, disk: i === 0 ? snapshot.storage : snapshot.storage.fork() }));
    for (const { mode, disk } of disks) {
      disk.crash({ mode });
      crashes++;
      const where = `seed ${options.seed}, crash before operation ${snapshot.at} (${mode})`;
      await checkRecovered(
        disk,
        config,
        where,
        async (recovered, recovery) => {
          const entries = await readAll(recovered, SMALL_RECORDS);
          const expected = withoutWithdrawn(snapshot.expected, model.withdrawn);
          return [...checkRecovery(expected, entries).violations, ...checkReport(recovery, entries, recovered)];
        },
        failures,
      );
      if (failures.length >= MAX_SWEEP_FAILURES) return { operations, crashes, failures };
    }
  }
  return { operations, crashes, failures };
}
