import type { Storage } from '@nori/storage';
import { Wal, type RecoveryReport, type WalConfig } from '@nori/wal';
import { Archiver } from '../archiver/archiver.js';
import type { ArchiverOptions } from '../archiver/options.js';
import { ArchiveError } from '../errors.js';
import { restore, type RestoreOptions, type RestoreReport } from '../restore/restore.js';
import type { ObjectStore } from '../types.js';

/** Options of {@link promote}. */
export interface PromoteOptions {
  /** The archive of the primary being replaced. */
  store: ObjectStore;
  /** Its archive prefix (LAYOUT.md `P`). */
  prefix: string;
  /** The new primary's directory: created if missing, refused unless empty. */
  dir?: string | undefined;
  /** Or any empty `Storage` (e.g. `MemoryStorage`). */
  storage?: Storage | undefined;
  /** Restore options other than the destination (e.g. `generation`, `to`, `onProgress`). */
  restore?: Omit<RestoreOptions, 'store' | 'prefix' | 'dir' | 'storage' | 'signal'> | undefined;
  /** WAL config of the new primary (its `dir`/`storage` come from above). */
  wal?: Omit<WalConfig, 'dir' | 'storage' | 'signal' | 'readOnly'> | undefined;
  /** Archiver options of the new primary (store, prefix and `takeover: true` come from above). */
  archiver?: Omit<ArchiverOptions, 'store' | 'prefix' | 'takeover' | 'signal'> | undefined;
  /** Aborts the restore, the open and the archiver start (`ERR_ABORTED`). */
  signal?: AbortSignal | undefined;
}

/** What {@link promote} did. */
export interface PromoteReport {
  restore: RestoreReport;
  recovery: RecoveryReport;
  /** The generation the new primary writes (it fenced every older one). */
  generation: number;
  /** The generation it was restored from. */
  restoredGeneration: number;
}

/** The new primary: its WAL and archiver. `close()` closes the archiver, then the WAL. */
export interface Promotion extends AsyncDisposable {
  wal: Wal;
  archiver: Archiver;
  report: PromoteReport;
  /** Closes the archiver (with `flush`) and then the WAL; the WAL is closed even when the flush fails. */
  close(options?: { flush?: boolean }): Promise<void>;
}

/** The new primary's WAL config: the promotion's destination (`dir` or `storage`) and signal. */
function walConfig(options: PromoteOptions): WalConfig {
  const config: WalConfig = options.dir === undefined ? { ...options.wal, storage: options.storage as Storage } : { ...options.wal, dir: options.dir };
  if (options.signal !== undefined) config.signal = options.signal;
  return config;
}

/**
 * Makes a new primary from an archive, e.g. after the old primary's machine is lost: restores
 * the newest generation into an empty `dir`/`storage`, opens it as a writable WAL, and starts an
 * archiver with `takeover: true`, which begins a new generation and so fences the old primary,
 * and ships the restored log into that generation (a flush) before resolving:
 * if it comes back and ships (or restarts its archiver), it gets `ERR_FENCED` naming the new
 * generation and ships nothing more. Every record the old primary had archived (for example
 * acknowledged by {@link Archiver.append}) is in the new primary's log.
 *
 * ```ts
 * await using primary = await promote({ store, prefix: 'orders', dir: '/data/orders' });
 * await primary.archiver.append({ key: 'k', value: 'v' }); // remote-durable on the new primary
 * ```
 * @throws ArchiveError from {@link restore} (e.g. `ERR_NO_GENERATION`, `ERR_DESTINATION_NOT_EMPTY`)
 *   and {@link Archiver.start}; WalError from `Wal.open`. Nothing is left open on failure.
 */
export async function promote(options: PromoteOptions): Promise<Promotion> {
  if (typeof options !== 'object' || options === null) throw new ArchiveError('ERR_INVALID_ARGUMENT', 'promote options must be an object');
  const { store, prefix, dir, storage, signal } = options;
  const restored = await restore({ ...options.restore, store, prefix, dir, storage, signal });
  const { wal, recovery } = await Wal.open(walConfig(options));
  let archiver: Archiver | undefined;
  try {
    archiver = await Archiver.start(wal, { ...options.archiver, store, prefix, takeover: true, ...(signal === undefined ? {} : { signal }) });
    // Until its snapshot is shipped the new generation holds no records: a new primary lost now
    // would leave the newest generation empty. Promotion ends when it holds the whole log.
    await archiver.flush(signal === undefined ? {} : { signal });
  } catch (error) {
    await archiver?.close();
    await wal.close();
    throw error;
  }
  const report: PromoteReport = { restore: restored, recovery, generation: archiver.generation, restoredGeneration: restored.generation };
  const close = async (closeOptions: { flush?: boolean } = {}): Promise<void> => {
    try {
      await archiver.close({ flush: closeOptions.flush === true });
    } finally {
      await wal.close();
    }
  };
  return { wal, archiver, report, close, [Symbol.asyncDispose]: () => close() };
}
