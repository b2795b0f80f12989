import { open, type FileHandle } from 'node:fs/promises';
import { MIN_RECORD_SIZE, RecordScanner } from '@nori/codec';
import { MAX_RECORD_SIZE_LIMIT } from '@nori/wal';
import { NoriCliError, fsError } from './errors.js';
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
const ZERO_BLOCK = new Uint8Array(64 * 1024);

/** A sliding read window over a file opened read-only. */
class FileWindow {
  buf: Uint8Array;
  base = 0;
  len = 0;

  constructor(
    private readonly file: FileHandle,
    /** The file's length: as listed, or less once the file was seen to shrink. */
    public size: number,
    capacity: number,
    private readonly onRead: (fileEnd: number) => void,
  ) {
    this.buf = new Uint8Array(capacity);
  }

  /** Forgets the buffered bytes: the next `ensure` reads them again. */
  drop(): void {
    this.len = 0;
  }

  get end(): number {
    return this.base + this.len;
  }

  /** Makes `[offset, offset + want)` (clamped to the file) resident, filling the window. */
  async ensure(offset: number, want: number): Promise<void> {
    const target = Math.min(this.size, offset + want);
    if (offset >= this.base && target <= this.end) return;
    if (offset >= this.base && offset < this.end) {
      this.buf.copyWithin(0, offset - this.base, this.len);
      this.len = this.end - offset;
    } else {
      this.len = 0;
    }
    this.base = offset;
    if (target - offset > this.buf.length) {
      const grown = new Uint8Array(target - offset);
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    const fill = Math.min(this.size, this.base + this.buf.length);
    while (this.end < fill) {
      const { bytesRead } = await this.file.read(this.buf, this.len, fill - this.end, this.end);
      if (bytesRead === 0) break;
      this.len += bytesRead;
    }
    this.onRead(this.end);
    if (this.end < target) {
      // A live writer trims the preallocated tail of a segment at rotation and close: the file
      // now ends where its data ends. Only a read that stops short of the new length is an error.
      const now = (await this.file.stat()).size;
      if (now > this.end) throw new NoriCliError('ERR_IO', `short read at offset ${this.end} of a ${now}-byte file`);
      this.size = now;
    }
  }
}

/**
 * Scans one segment file record by record, without modifying it. Damage is skipped by searching
 * for the next offset where a record with a valid CRC starts; what follows the last valid record
 * is classified as zeros (preallocated space) or damage. Known salvaged regions (`salvaged`) are
 * jumped over without reading them, as `@nori/wal`'s readers do.
 */
export async function scanSegment(
  segment: SegmentFile,
  visitor: RecordVisitor | undefined,
  options: Omit<ScanOptions, 'from' | 'onProgress'> & { from?: number; onRead?: (fileEnd: number) => void } = {},
): Promise<SegmentScan> {
  const from = options.from ?? 0;
  const result: SegmentScan = {
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
  if (from > segment.size) {
    throw new NoriCliError(
      'ERR_BAD_POSITION',
      `position ${formatPosition({ segmentId: segment.id, offset: from })} is past the end of ${segment.name} (${segment.size} bytes)`,
    );
  }
  const { regions, cut } = knownRegions(segment, options.salvaged ?? []);
  const inside =
    regions.find((region) => region.from.offset <= from && from < region.to.offset) ??
    (cut !== undefined && from > cut.from.offset ? cut : undefined);
  if (inside !== undefined) {
    throw new NoriCliError(
      'ERR_BAD_POSITION',
      `position ${formatPosition({ segmentId: segment.id, offset: from })} is inside a region salvage skipped ` +
        `(${formatPosition(inside.from)} .. ${formatPosition(inside.to)}): use a position printed by "dump" or "inspect"`,
    );
  }
  let file: FileHandle;
  try {
    file = await open(segment.path, 'r');
  } catch (error) {
    throw fsError(error, segment.path);
  }
  try {
    const maxRecordSize = options.maxRecordSize ?? MAX_RECORD_SIZE_LIMIT;
    const chunk = Math.max(options.chunkSize ?? DEFAULT_CHUNK, 64);
    const window = new FileWindow(file, segment.size, Math.min(chunk, Math.max(segment.size, 64)), options.onRead ?? (() => {}));
    const scanner = new RecordScanner({ maxRecordSize, verifyCompressed: options.checkValues === true });
    const report = (damage: Damage): void => {
      result.corruptions.push(damage);
      visitor?.damage?.(damage);
    };
    const skip = (span: SalvagedSpan): void => {
      const region: SalvagedRegion = { from: span.from, to: span.to, length: regionEnd(span, segment) - span.from.offset };
      result.salvaged.push(region);
      visitor?.salvaged?.(region);
    };
    let pos = from;
    let want = chunk;
    let next = 0;
    // Damage read a second time, and where the next record after it starts.
    let rereadAt = -1;
    let rereadResume: number | undefined;
    for (;;) {
      // Known regions at the current position are jumped over, never read.
      let region = regions[next];
      while (region !== undefined && region.from.offset <= pos) {
        if (region.to.offset > pos) {
          skip(region);
          pos = region.to.offset;
        }
        next += 1;
        region = regions[next];
      }
      if (cut !== undefined && pos >= cut.from.offset) {
        skip(cut);
        break;
      }
      // Scan up to the next known region (or the cut, or the end of the file).
      const end = Math.min(region?.from.offset ?? cut?.from.offset ?? window.size, window.size);
      if (pos >= end) break;
      options.signal?.throwIfAborted();
      await window.ensure(pos, want);
      want = chunk;
      scanner.reset(window.buf, pos - window.base, Math.min(window.len, end - window.base));
      let status = scanner.next();
      for (; status === 'ok'; status = scanner.next()) {
        const offset = window.base + scanner.recordStart;
        let value: Uint8Array | undefined;
        if (options.checkValues === true) {
          value = decodedValue(scanner);
          if (value === undefined) {
            report({ segmentId: segment.id, offset, length: scanner.recordSize, reason: 'decompression-failed' });
            continue;
          }
        }
        result.records += 1;
        if (scanner.tombstone) result.tombstones += 1;
        if (scanner.compression !== 'none') result.compressed += 1;
        result.firstOffset ??= offset;
        result.lastOffset = offset;
        if (visitor?.record(scanner, { segmentId: segment.id, offset }, value) === false) {
          result.stopped = true;
          break;
        }
      }
      pos = window.base + scanner.cursor;
      result.dataEnd = pos;
      if (visitor?.flush) await visitor.flush();
      if (result.stopped) break;
      if (status === 'end' || status === 'ok') continue;
      if (status === 'incomplete' && !scanner.tooLarge && pos + scanner.needed <= end && pos + scanner.needed > window.end) {
        want = Math.max(scanner.needed, chunk);
        continue;
      }
      const reason: DamageReason =
        status === 'corrupt' ? (scanner.corruptReason ?? 'corrupt') : scanner.tooLarge ? 'too-large' : 'incomplete';
      if (
        status === 'corrupt' &&
        (reason === 'decompression-failed' || reason === 'too-large') &&
        scanner.recordSize <= maxRecordSize &&
        pos + scanner.recordSize <= end
      ) {
        // A whole record with a valid CRC whose compressed value is bad: exactly this record is
        // lost (never a torn write), and the next record starts right after it.
        report({ segmentId: segment.id, offset: pos, length: scanner.recordSize, reason });
        pos += scanner.recordSize;
        result.dataEnd = pos;
        continue;
      }
      if (end === window.size && (await zerosToEnd(window, pos))) {
        result.trailer = { kind: 'zeros', offset: pos, length: window.size - pos, reason: undefined };
        break;
      }
      if (pos === from && from > 0 && result.records === 0) {
        throw new NoriCliError(
          'ERR_BAD_POSITION',
          `no record starts at ${formatPosition({ segmentId: segment.id, offset: from })} (${reason}): use a position printed by "dump" or "inspect"`,
        );
      }
      const resume = rereadAt === pos ? rereadResume : await findNextRecord(window, scanner, pos + 1, end, options.signal);
      if (resume !== undefined && rereadAt !== pos) {
        // A read can see half of a record a live writer is writing: read it again before calling
        // it damage. Writes land in order, so with a later record seen, this one is whole by now.
        rereadAt = pos;
        rereadResume = resume;
        window.drop();
        continue;
      }
      if (resume === undefined && end === window.size) {
        result.trailer = { kind: 'damaged', offset: pos, length: window.size - pos, reason };
        break;
      }
      // New damage: followed by a valid record, or running into a known region.
      report({
        segmentId: segment.id,
        offset: pos,
        length: (resume ?? end) - pos,
        reason: reason === 'incomplete' ? 'bad-length' : reason,
      });
      pos = resume ?? end;
    }
    result.size = window.size;
    return result;
  } finally {
    await file.close();
  }
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

/** The logical value (decompressed), or `undefined` when it does not decompress. */
function decodedValue(scanner: RecordScanner): Uint8Array | undefined {
  try {
    return scanner.value();
  } catch {
    return undefined;
  }
}

/** True when every byte from `offset` to the end of the file is zero. */
async function zerosToEnd(window: FileWindow, offset: number): Promise<boolean> {
  let pos = offset;
  while (pos < window.size) {
    await window.ensure(pos, Math.min(window.size - pos, window.buf.length));
    const start = pos - window.base;
    const end = window.len;
    for (let at = start; at < end; at += ZERO_BLOCK.length) {
      const block = window.buf.subarray(at, Math.min(end, at + ZERO_BLOCK.length));
      if (Buffer.compare(block, ZERO_BLOCK.subarray(0, block.length)) !== 0) return false;
    }
    pos = window.end;
  }
  return true;
}

/**
 * Right after damage, records up to this size are recognised (as in `@nori/wal`'s resync); a
 * larger record that directly follows damage is counted as part of the damaged region.
 */
export const RESYNC_LOOKAHEAD = 2 * 1024 * 1024;

/**
 * First offset >= `start` where a complete record with a valid CRC begins and ends by `size`. Every
 * candidate has {@link RESYNC_LOOKAHEAD} bytes (or the rest of the file) resident; runs of seven
 * or more zero bytes are jumped over (such a run can never start a valid record).
 */
async function findNextRecord(
  window: FileWindow,
  scanner: RecordScanner,
  start: number,
  size: number,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  let candidate = start;
  while (candidate + MIN_RECORD_SIZE <= size) {
    signal?.throwIfAborted();
    await window.ensure(candidate, Math.min(2 * RESYNC_LOOKAHEAD, size - candidate));
    const buf = window.buf;
    const limit = window.end >= size ? size - MIN_RECORD_SIZE : window.end - RESYNC_LOOKAHEAD;
    while (candidate <= limit) {
      let at = candidate - window.base;
      if (buf[at] === 0) {
        let nonZero = at;
        while (nonZero < window.len && buf[nonZero] === 0) nonZero += 1;
        if (nonZero - at >= MIN_RECORD_SIZE) {
          candidate = window.base + nonZero - (MIN_RECORD_SIZE - 1);
          if (candidate > limit) break;
          at = candidate - window.base;
        }
      }
      scanner.reset(buf, at, Math.min(window.len, size - window.base));
      if (scanner.next() === 'ok') return candidate;
      candidate += 1;
    }
  }
  return undefined;
}

/**
 * Scans every segment of a WAL directory in id order (from `options.from` when given), calling
 * `visitor` for each valid record, and classifies what it finds: mid-log corruption versus a torn
 * or zero-filled tail of the last segment. Regions listed in the directory's `salvaged.json` (or
 * `options.salvaged`) are skipped unread and reported in `salvaged`, not as corruption; a gap in
 * the segment ids that such a region spans is not a missing segment. Read-only: files are opened
 * with `O_RDONLY`.
 */
export async function scanLog(
  directory: WalDirectory,
  options: ScanOptions = {},
  visitor?: RecordVisitor,
): Promise<LogScan> {
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
