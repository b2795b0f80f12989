import { NodeFileStorage, type Storage, type StorageLock } from '@nori/storage';
import type { RecoveryReport, WalConfig } from '@nori/wal';
import { NoriCliError, fsError } from '../errors.js';
import { formatCount, formatDuration, formatPosition } from '../format.js';
import { HeldLockStorage } from '../locked-storage.js';
import { readWalDirectory, type SideFile, type WalDirectory } from '../wal-dir.js';
import { describeDamage, describeLock } from './inspect.js';
import { verifyWal, type VerifyReport } from './verify.js';

/**
 * Recovery modes `repair` offers. `point-in-time` keeps everything before the first damage and
 * moves the rest to `quarantine/`; `salvage` keeps every readable record and skips damaged regions.
 */
export type RepairMode = 'point-in-time' | 'salvage';

/** The modes {@link repairWal} accepts. */
export const REPAIR_MODES: readonly RepairMode[] = ['point-in-time', 'salvage'];

/** Options of {@link repairWal}. */
export interface RepairOptions {
  /** Default `point-in-time`. */
  mode?: RepairMode;
  /** Only report what recovery would do: no lock, no change. */
  dryRun?: boolean;
  /** Largest record accepted (codec default 64 MiB). */
  maxRecordSize?: number;
}

/** What `nori-wal repair` reports. */
export interface RepairReport {
  dir: string;
  mode: RepairMode;
  dryRun: boolean;
  /** The WAL's own recovery report (for a dry run: what it would do). */
  recovery: RecoveryReport;
  /**
   * Bytes recovery cuts off without quarantining them itself (a torn tail, a rolled-back partial
   * batch), which `repair` copied to `quarantine/` first (for a dry run: would copy).
   */
  preserved: SideFile[];
  /** A read-only verification of the directory after the repair; `undefined` for a dry run. */
  after: VerifyReport | undefined;
}

const QUARANTINE = 'quarantine';

/**
 * Runs WAL recovery explicitly in `mode`. Takes the writer lock (a held lock is an `ERR_LOCKED`
 * error) and keeps it from the first look to the end of recovery. Nothing is deleted: recovery
 * moves damaged bytes and segments to `quarantine/`, and bytes it would simply cut off (a torn
 * tail) are copied there first. The result is verified afterwards.
 */
export async function repairWal(dir: string, options: RepairOptions = {}): Promise<RepairReport> {
  const mode = options.mode ?? 'point-in-time';
  if (!REPAIR_MODES.includes(mode)) {
    throw new NoriCliError('ERR_USAGE', `invalid mode "${String(mode)}": expected ${REPAIR_MODES.join(' or ')}`);
  }
  const directory = await readWalDirectory(dir);
  const { Wal } = await import('@nori/wal');
  const storage = new NodeFileStorage(directory.dir);
  const config = (base: WalConfig): WalConfig => ({
    ...base,
    recovery: mode,
    preallocate: false,
    fsync: 'always',
    ...(options.maxRecordSize === undefined ? {} : { maxRecordSize: options.maxRecordSize }),
  });
  const open = async (base: WalConfig): Promise<RecoveryReport> => {
    try {
      const { wal, recovery } = await Wal.open(config(base));
      await wal.close();
      return recovery;
    } catch (error) {
      throw recoveryError(dir, error);
    }
  };

  if (options.dryRun === true) {
    const recovery = await open({ storage, readOnly: true });
    const preserved = await preserveCutBytes(storage, directory, recovery, false);
    return { dir: directory.dir, mode, dryRun: true, recovery, preserved, after: undefined };
  }

  if (directory.lock !== undefined && directory.lock.stale !== true) throw lockedError(dir, describeLock(directory.lock));
  let lock: StorageLock;
  try {
    lock = await storage.lock();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_LOCKED') {
      const holder = await readWalDirectory(dir).then((again) => again.lock, () => undefined);
      throw lockedError(dir, holder === undefined ? 'held' : describeLock(holder), error);
    }
    throw fsError(error, dir);
  }
  let recovery: RecoveryReport;
  let preserved: SideFile[];
  try {
    // Under the lock: nobody appends any more, so the listing and the preview stay true.
    const locked = await readWalDirectory(dir);
    const held = new HeldLockStorage(storage, lock);
    const preview = await open({ storage, readOnly: true });
    preserved = await preserveCutBytes(storage, locked, preview, true);
    recovery = await open({ storage: held });
  } finally {
    await lock.release();
  }
  const after = await verifyWal(directory.dir, {
    preview: false,
    ...(options.maxRecordSize === undefined ? {} : { maxRecordSize: options.maxRecordSize }),
  });
  return { dir: directory.dir, mode, dryRun: false, recovery, preserved, after };
}

/**
 * Recovery ends the log at `recovery.lastPosition` and cuts off whatever follows in that
 * segment's file. When those bytes are not zeros and recovery does not quarantine them itself,
 * copy them to `quarantine/NNNNNN.wal.at-OFFSET` (durably) so nothing is lost.
 */
async function preserveCutBytes(
  storage: Storage,
  directory: WalDirectory,
  recovery: RecoveryReport,
  write: boolean,
): Promise<SideFile[]> {
  const end = recovery.lastPosition;
  const segment = directory.segments.find((candidate) => candidate.id === end.segmentId);
  if (segment === undefined || segment.size <= end.offset) return [];
  const base = `${QUARANTINE}/${segment.name}.at-${end.offset}`;
  if (recovery.quarantined.some((name) => name === base || name.startsWith(`${base}.`))) return [];
  const length = segment.size - end.offset;
  const bytes = new Uint8Array(length);
  try {
    const file = await storage.open(segment.name, { readOnly: true });
    try {
      let done = 0;
      while (done < length) {
        const read = await file.read(bytes, done, length - done, end.offset + done);
        if (read === 0) break;
        done += read;
      }
    } finally {
      await file.close();
    }
    if (bytes.every((byte) => byte === 0)) return [];
    let name = base;
    for (let n = 1; await storage.exists(name); n += 1) name = `${base}.${n}`;
    if (write) {
      await storage.mkdir(QUARANTINE);
      const target = await storage.open(name, { create: true });
      try {
        await target.writev([bytes], 0);
        await target.datasync();
      } finally {
        await target.close();
      }
      await storage.syncDir(QUARANTINE);
      await storage.syncDir();
    }
    return [{ name, size: length }];
  } catch (error) {
    if (error instanceof NoriCliError) throw error;
    throw fsError(error, `${directory.dir}: preserving ${segment.name} from offset ${end.offset}`);
  }
}

function recoveryError(dir: string, error: unknown): NoriCliError {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new NoriCliError('ERR_RECOVERY_FAILED', `${dir}: recovery failed (${String(code ?? 'error')}): ${message}`, {
    cause: error,
  });
}

function lockedError(dir: string, holder: string, cause?: unknown): NoriCliError {
  return new NoriCliError(
    'ERR_LOCKED',
    `${dir}: locked by a writer (${holder}); stop it first, repair never runs beside a live writer`,
    cause === undefined ? undefined : { cause },
  );
}

/** Renders a {@link RepairReport} as text (what `nori-wal repair` prints). */
export function formatRepairReport(report: RepairReport): string {
  const r = report.recovery;
  const would = report.dryRun ? 'would be ' : '';
  const lines = [
    report.dryRun
      ? `dry run     ${report.dir} (mode ${report.mode}): nothing was changed`
      : `repaired    ${report.dir} (mode ${report.mode}) in ${formatDuration(r.durationMs)}`,
    `records     ${formatCount(r.records)} ${would}kept in ${r.segments} segment(s); ${formatCount(r.bytesScanned)} bytes scanned`,
    `tail        ${r.tail}${r.bytesTruncated > 0 ? `; ${formatCount(r.bytesTruncated)} bytes ${would}cut off or moved` : ''}`,
  ];
  if (r.corruptions.length === 0) lines.push('corruption  none');
  for (const corruption of r.corruptions) lines.push(`corruption  ${formatPosition(corruption)}: ${corruption.reason}`);
  for (const region of r.skipped) lines.push(`skipped     ${formatPosition(region.from)} .. ${formatPosition(region.to)}`);
  const moved = [...r.quarantined, ...report.preserved.map((file) => `${file.name} (copy of ${formatCount(file.size)} cut bytes)`)];
  lines.push(`quarantine  ${moved.length === 0 ? 'nothing' : `${would}${moved.join(', ')}`}`);
  if (r.batchesRolledBack > 0) lines.push(`rolled back ${r.batchesRolledBack} partial batch(es)`);
  lines.push(`next append ${formatPosition(r.lastPosition)}`);
  const after = report.after;
  if (after !== undefined) {
    const damage = after.corruptions.length > 0 ? `; ${after.corruptions.map(describeDamage).join('; ')}` : '';
    const note =
      report.mode === 'salvage' && after.corruptions.length > 0 ? ' (salvage leaves skipped regions in place; readers jump over them)' : '';
    lines.push(`after       ${after.status}: ${formatCount(after.records)} records verified${damage}${note}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON document `nori-wal repair --json` prints. */
export function repairReportToJson(report: RepairReport): unknown {
  const after = report.after;
  return {
    dir: report.dir,
    mode: report.mode,
    dryRun: report.dryRun,
    recovery: report.recovery,
    preserved: report.preserved,
    after:
      after === undefined
        ? null
        : { status: after.status, exitCode: after.exitCode, records: after.records, corruptions: after.corruptions, tail: after.tail.kind },
  };
}
