import { basename, dirname } from 'node:path';
import type { RecordScanner } from '@nori/codec';
import { NodeFileStorage, type StorageFile } from '@nori/storage';
import { MAX_RECORD_SIZE_LIMIT, type SegmentEnd, walkSegment } from '@nori/wal/scan';
import { NoriCliError, storageFailure } from './errors.js';
import { formatPosition, type LogPosition } from './format.js';
import type { SalvagedRegion, SalvagedSpan } from './salvaged.js';
import { compareSealed } from './sealed.js';
import type { SegmentFile, WalDirectory } from './wal-dir.js';

/**
 * Why a region of a segment is unreadable: a codec reason (`crc-mismatch`, `varint-overflow`,
 * `invalid-compression`, `decompression-failed`, `too-large`), `incomplete` (a record cut short
 * by the end of the file), `bad-length` (a length that runs past the end of the file although
 * valid records follow), `missing-segment` (a gap in the segment ids, or a segment `sealed.log` says
 * must exist), or, for segments listed in `@nori/wal`'s `sealed.log`: `sealed-shorter` (cut),
 * `sealed-changed` (its last bytes differ: zeroed, overwritten) or `sealed-longer` (data after its
 * sealed end).
 */
export type DamageReason = string;

/** A damaged region: `length` bytes from `segmentId:offset` that hold no valid record. */
export interface Damage {
  segmentId: number;
  offset: number;
  length: number;
  reason: DamageReason;
  /** `missing-segment` only: how many ids from `segmentId` on are missing (one entry per gap). */
  missingSegments?: number;
}

/** What follows the last valid record of a segment when it is not the end of the file. */
export interface SegmentTrailer {
  /** `zeros`: only zero bytes (preallocated space); `damaged`: anything else, no valid record after. */
  kind: 'zeros' | 'damaged';
  offset: number;
  length: number;
  /** Why the first record there did not decode (`damaged` only). */
  reason: DamageReason | undefined;
}

/** Result of scanning one segment file. */
export interface SegmentScan {
  id: number;
  name: string;
  /** File length in bytes. */
  size: number;
  /** Valid records found (after `from`, when given). */
  records: number;
  tombstones: number;
  /** Records stored compressed (lz4 or zstd). */
  compressed: number;
  /** Offset of the first / last valid record, `undefined` when there is none. */
  firstOffset: number | undefined;
  lastOffset: number | undefined;
  /** Offset just after the last valid record: where a writer would append. */
  dataEnd: number;
  /** Damaged regions followed by valid records (regions known from `salvaged.json` are not damage). */
  corruptions: Damage[];
  /** Known salvaged regions of this segment the scan skipped without reading them. */
  salvaged: SalvagedRegion[];
  /** Zero-filled or damaged bytes at the end of the file, if any. */
  trailer: SegmentTrailer | undefined;
  /** The visitor stopped the scan early (`--limit`). */
  stopped: boolean;
}

/** How the log ends (the end of its last segment). */
export interface LogTail {
  /** `clean`: ends on a record boundary; `zero-filled`: preallocated zeros after the last record;
   *  `torn`: a partly written or damaged record at the very end; `live`: the same while a running
   *  writer holds the lock (the record is being written: not damage); `none`: no segments. */
  kind: 'clean' | 'zero-filled' | 'torn' | 'live' | 'none';
  /** Where the tail starts (end of the last valid record). */
  position: LogPosition | undefined;
  /** Bytes after `position`. */
  length: number;
  reason: DamageReason | undefined;
}

/** Result of scanning a whole WAL directory. */
export interface LogScan {
  segments: SegmentScan[];
  records: number;
  /** Bytes read, i.e. the sum of the scanned segment sizes. */
  bytes: number;
  /** Mid-log damage: damaged regions, damaged ends of earlier segments, missing segments. */
  corruptions: Damage[];
  /** Regions listed in `salvaged.json` that the scan met and skipped (known; not corruption). */
  salvaged: SalvagedRegion[];
  tail: LogTail;
  /**
   * Segments that were listed but deleted (a live writer's GC) before they were read, after
   * earlier ones had been: not damage. GC deletes the oldest segments first, so the ones read
   * before are gone too: the result (segments, records, damage) starts after the last of these.
   */
  gone: number[];
  durationMs: number;
}

/** Receives records while a scan runs. */
export interface RecordVisitor {
  /**
   * Called for each valid record; `scanner` is positioned on it (its views are only valid during
   * the call). `value` is the logical (decompressed) value when the scan checks values
   * (`checkValues`), else `undefined`. Return `false` to stop the scan.
   */
  record(scanner: RecordScanner, position: LogPosition, value: Uint8Array | undefined): boolean | void;
  /** Called for each damaged region as it is found (in log order). */
  damage?(damage: Damage): void;
  /** Called for each known salvaged region as it is skipped (in log order). */
  salvaged?(region: SalvagedRegion): void;
  /** Called for a listed segment a live writer's GC deleted before it was read (see {@link LogScan.gone}). */
  gone?(segmentId: number): void;
  /** Called between chunks so output can be flushed with backpressure. */
  flush?(): Promise<void>;
}

/** Options of {@link scanLog}. */
export interface ScanOptions {
  /** Start here instead of the first segment; must be a record position or a segment end. */
  from?: LogPosition;
  /**
   * Largest record read. Default: the format's hard limit (`MAX_RECORD_SIZE_LIMIT`, 1 GiB), as
   * `@nori/wal` reads whatever `maxRecordSize` it was written with.
   */
  maxRecordSize?: number;
  /** Decompress every compressed value to check it (verify does, inspect does not). */
  checkValues?: boolean;
  /** Read size in bytes (default 4 MiB). */
  chunkSize?: number;
  /**
   * Regions salvage recovery skipped: jumped over without reading a byte of them, reported in
   * `salvaged` instead of as damage. {@link scanLog} defaults to the directory's `salvaged.json`
   * (pass `[]` to see the raw damage).
   */
  salvaged?: readonly SalvagedSpan[];
  /** Progress: bytes scanned so far out of the total. */
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
}

const DEFAULT_CHUNK = 4 * 1024 * 1024;

/** Opens a segment read-only through `@nori/storage` (a missing file is `ERR_NOT_FOUND`). */
async function openSegment(segment: SegmentFile): Promise<StorageFile> {
  try {
    return await new NodeFileStorage(dirname(segment.path)).open(basename(segment.path), { readOnly: true });
  } catch (error) {
    throw storageFailure(error, segment.path);
  }
}

/** A fresh, empty scan result of `segment` starting at `from`. */
function emptyScan(segment: SegmentFile, from: number): SegmentScan {
  return {
    id: segment.id,
    name: segment.name,
    size: segment.size,
    records: 0,
    tombstones: 0,
    compressed: 0,
    firstOffset: undefined,
    lastOffset: undefined,
    dataEnd: from,
    corruptions: [],
    salvaged: [],
    trailer: undefined,
    stopped: false,
  };
}

/** Throws when `from` is past the end of `segment` or inside a region salvage skipped. */
function checkStart(segment: SegmentFile, from: number, regions: readonly SalvagedSpan[], cut: SalvagedSpan | undefined): void {
  const at = formatPosition({ segmentId: segment.id, offset: from });
  if (from > segment.size) {
    throw new NoriCliError('ERR_BAD_POSITION', `position ${at} is past the end of ${segment.name} (${segment.size} bytes)`);
  }
  const inside =
    regions.find((region) => region.from.offset <= from && from < region.to.offset) ?? (cut !== undefined && from > cut.from.offset ? cut : undefined);
  if (inside !== undefined) {
    throw new NoriCliError(
      'ERR_BAD_POSITION',
      `position ${at} is inside a region salvage skipped ` +
        `(${formatPosition(inside.from)} .. ${formatPosition(inside.to)}): use a position printed by "dump" or "inspect"`,
    );
  }
}

/** `from` is not a record boundary: no record was read and the damage starts right there. */
function badStart(segment: SegmentFile, from: number, reason: string): NoriCliError {
  return new NoriCliError(
    'ERR_BAD_POSITION',
    `no record starts at ${formatPosition({ segmentId: segment.id, offset: from })} (${reason}): use a position printed by "dump" or "inspect"`,
  );
}

/**
 * Scans one segment file record by record, without modifying it, with `@nori/wal`'s segment
 * walker: damage is skipped by searching for the next offset where a record with a valid CRC
 * starts; what follows the last valid record is classified as zeros (preallocated space) or
 * damage. Known salvaged regions (`salvaged`) are jumped over without reading them, as
 * `@nori/wal`'s readers do.
 */
export async function scanSegment(
  segment: SegmentFile,
  visitor: RecordVisitor | undefined,
  options: Omit<ScanOptions, 'from' | 'onProgress'> & { from?: number; onRead?: (fileEnd: number) => void } = {},
): Promise<SegmentScan> {
  const from = options.from ?? 0;
  const result = emptyScan(segment, from);
  const { regions, cut } = knownRegions(segment, options.salvaged ?? []);
  checkStart(segment, from, regions, cut);
  const file = await openSegment(segment);
  const byStart = new Map(regions.map((span) => [span.from.offset, span]));
  const at = (offset: number): LogPosition => ({ segmentId: segment.id, offset });
  try {
    const walk = await walkSegment(
      file,
      {
        start: from,
        fileSize: segment.size,
        maxRecordSize: options.maxRecordSize ?? MAX_RECORD_SIZE_LIMIT,
        chunkSize: Math.max(options.chunkSize ?? DEFAULT_CHUNK, 64),
        skipped: regions.map((span) => ({ from: span.from.offset, to: span.to.offset })),
        ...(cut === undefined ? {} : { cutAt: cut.from.offset }),
        verifyCompressed: options.checkValues === true,
        recheckDamage: true,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      {
        record: (records, offset) => countRecord(result, visitor, records, at(offset), options.checkValues === true),
        skipped: (span) => skipRegion(result, visitor, byStart.get(span.from) ?? { from: at(span.from), to: at(span.to) }, segment),
        damage: (damage) => {
          if (damage.offset === from && from > 0 && result.records === 0 && damage.reason !== 'decompression-failed' && damage.reason !== 'too-large') {
            throw badStart(segment, from, damage.reason);
          }
          const reason = damage.reason === 'incomplete' ? 'bad-length' : damage.reason;
          const found: Damage = { segmentId: segment.id, offset: damage.offset, length: damage.length, reason };
          result.corruptions.push(found);
          visitor?.damage?.(found);
        },
        progress: async (offset) => {
          options.onRead?.(offset);
          if (visitor?.flush) await visitor.flush();
        },
      },
    );
    finishScan(result, visitor, walk.end, { segment, cut, from });
    result.size = walk.fileSize;
    options.onRead?.(walk.fileSize);
    if (visitor?.flush) await visitor.flush();
    return result;
  } finally {
    await file.close();
  }
}

/** Counts one valid record and hands it to the visitor; false stops the scan. */
function countRecord(result: SegmentScan, visitor: RecordVisitor | undefined, records: RecordScanner, position: LogPosition, checkValues: boolean): boolean {
  const value = checkValues ? records.value() : undefined;
  result.records += 1;
  if (records.tombstone) result.tombstones += 1;
  if (records.compression !== 'none') result.compressed += 1;
  result.firstOffset ??= position.offset;
  result.lastOffset = position.offset;
  result.dataEnd = position.offset + records.recordSize;
  if (visitor?.record(records, position, value) === false) {
    result.stopped = true;
    return false;
  }
  return true;
}

/** Records a known salvaged region the walk jumped over. */
function skipRegion(result: SegmentScan, visitor: RecordVisitor | undefined, span: SalvagedSpan, segment: SegmentFile): void {
  const region: SalvagedRegion = { from: span.from, to: span.to, length: regionEnd(span, segment) - span.from.offset };
  result.salvaged.push(region);
  visitor?.salvaged?.(region);
}

/** Fills in the trailer and data end from how the walk ended. */
function finishScan(
  result: SegmentScan,
  visitor: RecordVisitor | undefined,
  end: SegmentEnd,
  { segment, cut, from }: { segment: SegmentFile; cut: SalvagedSpan | undefined; from: number },
): void {
  if (end.kind === 'cut' && cut !== undefined) skipRegion(result, visitor, cut, segment);
  if (end.kind === 'zero-tail') {
    result.trailer = { kind: 'zeros', offset: end.offset, length: end.length, reason: undefined };
  } else if (end.kind === 'torn') {
    if (end.offset === from && from > 0 && result.records === 0) throw badStart(segment, from, end.reason);
    result.trailer = { kind: 'damaged', offset: end.offset, length: end.length, reason: end.reason };
  }
  if (end.kind !== 'stopped') result.dataEnd = end.offset;
}
/**
 * The known regions that apply to `segment`, as `@nori/wal`'s recovery applies them: regions
 * inside it that still fit the file (sorted), and the earliest region that cuts its end off.
 */
function knownRegions(segment: SegmentFile, salvaged: readonly SalvagedSpan[]): { regions: SalvagedSpan[]; cut: SalvagedSpan | undefined } {
  let cut: SalvagedSpan | undefined;
  for (const span of salvaged) {
    if (span.from.segmentId !== segment.id || span.to.segmentId <= segment.id || span.from.offset > segment.size) continue;
    if (cut === undefined || span.from.offset < cut.from.offset) cut = span;
  }
  const limit = cut?.from.offset ?? segment.size;
  const regions = salvaged
    .filter((span) => span.from.segmentId === segment.id && span.to.segmentId === segment.id && span.to.offset <= limit)
    .sort((a, b) => a.from.offset - b.from.offset || a.to.offset - b.to.offset);
  return { regions, cut };
}

/** Where a known region ends inside `segment` (the end of the file for a region across segments). */
function regionEnd(span: SalvagedSpan, segment: SegmentFile): number {
  return span.to.segmentId === segment.id ? span.to.offset : segment.size;
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
  let segments = directory.segments;
  const from = options.from;
  if (from !== undefined) {
    const index = segments.findIndex((segment) => segment.id === from.segmentId);
    if (index < 0) {
      const range = segments.length === 0 ? 'there are none' : `segments are ${segments[0]?.id}..${segments.at(-1)?.id}`;
      throw new NoriCliError('ERR_BAD_POSITION', `segment ${from.segmentId} does not exist (${range})`);
    }
    segments = segments.slice(index);
  }
  const total = segments.reduce((sum, segment) => sum + segment.size, 0);
  let done = 0;
  const scans: SegmentScan[] = [];
  const corruptions: Damage[] = [];
  const salvaged: SalvagedRegion[] = [];
  const known = options.salvaged ?? directory.salvaged;
  const lastId = directory.segments.at(-1)?.id;
  const sealed = new Map(directory.sealed.map((entry) => [entry.id, entry]));
  const gone: number[] = [];
  /** Bytes of listed segments that are no longer part of the result. */
  let dropped = 0;
  let readAny = false;
  let previousId: number | undefined;
  let records = 0;
  for (const segment of segments) {
    // A gap is damage unless salvage skipped it: the previous segment's end was cut up to this one.
    const knownGap = scans.at(-1)?.salvaged.some((region) => region.to.segmentId === segment.id) === true;
    if (previousId !== undefined && segment.id > previousId + 1 && !knownGap) {
      // One entry per gap, as @nori/wal's recovery reports it (a stray 1000000.wal is one gap).
      const damage: Damage = {
        segmentId: previousId + 1,
        offset: 0,
        length: 0,
        reason: 'missing-segment',
        missingSegments: segment.id - previousId - 1,
      };
      corruptions.push(damage);
      visitor?.damage?.(damage);
    }
    const segmentStart = done;
    let scan: SegmentScan;
    try {
      scan = await scanSegment(segment, visitor, {
        ...(options.maxRecordSize === undefined ? {} : { maxRecordSize: options.maxRecordSize }),
        ...(options.checkValues === undefined ? {} : { checkValues: options.checkValues }),
        ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        salvaged: known,
        ...(from !== undefined && segment.id === from.segmentId ? { from: from.offset } : {}),
        onRead: (fileEnd) => options.onProgress?.(segmentStart + fileEnd, total),
      });
    } catch (error) {
      // Listed, then deleted before it was opened: a live writer's GC, not damage.
      if (!(error instanceof NoriCliError && error.code === 'ERR_NOT_FOUND') || from?.segmentId === segment.id) throw error;
      if (readAny) {
        gone.push(segment.id);
        visitor?.gone?.(segment.id);
      }
      // What was read before it is gone too (oldest first): the log now starts after it.
      scans.length = 0;
      corruptions.length = 0;
      salvaged.length = 0;
      records = 0;
      previousId = undefined;
      done += segment.size;
      dropped = done;
      continue;
    }
    previousId = segment.id;
    readAny = true;
    done += segment.size;
    options.onProgress?.(done, total);
    scans.push(scan);
    records += scan.records;
    corruptions.push(...scan.corruptions);
    salvaged.push(...scan.salvaged);
    const entry = sealed.get(segment.id);
    const difference = entry === undefined ? undefined : await compareSealed(segment, entry);
    if (difference !== undefined) {
      const damage: Damage = { segmentId: segment.id, ...difference };
      corruptions.push(damage);
      visitor?.damage?.(damage);
    }
    if (scan.trailer?.kind === 'damaged' && segment.id !== lastId) {
      const damage: Damage = {
        segmentId: segment.id,
        offset: scan.trailer.offset,
        length: scan.trailer.length,
        reason: scan.trailer.reason ?? 'incomplete',
      };
      corruptions.push(damage);
      visitor?.damage?.(damage);
    }
    if (scan.stopped) break;
  }
  if (scans.at(-1)?.stopped !== true) {
    for (const damage of missingAtEnd(directory)) {
      corruptions.push(damage);
      visitor?.damage?.(damage);
    }
  }
  corruptions.sort((a, b) => a.segmentId - b.segmentId || a.offset - b.offset);
  return {
    segments: scans,
    records,
    bytes: total - dropped,
    corruptions,
    salvaged,
    tail: logTail(scans.at(-1), lastId, { live: directory.lock !== undefined && directory.lock.stale !== true }),
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
