import { StorageError } from '../errors.js';

/** A fault to inject into a {@link MemoryStorage}. */
export type MemoryFault =
  /** Writes (and growth by truncate/preallocate) fail with `ENOSPC` once `afterBytes` more bytes were written. */
  | { kind: 'enospc'; afterBytes: number }
  /** `op` fails with `EIO` (on files named `name`, if given) `times` times (default: until cleared). */
  | { kind: 'eio'; op: 'write' | 'read' | 'sync'; name?: string; times?: number }
  /** The next sync (of `name`, if given) fails with `EIO` and drops the file's dirty pages. */
  | { kind: 'fsyncgate'; name?: string }
  /**
   * Power loss in the middle of the workload: after `afterOps` more mutating operations succeed
   * (writes, truncates, preallocations, syncs, creates, mkdirs, renames, removes, directory
   * syncs), the next one crashes the storage (as `crash()`) and fails with `ERR_CRASHED`.
   */
  | { kind: 'crash'; afterOps: number };

/** What a sync should do under the active faults. */
export type SyncOutcome = 'ok' | 'eio' | 'fsyncgate';

interface Armed {
  fault: Exclude<MemoryFault, { kind: 'enospc' } | { kind: 'crash' }>;
  remaining: number;
}

function eio(op: string, name: string): StorageError {
  return new StorageError('EIO', `${op} ${name}: injected I/O error`, { syscall: op, path: name, osCode: 'EIO' });
}

/** Enospc error of the memory backend. */
export function enospc(op: string, name: string): StorageError {
  return new StorageError('ENOSPC', `${op} ${name}: no space left on device (injected)`, {
    syscall: op,
    path: name,
    osCode: 'ENOSPC',
  });
}

/** Bookkeeping of injected faults. */
export class FaultInjector {
  #armed: Armed[] = [];
  #spaceLeft = Infinity;
  #opsBeforeCrash: number | undefined;

  add(fault: MemoryFault): void {
    if (fault.kind === 'crash') {
      if (!Number.isSafeInteger(fault.afterOps) || fault.afterOps < 0) {
        throw new StorageError('ERR_INVALID_ARGUMENT', 'crash.afterOps must be a non-negative integer');
      }
      this.#opsBeforeCrash = fault.afterOps;
      return;
    }
    if (fault.kind === 'enospc') {
      if (!Number.isSafeInteger(fault.afterBytes) || fault.afterBytes < 0) {
        throw new StorageError('ERR_INVALID_ARGUMENT', 'enospc.afterBytes must be a non-negative integer');
      }
      this.#spaceLeft = fault.afterBytes;
      return;
    }
    if (fault.kind !== 'eio' && fault.kind !== 'fsyncgate') {
      throw new StorageError('ERR_INVALID_ARGUMENT', `unknown fault kind ${JSON.stringify((fault as { kind: unknown }).kind)}`);
    }
    const times = fault.kind === 'fsyncgate' ? 1 : (fault.times ?? Infinity);
    if (times !== Infinity && (!Number.isSafeInteger(times) || times <= 0)) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'eio.times must be a positive integer');
    }
    this.#armed.push({ fault, remaining: times });
  }

  clear(): void {
    this.#armed = [];
    this.#spaceLeft = Infinity;
    this.#opsBeforeCrash = undefined;
  }

  /** Counts one mutating operation; true when an armed crash fault fires now (it disarms). */
  crashNow(): boolean {
    if (this.#opsBeforeCrash === undefined) return false;
    if (this.#opsBeforeCrash === 0) {
      this.#opsBeforeCrash = undefined;
      return true;
    }
    this.#opsBeforeCrash -= 1;
    return false;
  }

  #take(matches: (fault: Armed['fault']) => boolean): Armed['fault'] | undefined {
    const index = this.#armed.findIndex((a) => matches(a.fault));
    if (index < 0) return undefined;
    const armed = this.#armed[index] as Armed;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.#armed.splice(index, 1);
    return armed.fault;
  }

  /** Throws an injected `EIO` for `op` on `name`, if armed. */
  check(op: 'write' | 'read', name: string): void {
    if (this.#take((f) => f.kind === 'eio' && f.op === op && (f.name === undefined || f.name === name))) {
      throw eio(op, name);
    }
  }

  /** How many of `bytes` new bytes still fit on the simulated disk. */
  reserve(bytes: number): number {
    const allowed = Math.min(bytes, this.#spaceLeft);
    this.#spaceLeft -= allowed;
    return allowed;
  }

  /** Reserves `bytes` only if all of them fit; false (nothing reserved) otherwise. */
  reserveAll(bytes: number): boolean {
    if (bytes > this.#spaceLeft) return false;
    this.#spaceLeft -= bytes;
    return true;
  }

  /** The outcome of a sync of `name`. */
  sync(name: string): SyncOutcome {
    const fault = this.#take((f) => (f.kind === 'fsyncgate' || (f.kind === 'eio' && f.op === 'sync')) && (f.name === undefined || f.name === name));
    if (fault === undefined) return 'ok';
    return fault.kind === 'fsyncgate' ? 'fsyncgate' : 'eio';
  }

  /** Error for a failed sync. */
  syncError(op: string, name: string): StorageError {
    return eio(op, name);
  }
}
