import { NoriCliError } from './errors.js';
import type { LogPosition } from './format.js';
import type { SalvagedRegion, SalvagedSpan } from './salvaged.js';
import type { Damage, LogScan, LogTail, RecordVisitor, ScanOptions, SegmentScan } from './scan-types.js';
import { compareSealed } from './sealed.js';
import { scanSegment } from './segment-scan.js';
import type { SealedEntry } from '@nori/wal/scan';
import type { SegmentFile, WalDirectory } from './wal-dir.js';

export type { Damage, DamageReason, LogScan, LogTail, RecordVisitor, ScanOptions, SegmentScan, SegmentTrailer } from './scan-types.js';
export { scanSegment } from './segment-scan.js';

/** The segments a scan from `from` reads (every one without it). */
function segmentsFrom(directory: WalDirectory, from: LogPosition | undefined): SegmentFile[] {
  const segments = directory.segments;
  if (from === undefined) return segments;
  const index = segments.findIndex((segment) => segment.id === from.segmentId);
  if (index < 0) {
    const range = segments.length === 0 ? 'there are none' : `segments are ${segments[0]?.id}..${segments.at(-1)?.id}`;
    throw new NoriCliError('ERR_BAD_POSITION', `segment ${from.segmentId} does not exist (${range})`);
  }
  return segments.slice(index);
}

/** What a log scan has found so far; forgotten when a live writer's GC removes what was read. */
class LogFindings {
  scans: SegmentScan[] = [];
  corruptions: Damage[] = [];
  salvaged: SalvagedRegion[] = [];
  records = 0;
  /** A segment was read (a later one found gone is then reported as gone). */
  readAny = false;
  private previousId: number | undefined;

  constructor(private readonly visitor: RecordVisitor | undefined) {}

  damage(damage: Damage): void {
    this.corruptions.push(damage);
    this.visitor?.damage?.(damage);
  }

  /** A gap in the segment ids before `segment` is damage unless salvage cut the previous segment's end up to it. */
  checkGap(segment: SegmentFile): void {
    const previous = this.previousId;
    const knownGap = this.scans.at(-1)?.salvaged.some((region) => region.to.segmentId === segment.id) === true;
    if (previous === undefined || segment.id <= previous + 1 || knownGap) return;
    // One entry per gap, as @nori/wal's recovery reports it (a stray 1000000.wal is one gap).
    this.damage({ segmentId: previous + 1, offset: 0, length: 0, reason: 'missing-segment', missingSegments: segment.id - previous - 1 });
  }

  /** Adds a scanned segment, with what `sealed.log` says about it and a damaged end of a segment that is not the last. */
  async add(segment: SegmentFile, scan: SegmentScan, context: { sealed: SealedEntry | undefined; last: boolean }): Promise<void> {
    this.previousId = segment.id;
    this.readAny = true;
    this.scans.push(scan);
    this.records += scan.records;
    this.corruptions.push(...scan.corruptions);
    this.salvaged.push(...scan.salvaged);
    const difference = context.sealed === undefined ? undefined : await compareSealed(segment, context.sealed);
    if (difference !== undefined) this.damage({ segmentId: segment.id, ...difference });
    const trailer = scan.trailer;
    if (trailer?.kind === 'damaged' && !context.last) {
      this.damage({ segmentId: segment.id, offset: trailer.offset, length: trailer.length, reason: trailer.reason ?? 'incomplete' });
    }
  }

  /** What was read before a segment that is gone is gone too (oldest first): the log now starts after it. */
  forget(): void {
    this.scans = [];
    this.corruptions = [];
    this.salvaged = [];
    this.records = 0;
    this.previousId = undefined;
  }
}

/** Listed, then deleted before it was opened: a live writer's GC, not damage (unless the scan was to start there). */
function wasCollected(error: unknown, segment: SegmentFile, from: LogPosition | undefined): boolean {
  return error instanceof NoriCliError && error.code === 'ERR_NOT_FOUND' && from?.segmentId !== segment.id;
}

/** The per-segment options of {@link scanSegment} for a log scan. */
function segmentOptions(options: ScanOptions, segment: SegmentFile, extra: { salvaged: readonly SalvagedSpan[]; onRead: (fileEnd: number) => void }) {
  const from = options.from;
  return {
    ...(options.maxRecordSize === undefined ? {} : { maxRecordSize: options.maxRecordSize }),
    ...(options.checkValues === undefined ? {} : { checkValues: options.checkValues }),
    ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(from !== undefined && segment.id === from.segmentId ? { from: from.offset } : {}),
    ...extra,
  };
}

/**
 * Scans every segment of a WAL directory in id order (from `options.from` when given), calling
 * `visitor` for each valid record, and classifies what it finds: mid-log corruption versus a torn
 * or zero-filled tail of the last segment. Regions listed in the directory's `salvaged.json` (or
 * `options.salvaged`) are skipped unread and reported in `salvaged`, not as corruption; a gap in
 * the segment ids that such a region spans is not a missing segment. Read-only: files are opened
 * with `O_RDONLY`.
 */
export async function scanLog(directory: WalDirectory, options: ScanOptions = {}, visitor?: RecordVisitor): Promise<LogScan> {
  const started = performance.now();
  const segments = segmentsFrom(directory, options.from);
  const total = segments.reduce((sum, segment) => sum + segment.size, 0);
  const salvaged = options.salvaged ?? directory.salvaged;
  const lastId = directory.segments.at(-1)?.id;
  const sealed = new Map(directory.sealed.map((entry) => [entry.id, entry]));
  const found = new LogFindings(visitor);
  const gone: number[] = [];
  let done = 0;
  /** Bytes of listed segments that are no longer part of the result. */
  let dropped = 0;
  for (const segment of segments) {
    found.checkGap(segment);
    const segmentStart = done;
    const onRead = (fileEnd: number): void => options.onProgress?.(segmentStart + fileEnd, total);
    let scan: SegmentScan;
    try {
      scan = await scanSegment(segment, visitor, segmentOptions(options, segment, { salvaged, onRead }));
    } catch (error) {
      if (!wasCollected(error, segment, options.from)) throw error;
      if (found.readAny) {
        gone.push(segment.id);
        visitor?.gone?.(segment.id);
      }
      found.forget();
      done += segment.size;
      dropped = done;
      continue;
    }
    done += segment.size;
    options.onProgress?.(done, total);
    await found.add(segment, scan, { sealed: sealed.get(segment.id), last: segment.id === lastId });
    if (scan.stopped) break;
  }
  if (found.scans.at(-1)?.stopped !== true) for (const damage of missingAtEnd(directory)) found.damage(damage);
  found.corruptions.sort((a, b) => a.segmentId - b.segmentId || a.offset - b.offset);
  return {
    segments: found.scans,
    records: found.records,
    bytes: total - dropped,
    corruptions: found.corruptions,
    salvaged: found.salvaged,
    tail: logTail(found.scans.at(-1), lastId, { live: directory.lock !== undefined && directory.lock.stale !== true }),
    gone,
    durationMs: performance.now() - started,
  };
}

/**
 * The segment after the last one `sealed.log` lists was created before that entry was written: if
 * it (or a later one) is gone, segments were deleted at the end of the log. Entries below the
 * first segment are not a hole (GC removes the front).
 */
function missingAtEnd(directory: WalDirectory): Damage[] {
  const lastSealed = directory.sealed.at(-1);
  const first = directory.segments[0]?.id;
  const last = directory.segments.at(-1)?.id;
  if (lastSealed === undefined || (first !== undefined && lastSealed.id < first) || (last !== undefined && last > lastSealed.id)) return [];
  const from = (last ?? -1) + 1;
  const count = lastSealed.id + 2 - from;
  if (count <= 0) return [];
  return [{ segmentId: from, offset: 0, length: 0, reason: 'missing-segment', ...(count > 1 ? { missingSegments: count } : {}) }];
}

/** How the log ends; with `live`, a writer is running and a torn end is the record it writes. */
function logTail(last: SegmentScan | undefined, lastId: number | undefined, { live }: { live: boolean }): LogTail {
  if (last === undefined || last.id !== lastId) {
    return { kind: last === undefined ? 'none' : 'clean', position: undefined, length: 0, reason: undefined };
  }
  const position = { segmentId: last.id, offset: last.dataEnd };
  if (last.stopped || last.trailer === undefined) return { kind: 'clean', position, length: 0, reason: undefined };
  return {
    kind: last.trailer.kind === 'zeros' ? 'zero-filled' : live ? 'live' : 'torn',
    position,
    length: last.trailer.length,
    reason: last.trailer.reason,
  };
}
