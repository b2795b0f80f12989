import { DEFAULT_RECOVERY_MODE, decideRecovery, worstVerdict, type DamageKind } from '@nori/wal/scan';
import { ExitCode } from '../errors.js';
import { formatCount, formatDuration, formatPosition, formatSize, type LogPosition } from '../format.js';
import { scanLog, type Damage, type LogScan, type LogTail, type SegmentTrailer } from '../scan.js';
import { describeSalvaged, type SalvagedRegion } from '../salvaged.js';
import { readWalDirectory } from '../wal-dir.js';
import { describeDamage, describeTail } from './inspect.js';

/** Options of {@link verifyWal}. */
export interface VerifyOptions {
  /**
   * `maxRecordSize` handed to `@nori/wal` (it limits writes only). Reading never uses it: records
   * up to the format's limit (1 GiB) are read, as `@nori/wal` reads them.
   */
  maxRecordSize?: number;
  /** Progress: bytes scanned out of the total. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /**
   * When damage is found, also ask `@nori/wal` (read-only) what a default open would do about it
   * (default true).
   */
  preview?: boolean;
}

/** What a default `Wal.open` (recovery `tolerate-tail`) would do to a damaged log. */
export interface RecoveryPreview {
  /** Records a default open would keep. */
  records: number;
  /** Bytes it would cut off or move to `quarantine/`. */
  bytesTruncated: number;
  /** Files it would move to (or create in) `quarantine/`. */
  quarantined: string[];
  /** Where the next append would go. */
  lastPosition: LogPosition;
}

/**
 * Verdict of a verification: `clean` (exit 0; a zero-filled tail counts as clean), `torn-tail`
 * (exit 4: only the end of the last segment is damaged) or `corrupt` (exit 3).
 */
export type VerifyStatus = 'clean' | 'torn-tail' | 'corrupt';

/** What `nori-wal verify` reports. */
export interface VerifyReport {
  dir: string;
  status: VerifyStatus;
  /** The exit code for `status`: 0, 4 or 3. */
  exitCode: ExitCode;
  segments: number;
  records: number;
  bytes: number;
  /** Damage before the tail: every region with segment, offset, length and reason. */
  corruptions: Damage[];
  /**
   * Regions listed in `salvaged.json` (skipped by an earlier `salvage` recovery, as every open
   * does): known and skipped, not read, not corruption.
   */
  salvaged: SalvagedRegion[];
  tail: LogTail;
  /** Zero-filled ends of earlier segments (preallocated space that was never trimmed; not damage). */
  zeroFilledSegments: (SegmentTrailer & { segmentId: number })[];
  /** Only when damage was found: what a default open would do, or why that could not be told. */
  preview: RecoveryPreview | { error: string } | undefined;
  durationMs: number;
}

/**
 * Reads every record of every segment, checks each CRC and decompresses every compressed value.
 * Regions an earlier salvage recorded in `salvaged.json` are skipped and listed in `salvaged`:
 * damage only there is `clean`. Takes no lock and never modifies a file.
 */
export async function verifyWal(dir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const directory = await readWalDirectory(dir);
  const scan = await scanLog(directory, {
    checkValues: true,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const lastId = scan.segments.at(-1)?.id;
  const zeroFilledSegments = scan.segments.flatMap((segment) =>
    segment.trailer?.kind === 'zeros' && segment.id !== lastId ? [{ ...segment.trailer, segmentId: segment.id }] : [],
  );
  const status = verdictOf(findings(scan));
  const preview = status !== 'clean' && options.preview !== false ? await previewRecovery(directory.dir, options.maxRecordSize) : undefined;
  return {
    dir: directory.dir,
    status,
    exitCode: status === 'corrupt' ? ExitCode.CORRUPT : status === 'torn-tail' ? ExitCode.TORN_TAIL : ExitCode.OK,
    segments: scan.segments.length,
    records: scan.records,
    bytes: scan.bytes,
    corruptions: scan.corruptions,
    salvaged: scan.salvaged,
    tail: scan.tail,
    zeroFilledSegments,
    preview,
    durationMs: scan.durationMs,
  };
}

/** What a scan found, as the findings `@nori/wal`'s recovery decides on. */
function findings(scan: Pick<LogScan, 'corruptions' | 'salvaged' | 'tail'>): DamageKind[] {
  const found = scan.corruptions.map(damageKind);
  for (let i = 0; i < scan.salvaged.length; i++) found.push('known-region');
  // A live tail is the record a running writer is writing: no finding.
  if (scan.tail.kind === 'torn') found.push('torn-tail');
  if (scan.tail.kind === 'zero-filled') found.push('zero-tail');
  return found;
}

/** The finding a damaged region is (by its `DamageReason`). */
function damageKind(damage: Damage): DamageKind {
  if (damage.reason === 'missing-segment') return 'missing-segments';
  if (damage.reason.startsWith('sealed-')) return 'sealed-changed';
  if (damage.reason === 'too-large') return 'too-large';
  return 'corrupt';
}

/**
 * The verdict a default `Wal.open` reaches on the same findings: both come from `@nori/wal`'s
 * {@link decideRecovery}, so verify and open cannot disagree.
 */
function verdictOf(found: readonly DamageKind[]): VerifyStatus {
  const verdict = worstVerdict(found.map((kind) => decideRecovery(DEFAULT_RECOVERY_MODE, kind).verdict));
  return verdict === 'corruption' ? 'corrupt' : verdict === 'torn-tail' ? 'torn-tail' : 'clean';
}

/** Opens the log read-only with `@nori/wal`'s default recovery and reports what it would do. */
async function previewRecovery(dir: string, maxRecordSize: number | undefined): Promise<RecoveryPreview | { error: string }> {
  try {
    const { Wal } = await import('@nori/wal');
    const { wal, recovery } = await Wal.open({ dir, readOnly: true, ...(maxRecordSize === undefined ? {} : { maxRecordSize }) });
    await wal.close();
    return {
      records: recovery.records,
      bytesTruncated: recovery.bytesTruncated,
      quarantined: recovery.quarantined,
      lastPosition: recovery.lastPosition,
    };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** One line: what a default open would do. */
export function describePreview(preview: RecoveryPreview | { error: string }): string {
  if ('error' in preview) return `cannot tell what a default open would do: ${preview.error}`;
  const actions = [`keep ${formatCount(preview.records)} records`];
  if (preview.bytesTruncated > 0) actions.push(`cut off ${formatCount(preview.bytesTruncated)} bytes`);
  if (preview.quarantined.length > 0) actions.push(`move ${preview.quarantined.length} file(s) to quarantine/`);
  return `a default open (recovery ${DEFAULT_RECOVERY_MODE}) would ${actions.join(', ')}; next append at ${formatPosition(preview.lastPosition)}`;
}

/** Renders a {@link VerifyReport} as text (what `nori-wal verify` prints). */
export function formatVerifyReport(report: VerifyReport): string {
  const lines = [
    `verified    ${report.dir}: ${report.segments} segment(s), ${formatCount(report.records)} records, ${formatCount(report.bytes)} bytes (${formatSize(report.bytes)}) in ${formatDuration(report.durationMs)}`,
  ];
  for (const region of report.salvaged) lines.push(`salvaged    ${describeSalvaged(region)}`);
  for (const damage of report.corruptions) lines.push(`CORRUPT     ${describeDamage(damage)}`);
  for (const zeros of report.zeroFilledSegments) {
    lines.push(
      `note        ${formatPosition({ segmentId: zeros.segmentId, offset: zeros.offset })}: ${formatCount(zeros.length)} zero bytes after the last record (preallocated, not damage)`,
    );
  }
  lines.push(`tail        ${describeTail(report.tail)}`);
  if (report.preview !== undefined) lines.push(`on open     ${describePreview(report.preview)}`);
  const verdict =
    report.status === 'clean'
      ? report.salvaged.length > 0
        ? `OK: no corruption outside ${report.salvaged.length} known salvaged region(s)`
        : 'OK: no corruption'
      : report.status === 'torn-tail'
        ? 'TORN TAIL: only the end of the last segment is damaged'
        : `CORRUPT: ${report.corruptions.length} damaged region(s) before the tail; see "nori-wal repair --help"`;
  lines.push(`result      ${verdict} (exit ${report.exitCode})`);
  return `${lines.join('\n')}\n`;
}

/** The JSON document `nori-wal verify --json` prints. */
export function verifyReportToJson(report: VerifyReport): unknown {
  return {
    ...report,
    durationMs: Math.round(report.durationMs * 1000) / 1000,
    tail: { ...report.tail, position: report.tail.position ?? null, reason: report.tail.reason ?? null },
    zeroFilledSegments: report.zeroFilledSegments.map(({ segmentId, offset, length }) => ({ segmentId, offset, length })),
    preview: report.preview ?? null,
  };
}
