import type { RecoveryReport } from '@nori/wal';
import { NoriCliError } from '../errors.js';
import { formatCount, formatDuration, formatPosition } from '../format.js';
import { readWalDirectory } from '../wal-dir.js';
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
  /** Largest record accepted (codec default 64 MiB). */
  maxRecordSize?: number;
}

/** What `nori-wal repair` reports. */
export interface RepairReport {
  dir: string;
  mode: RepairMode;
  /** The WAL's own recovery report. */
  recovery: RecoveryReport;
  /** A read-only verification of the directory after the repair. */
  after: VerifyReport;
}

/**
 * Runs WAL recovery explicitly in `mode`: takes the writer lock (a held lock is an
 * `ERR_LOCKED` error), repairs through `Wal.open`, which moves damaged bytes and segments to
 * `quarantine/` instead of deleting them, closes the log and verifies the result.
 */
export async function repairWal(dir: string, options: RepairOptions = {}): Promise<RepairReport> {
  const mode = options.mode ?? 'point-in-time';
  if (!REPAIR_MODES.includes(mode)) {
    throw new NoriCliError('ERR_USAGE', `invalid mode "${String(mode)}": expected ${REPAIR_MODES.join(' or ')}`);
  }
  const directory = await readWalDirectory(dir);
  if (directory.lock !== undefined && directory.lock.stale !== true) {
    throw lockedError(dir, directory.lock === undefined ? 'held' : describeLock(directory.lock));
  }
  const { Wal } = await import('@nori/wal');
  let opened: Awaited<ReturnType<typeof Wal.open>>;
  try {
    opened = await Wal.open({
      dir: directory.dir,
      recovery: mode,
      preallocate: false,
      fsync: 'always',
      ...(options.maxRecordSize === undefined ? {} : { maxRecordSize: options.maxRecordSize }),
    });
  } catch (error) {
    const code = (error as { code?: unknown } | undefined)?.code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'ERR_LOCKED') {
      const lock = await readWalDirectory(dir).then((again) => again.lock, () => undefined);
      throw lockedError(dir, lock === undefined ? message : describeLock(lock), error);
    }
    throw new NoriCliError('ERR_RECOVERY_FAILED', `${dir}: recovery failed (${String(code ?? 'error')}): ${message}`, {
      cause: error,
    });
  }
  await opened.wal.close();
  const after = await verifyWal(directory.dir, options.maxRecordSize === undefined ? {} : { maxRecordSize: options.maxRecordSize });
  return { dir: directory.dir, mode, recovery: opened.recovery, after };
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
  const lines = [
    `repaired    ${report.dir} (mode ${report.mode}) in ${formatDuration(r.durationMs)}`,
    `records     ${formatCount(r.records)} kept in ${r.segments} segment(s); ${formatCount(r.bytesScanned)} bytes scanned`,
    `tail        ${r.tail}${r.bytesTruncated > 0 ? `, ${formatCount(r.bytesTruncated)} bytes cut off` : ''}`,
  ];
  if (r.corruptions.length === 0) lines.push('corruption  none');
  for (const corruption of r.corruptions) {
    lines.push(`corruption  ${formatPosition(corruption)}: ${corruption.reason}`);
  }
  for (const region of r.skipped) lines.push(`skipped     ${formatPosition(region.from)} .. ${formatPosition(region.to)}`);
  lines.push(`quarantined ${r.quarantined.length === 0 ? 'nothing' : r.quarantined.join(', ')}`);
  if (r.batchesRolledBack > 0) lines.push(`rolled back ${r.batchesRolledBack} partial batch(es)`);
  lines.push(`next append ${formatPosition(r.lastPosition)}`);
  const after = report.after;
  lines.push(
    `after       ${after.status === 'clean' ? 'clean' : after.status}: ${formatCount(after.records)} records verified${after.corruptions.length > 0 ? `; ${after.corruptions.map(describeDamage).join('; ')}` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The JSON document `nori-wal repair --json` prints. */
export function repairReportToJson(report: RepairReport): unknown {
  const after = report.after;
  return {
    dir: report.dir,
    mode: report.mode,
    recovery: report.recovery,
    after: { status: after.status, records: after.records, corruptions: after.corruptions, tail: after.tail.kind },
  };
}
