import type { RecordScanner } from '@nori/codec';
import type { LogPosition } from './format.js';
import type { SalvagedRegion, SalvagedSpan } from './salvaged.js';

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
