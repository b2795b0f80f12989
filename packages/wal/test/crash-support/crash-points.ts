import type { CrashMode, MemoryStorage } from '@nori/storage';
import { Wal, type RecoveryReport, type WalConfig } from '../../src/index.js';
import { describeError } from './workload.js';

/** Both crash models of the memory disk: unsynced writes kept as a prefix, or as any subset. */
export const CRASH_MODES: readonly CrashMode[] = ['prefix', 'subset'];

/** Storage operations that change the disk: a crash point is taken before each of them. */
export const MUTATING_OPS: ReadonlySet<string> = new Set(['write', 'sync', 'syncDir', 'truncate', 'preallocate', 'rename', 'remove', 'mkdir']);

/** A sweep stops after this many failures: the first ones say enough. */
export const MAX_SWEEP_FAILURES = 5;

/**
 * Recovers a crashed `disk` with a fresh WAL (`config`), runs `check` on it and closes it. The
 * problems `check` returns, or a failed reopen, are added to `failures` prefixed with `where`.
 */
export async function checkRecovered(
  disk: MemoryStorage,
  config: Omit<WalConfig, 'storage' | 'dir'>,
  where: string,
  check: (wal: Wal, recovery: RecoveryReport) => Promise<string[]>,
  failures: string[],
): Promise<void> {
  try {
    const { wal, recovery } = await Wal.open({ ...config, storage: disk });
    try {
      const problems = await check(wal, recovery);
      if (problems.length > 0) failures.push(`${where}: ${problems.join('; ')}`);
    } finally {
      await wal.close();
    }
  } catch (error) {
    failures.push(`${where}: reopen failed: ${describeError(error)}`);
  }
}
