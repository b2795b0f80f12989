import type { Storage } from '@nori/storage';
import { Wal, type RecoveryReport, type WalConfig } from '@nori/wal';

/** One test's backend: a fresh, empty storage and what the backend can simulate. */
export interface WalHarness {
  /** The storage the WAL under test writes to (empty). */
  readonly storage: Storage;
  /** Power loss: returns the storage as a restarted machine sees it. Needs `supports.crash`. */
  crash?(): Storage | Promise<Storage>;
  /** The next `count` syncs of segment files fail with `EIO`. Needs `supports.faults`. */
  failSyncs?(count: number): void;
  /** Releases the backend (e.g. removes a temp dir); called after each test. */
  cleanup?: () => Promise<void>;
}

/** Makes a fresh {@link WalHarness}; called once per test. */
export type WalFactory = () => WalHarness | Promise<WalHarness>;

/** What a backend supports (abstract-level's `supports` manifest): optional suites run only if set. */
export interface WalSupports {
  /** The harness has `crash()`: the power-loss tests run. Default false. */
  crash?: boolean;
  /** The harness has `failSyncs()`: the failed-fsync tests run. Default false. */
  faults?: boolean;
}

/** A small segment size, so a few dozen records span several segments. */
export const SMALL_SEGMENT = 1024;

/** Opens a WAL on `storage` with the suite's defaults (no preallocation keeps tests small). */
export function openWal(storage: Storage, config: Omit<WalConfig, 'storage'> = {}): Promise<{ wal: Wal; recovery: RecoveryReport }> {
  return Wal.open({ preallocate: false, fsync: 'always', ...config, storage });
}

/** Registers `beforeEach`/`afterEach` handling of harnesses; `current()` is the test's one. */
export interface HarnessSlot {
  current(): WalHarness;
}
