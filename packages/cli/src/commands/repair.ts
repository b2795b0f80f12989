import { NodeFileStorage, type Storage, type StorageLock } from '@nori/storage';
import type { RecoveryReport, WalConfig } from '@nori/wal';
import { segmentName } from '@nori/wal/scan';
import { NoriCliError, fsError } from '../errors.js';
import { formatCount, formatDuration, formatPosition } from '../format.js';
import { HeldLockStorage } from '../locked-storage.js';
import { SALVAGED_FILE, describeSalvagedSpan, type SalvagedSpan } from '../salvaged.js';
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
  /**
   * `maxRecordSize` handed to `@nori/wal` (it limits writes only). Reading never uses it: records
   * up to the format's limit (1 GiB) are read, as `@nori/wal` reads them.
   */
  maxRecordSize?: number;
  /**
   * Progress of the verification pass after the repair: bytes read out of the total. (`@nori/wal`
   * recovery itself reports no progress.)
   */
  onProgress?: (done: number, total: number) => void;
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
  /**
   * Regions salvage skipped (now or in an earlier salvage) as recorded in `salvaged.json`, and
   * the copies of newly skipped bytes `@nori/wal` made in `quarantine/`; `undefined` when no
   * region is skipped.
   */
  salvaged: SalvageRecord | undefined;
  /** A read-only verification of the directory after the repair; `undefined` for a dry run. */
  after: VerifyReport | undefined;
}

/** What salvage recorded (for a dry run: would record). */
export interface SalvageRecord {
  /** The side file, relative to the directory (`salvaged.json`). */
  file: string;
  /** Every region the file lists after the repair, in log order. */
  regions: SalvagedSpan[];
  /** How many of them this repair found (the others were listed before). */
  fresh: number;
  /**
   * Copies of the newly skipped bytes under `quarantine/NNNNNN.wal.skipped-OFFSET` (the segments
   * keep them: positions never move). `size` is `undefined` for a dry run when not known ahead.
   */
  copies: { name: string; size: number | undefined }[];
  /**
   * Full copies of the segments with newly skipped regions, `quarantine/NNNNNN.wal.salvaged`: they
   * keep the records salvage kept after the damage if a tool unaware of `salvaged.json` (Rust
   * nori-wal) truncates the segment there.
   */
  segmentCopies: { name: string; size: number | undefined }[];
}

const QUARANTINE = 'quarantine';

/** What a dry run's salvage would record: the regions, and the quarantine copies it would make. */
function plannedSalvage(recovery: RecoveryReport, directory: WalDirectory): RepairReport['salvaged'] {
  const fresh = freshRegions(recovery, directory);
  return recovery.skipped.length === 0
    ? undefined
    : {
        file: SALVAGED_FILE,
        regions: recovery.skipped,
        fresh: fresh.length,
        // A region with no bytes in its segment (a missing segment after a clean end) gets no copy.
        copies: fresh
          .filter((span) => span.from.offset < (directory.segments.find((segment) => segment.id === span.from.segmentId)?.size ?? 0))
          .map((span) => ({
            name: `${QUARANTINE}/${segmentName(span.from.segmentId)}.skipped-${span.from.offset}`,
            size: span.to.segmentId === span.from.segmentId ? span.to.offset - span.from.offset : undefined,
          })),
        segmentCopies: [...new Set(fresh.map((span) => span.from.segmentId))]
          .filter((id) => directory.segments.some((segment) => segment.id === id && segment.size > 0))
          .map((id) => ({ name: `${QUARANTINE}/${segmentName(id)}.salvaged`, size: undefined })),
      };
}

/** Takes the writer lock of `directory` (a live holder is `ERR_LOCKED`, naming it). */
async function takeLock(storage: NodeFileStorage, directory: WalDirectory, dir: string): Promise<StorageLock> {
  if (directory.lock !== undefined && directory.lock.stale !== true) throw lockedError(dir, describeLock(directory.lock));
  try {
    return await storage.lock();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_LOCKED') {
      const holder = await readWalDirectory(dir).then(
        (again) => again.lock,
        () => undefined,
      );
      throw lockedError(dir, holder === undefined ? 'held' : describeLock(holder), error);
    }
    throw fsError(error, dir);
  }
}

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
    const salvaged = plannedSalvage(recovery, directory);
    return { dir: directory.dir, mode, dryRun: true, recovery, preserved, salvaged, after: undefined };
  }

  const lock = await takeLock(storage, directory, dir);
  let recovery: RecoveryReport;
  let preserved: SideFile[];
  let before: WalDirectory;
  try {
    // Under the lock: nobody appends any more, so the listing and the preview stay true.
    before = await readWalDirectory(dir);
    const held = new HeldLockStorage(storage, lock);
    const preview = await open({ storage, readOnly: true });
    preserved = await preserveCutBytes(storage, before, preview, true);
    recovery = await open({ storage: held });
  } finally {
    await lock.release();
  }
  const salvaged = recovery.skipped.length === 0 ? undefined : await salvageRecord(directory.dir, before, recovery);
  const after = await verifyWal(directory.dir, {
    preview: false,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.maxRecordSize === undefined ? {} : { maxRecordSize: options.maxRecordSize }),
  });
  return { dir: directory.dir, mode, dryRun: false, recovery, preserved, salvaged, after };
}

/** What {@link planRepair} found: the dry-run plan and what it costs beyond the damage itself. */
export interface RepairPlan {
  /** The dry-run report of the requested mode (nothing was changed). */
  plan: RepairReport;
  /**
   * Readable records (intact CRC) after the first damage that this mode would take out of the log
   * (to `quarantine/`) and `--mode salvage` would keep; 0 in salvage mode.
   */
  healthyRecordsRemoved: number;
}

/**
 * Plans a repair without changing anything (two dry runs, no lock): the plan of `options.mode` and,
 * for point-in-time, how many healthy records it would remove compared with salvage. The CLI asks
 * for confirmation when that number is not 0.
 */
export async function planRepair(dir: string, options: Omit<RepairOptions, 'dryRun' | 'onProgress'> = {}): Promise<RepairPlan> {
  const plan = await repairWal(dir, { ...options, dryRun: true });
  if (plan.mode === 'salvage') return { plan, healthyRecordsRemoved: 0 };
  const salvage = await repairWal(dir, { ...options, mode: 'salvage', dryRun: true });
  return { plan, healthyRecordsRemoved: Math.max(0, salvage.recovery.records - plan.recovery.records) };
}

/** The warning `nori-wal repair` prints before removing healthy records (text, several lines). */
export function describeRepairRisk(risk: RepairPlan): string {
  const moved = risk.plan.recovery.quarantined;
  return (
    `repair --mode ${risk.plan.mode} would take ${formatCount(risk.healthyRecordsRemoved)} readable record(s) after the first damage ` +
    `out of the log (moved to quarantine/, not deleted${moved.length > 0 ? `: ${moved.join(', ')}` : ''}).\n` +
    `"--mode salvage" keeps them and skips only the damaged region(s); "--dry-run" shows either plan.\n`
  );
}

function spanKey(span: SalvagedSpan): string {
  return `${formatPosition(span.from)}-${formatPosition(span.to)}`;
}

/** Skipped regions of `recovery` that `salvaged.json` did not list yet. */
function freshRegions(recovery: RecoveryReport, before: WalDirectory): SalvagedSpan[] {
  const known = new Set(before.salvaged.map(spanKey));
  return recovery.skipped.filter((span) => !known.has(spanKey(span)));
}

/** Reads back what the repair recorded: `salvaged.json` and the new `*.skipped-*` / `*.salvaged` quarantine copies. */
async function salvageRecord(dir: string, before: WalDirectory, recovery: RecoveryReport): Promise<SalvageRecord> {
  const now = await readWalDirectory(dir);
  const existed = new Set(before.quarantine.map((file) => file.name));
  return {
    file: SALVAGED_FILE,
    regions: now.salvaged,
    fresh: freshRegions(recovery, before).length,
    copies: now.quarantine
      .filter((file) => !existed.has(file.name) && /\.skipped-\d+(?:\.\d+)?$/.test(file.name))
      .map((file) => ({ name: file.name, size: file.size })),
    segmentCopies: now.quarantine
      .filter((file) => !existed.has(file.name) && /\.wal\.salvaged(?:\.\d+)?$/.test(file.name))
      .map((file) => ({ name: file.name, size: file.size })),
  };
}

/**
 * Recovery ends the log at `recovery.lastPosition` and cuts off whatever follows in that
 * segment's file. When those bytes are not zeros and recovery does not quarantine them itself,
 * copy them to `quarantine/NNNNNN.wal.at-OFFSET` (durably) so nothing is lost.
 */
async function preserveCutBytes(storage: Storage, directory: WalDirectory, recovery: RecoveryReport, write: boolean): Promise<SideFile[]> {
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
  return new NoriCliError('ERR_RECOVERY_FAILED', `${dir}: recovery failed (${typeof code === 'string' ? code : 'error'}): ${message}`, {
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
  const salvaged = report.salvaged;
  if (salvaged !== undefined) {
    const count = salvaged.regions.length;
    lines.push(
      `salvaged    ${count} region(s) ${would}recorded in ${salvaged.file} (${salvaged.fresh} new); every later open, verify, inspect and dump skip ${count === 1 ? 'it' : 'them'}`,
    );
  }
  const moved = [
    ...r.quarantined,
    ...report.preserved.map((file) => `${file.name} (copy of ${formatCount(file.size)} cut bytes)`),
    ...(salvaged?.copies ?? []).map((file) => `${file.name} (copy of ${file.size === undefined ? 'the' : formatCount(file.size)} skipped bytes)`),
    ...(salvaged?.segmentCopies ?? []).map((file) => `${file.name} (full copy of the salvaged segment)`),
  ];
  lines.push(`quarantine  ${moved.length === 0 ? 'nothing' : `${would}${moved.join(', ')}`}`);
  if (r.batchesRolledBack > 0) lines.push(`rolled back ${r.batchesRolledBack} partial batch(es)`);
  lines.push(`next append ${formatPosition(r.lastPosition)}`);
  const after = report.after;
  if (after !== undefined) {
    const known =
      after.salvaged.length > 0 ? `, ${after.salvaged.length} salvaged region(s) skipped (${after.salvaged.map(describeSalvagedSpan).join(', ')})` : '';
    const damage = after.corruptions.length > 0 ? `; ${after.corruptions.map(describeDamage).join('; ')}` : '';
    lines.push(`after       ${after.status}: ${formatCount(after.records)} records verified${known}${damage}`);
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
    salvaged:
      report.salvaged === undefined
        ? null
        : {
            ...report.salvaged,
            copies: report.salvaged.copies.map((copy) => ({ ...copy, size: copy.size ?? null })),
            segmentCopies: report.salvaged.segmentCopies.map((copy) => ({ ...copy, size: copy.size ?? null })),
          },
    after:
      after === undefined
        ? null
        : {
            status: after.status,
            exitCode: after.exitCode,
            records: after.records,
            corruptions: after.corruptions,
            salvaged: after.salvaged,
            tail: after.tail.kind,
          },
  };
}
