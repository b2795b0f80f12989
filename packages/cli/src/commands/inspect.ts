import { formatCount, formatPosition, formatSize, formatTable, type LogPosition } from '../format.js';
import { scanLog, type Damage, type LogTail, type SegmentScan } from '../scan.js';
import { describeSalvaged, SALVAGED_FILE, type SalvagedRegion } from '../salvaged.js';
import { readWalDirectory, type LockHolder, type SideFile } from '../wal-dir.js';

/** Options of {@link inspectWal}. */
export interface InspectOptions {
  /**
   * @deprecated No effect: records are read up to the format's limit (1 GiB) whatever
   * `maxRecordSize` they were written with, as `@nori/wal` reads them.
   */
  maxRecordSize?: number;
  /** Progress: bytes scanned out of the total. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** What `nori-wal inspect` reports about a WAL directory. */
export interface InspectReport {
  dir: string;
  segments: SegmentScan[];
  totals: { segments: number; bytes: number; records: number; tombstones: number; compressed: number };
  /** Position of the first and last valid record. */
  first: LogPosition | undefined;
  last: LogPosition | undefined;
  /** How the log ends; `tail.position` is where the next append would go. */
  tail: LogTail;
  /** Mid-log damage found while counting (run `verify` for a full check of compressed values). */
  corruptions: Damage[];
  /** Regions listed in `salvaged.json` that were skipped unread (known; not corruption). */
  salvaged: SalvagedRegion[];
  lock: LockHolder | undefined;
  sideFiles: SideFile[];
  /** Side files named like segments that are not segment names: never read (see `WalDirectory.ignored`). */
  ignored: SideFile[];
  quarantine: SideFile[];
}

/**
 * Describes a WAL directory: segments, sizes, record counts, first/last positions, zero-filled
 * tails, lock holder, quarantine. Takes no lock and never modifies a file.
 */
export async function inspectWal(dir: string, options: InspectOptions = {}): Promise<InspectReport> {
  const directory = await readWalDirectory(dir);
  const scan = await scanLog(directory, {
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const withRecords = scan.segments.filter((segment) => segment.firstOffset !== undefined);
  const firstSegment = withRecords[0];
  const lastSegment = withRecords.at(-1);
  return {
    dir: directory.dir,
    segments: scan.segments,
    totals: {
      segments: scan.segments.length,
      bytes: scan.bytes,
      records: scan.records,
      tombstones: sum(scan.segments, (segment) => segment.tombstones),
      compressed: sum(scan.segments, (segment) => segment.compressed),
    },
    first: firstSegment?.firstOffset === undefined ? undefined : { segmentId: firstSegment.id, offset: firstSegment.firstOffset },
    last: lastSegment?.lastOffset === undefined ? undefined : { segmentId: lastSegment.id, offset: lastSegment.lastOffset },
    tail: scan.tail,
    corruptions: scan.corruptions,
    salvaged: scan.salvaged,
    lock: directory.lock,
    sideFiles: directory.sideFiles,
    ignored: directory.ignored,
    quarantine: directory.quarantine,
  };
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}

/** One-word state of a segment for the table. */
export function segmentState(segment: SegmentScan, isLast: boolean, corruptions: readonly Damage[]): string {
  const damaged = corruptions.filter((damage) => damage.segmentId === segment.id && damage.reason !== 'missing-segment');
  const parts: string[] = [];
  if (damaged.length > 0) parts.push(`CORRUPT x${damaged.length}`);
  if (segment.salvaged.length > 0) parts.push(`salvaged x${segment.salvaged.length}`);
  const trailer = segment.trailer;
  if (trailer?.kind === 'zeros') parts.push(`zero-filled tail ${formatSize(trailer.length)}`);
  else if (trailer?.kind === 'damaged') {
    parts.push(`${isLast ? 'torn tail' : 'damaged end'} ${formatSize(trailer.length)} (${trailer.reason ?? 'incomplete'})`);
  }
  if (parts.length === 0) parts.push(segment.size === 0 ? 'empty' : 'ok');
  return parts.join(', ');
}

/** Describes the lock holder in one line. */
export function describeLock(lock: LockHolder | undefined): string {
  if (lock === undefined) return 'not held';
  const stale = lock.stale === true ? ' (stale: that process is gone)' : lock.stale === false ? ' (process running)' : '';
  return `held by pid ${lock.pid} on ${lock.hostname} since ${lock.acquiredAt}${stale}`;
}

/** Describes the log tail in one line. */
export function describeTail(tail: LogTail): string {
  const at = tail.position === undefined ? '' : ` at ${formatPosition(tail.position)}`;
  switch (tail.kind) {
    case 'none':
      return 'no segments';
    case 'clean':
      return `clean${at}`;
    case 'zero-filled':
      return `zero-filled${at}: ${formatCount(tail.length)} bytes of preallocated zeros (normal after a crash; not damage)`;
    case 'torn':
      return `torn${at}: ${formatCount(tail.length)} bytes (${tail.reason ?? 'incomplete'}); a normal open truncates them`;
    case 'live':
      return `live${at}: a running writer holds the lock and is writing there (${formatCount(tail.length)} bytes after it are not complete yet; not damage)`;
  }
}

/** `segment 7 is missing` or, for a longer gap, `segments 7..999999 are missing`. */
export function describeMissing(damage: Damage): string {
  const count = damage.missingSegments ?? 1;
  if (count <= 1) return `segment ${damage.segmentId} is missing`;
  return `segments ${damage.segmentId}..${damage.segmentId + count - 1} are missing`;
}

/** Describes a damaged region in one line. */
export function describeDamage(damage: Damage): string {
  if (damage.reason === 'missing-segment') return `${describeMissing(damage)} (gap in segment ids)`;
  if (damage.reason.startsWith('sealed-')) {
    const what = {
      'sealed-shorter': 'shorter than when it was sealed',
      'sealed-changed': 'last bytes differ from when it was sealed',
      'sealed-longer': 'data after its sealed end',
    };
    return `${formatPosition(damage)}: ${what[damage.reason as keyof typeof what] ?? damage.reason} (sealed.log), ${formatCount(damage.length)} bytes`;
  }
  return `${formatPosition(damage)}: ${damage.reason}, ${formatCount(damage.length)} bytes unreadable`;
}

const LISTED_FILES = 4;

function describeFiles(files: readonly SideFile[], none: string): string {
  if (files.length === 0) return none;
  const total = files.reduce((sum, file) => sum + file.size, 0);
  const shown = files.slice(0, LISTED_FILES).map((file) => file.name);
  const more = files.length > LISTED_FILES ? `, ... (+${files.length - LISTED_FILES} more)` : '';
  return `${files.length} file(s), ${formatCount(total)} bytes: ${shown.join(', ')}${more}`;
}

/** Renders an {@link InspectReport} as text (what `nori-wal inspect` prints). */
export function formatInspectReport(report: InspectReport): string {
  const { totals } = report;
  const firstName = report.segments[0]?.name;
  const lastName = report.segments.at(-1)?.name;
  const lastId = report.segments.at(-1)?.id;
  const lines = [
    `directory   ${report.dir}`,
    `segments    ${totals.segments}${firstName === undefined ? '' : firstName === lastName ? ` (${firstName})` : ` (${firstName} .. ${lastName ?? firstName})`}, ${formatCount(totals.bytes)} bytes (${formatSize(totals.bytes)})`,
    `records     ${formatCount(totals.records)} (${formatCount(totals.tombstones)} tombstones, ${formatCount(totals.compressed)} compressed)`,
    `first       ${report.first === undefined ? '-' : formatPosition(report.first)}`,
    `last        ${report.last === undefined ? '-' : formatPosition(report.last)}`,
    `tail        ${describeTail(report.tail)}`,
    `lock        ${describeLock(report.lock)}`,
    `quarantine  ${describeFiles(report.quarantine, 'empty')}`,
    `other files ${describeFiles(report.sideFiles, 'none')}`,
  ];
  if (report.ignored.length > 0) {
    lines.push(`ignored     ${describeFiles(report.ignored, 'none')} (not segment names: never read)`);
  }
  if (report.salvaged.length > 0) {
    lines.push(`salvaged    ${report.salvaged.length} known region(s) skipped (${SALVAGED_FILE}; not corruption)`);
    for (const region of report.salvaged) lines.push(`            ${describeSalvaged(region)}`);
  }
  if (report.corruptions.length > 0) {
    lines.push(`corruption  ${report.corruptions.length} damaged region(s); run "nori-wal verify" for details`);
    for (const damage of report.corruptions) lines.push(`            ${describeDamage(damage)}`);
  }
  if (report.segments.length > 0) {
    const rows = report.segments.map((segment) => [
      segment.name,
      formatCount(segment.size),
      formatCount(segment.records),
      segment.firstOffset === undefined ? '-' : formatCount(segment.firstOffset),
      segment.lastOffset === undefined ? '-' : formatCount(segment.lastOffset),
      formatCount(segment.dataEnd),
      segmentState(segment, segment.id === lastId, report.corruptions),
    ]);
    lines.push('', formatTable(['SEGMENT', 'SIZE', 'RECORDS', 'FIRST', 'LAST', 'DATA END', 'STATE'], rows));
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON document `nori-wal inspect --json` prints. */
export function inspectReportToJson(report: InspectReport): unknown {
  return {
    dir: report.dir,
    totals: report.totals,
    first: report.first ?? null,
    last: report.last ?? null,
    tail: { ...report.tail, position: report.tail.position ?? null, reason: report.tail.reason ?? null },
    corruptions: report.corruptions,
    salvaged: report.salvaged,
    lock: report.lock ?? null,
    quarantine: report.quarantine,
    sideFiles: report.sideFiles,
    ignored: report.ignored,
    segments: report.segments.map((segment) => ({
      id: segment.id,
      name: segment.name,
      size: segment.size,
      records: segment.records,
      tombstones: segment.tombstones,
      compressed: segment.compressed,
      firstOffset: segment.firstOffset ?? null,
      lastOffset: segment.lastOffset ?? null,
      dataEnd: segment.dataEnd,
      salvaged: segment.salvaged,
      trailer: segment.trailer === undefined ? null : { ...segment.trailer, reason: segment.trailer.reason ?? null },
    })),
  };
}
