import { RecordScanner } from '@nori/codec';
import type { Storage, StorageFile } from '@nori/storage';
import { WalError, errorCode } from './errors.js';
import type { SegmentHandles } from './segment-handles.js';
import type { SkippedRegion } from './recovery.js';
import { regionFrom, scanLimit } from './log-view.js';
import { segmentName } from './segment-name.js';
import { SegmentScanner } from './segment-scanner.js';
import type { SegmentTable } from './segment-table.js';
import { SPARSE_INDEX_STRIDE, SegmentSampler, type Sample, type Samples } from './sequence-index.js';
import type { Position, WalEntry } from './types.js';

/**
 * Bytes a point read reads at once from the nearest sample: a stride plus room for the record
 * (a larger record, or one past the window, is read on by the chunked scan).
 */
export const POINT_READ_WINDOW = SPARSE_INDEX_STRIDE + 8 * 1024;
/** Chunk of the scan that goes on past the window. */
const POINT_READ_CHUNK = 2 * SPARSE_INDEX_STRIDE;
/** Read size of the one-off scan that samples a recovered segment. */
const SAMPLING_CHUNK = 1024 * 1024;

/** What point reads need from the WAL. */
export interface PointReadView {
  readonly storage: Storage;
  readonly maxRecordSize: number;
  readonly table: SegmentTable;
  readonly skips: Map<number, SkippedRegion[]>;
  /** Open read-only files of recently read segments. */
  readonly handles: SegmentHandles;
}

/**
 * Runs `use` with segment `segmentId` open: a segment deleted meanwhile (GC here, or another
 * process's GC under a `readOnly` WAL) is `ERR_SEGMENT_GONE`.
 */
async function withSegment<T>(view: PointReadView, segmentId: number, use: (file: StorageFile) => Promise<T> | T): Promise<T> {
  try {
    return await view.handles.with(segmentId, use);
  } catch (error) {
    if (errorCode(error) === 'ERR_NOT_FOUND' && !(error instanceof WalError)) {
      throw new WalError('ERR_SEGMENT_GONE', `segment ${segmentName(segmentId)} was deleted`, { cause: error });
    }
    throw error;
  }
}

/** Sees one record at `offset`; returns true to stop. */
type Visit = (records: RecordScanner, offset: number) => boolean;

/** How entries are built: `copy` gives compact copies instead of views into the read buffer. */
export interface EntryOptions {
  readonly copy: boolean;
}

/** The record `records` stands on (at `offset` of segment `segmentId`) as a `WalEntry`. */
export function entryOf(records: RecordScanner, segmentId: number, offset: number, index: number, options: EntryOptions): WalEntry {
  return {
    index,
    key: records.key(options.copy),
    value: records.value(options.copy),
    tombstone: records.tombstone,
    ttlMs: records.ttlMs,
    compression: records.compression,
    position: { segmentId, offset },
    size: records.recordSize,
  };
}

/**
 * Visits the records of segment `segmentId` from `offset` (a record boundary) to its logical end,
 * jumping over regions salvage skipped, until `visit` returns true. Resolves with the offset where
 * the scan stopped (after the accepted record, or the end).
 */
async function scanSegment(view: PointReadView, segmentId: number, offset: number, chunkSize: number, visit: Visit): Promise<number> {
  const size = view.table.sizeOf(segmentId);
  if (size === undefined) throw new WalError('ERR_SEGMENT_GONE', `segment ${segmentName(segmentId)} was deleted`);
  const regions = view.skips.get(segmentId);
  const scanner = new SegmentScanner({ maxRecordSize: view.maxRecordSize, chunkSize });
  return withSegment(view, segmentId, async (file) => {
    try {
      scanner.open(file, offset, scanLimit(regions, offset, size));
      for (;;) {
        const status = scanner.step();
        if (status === 'ok') {
          if (visit(scanner.records, scanner.recordOffset)) return scanner.offset;
        } else if (status === 'need-data') {
          if (!(await scanner.fill())) throw new WalError('ERR_CORRUPTION', `segment ${segmentName(segmentId)} is shorter than its logical size ${size}`);
        } else if (status === 'end') {
          const at = scanner.offset;
          const region = regionFrom(regions, at);
          if (region === undefined || region.from !== at || region.to > size) return at;
          scanner.open(file, region.to, scanLimit(regions, region.to, size));
        } else {
          throw new WalError(
            'ERR_CORRUPTION',
            `corrupt record in segment ${segmentName(segmentId)} at offset ${scanner.badOffset} (${scanner.badReason ?? 'unknown'})`,
          );
        }
      }
    } finally {
      scanner.release();
    }
  });
}

/**
 * The fast path of a point read: one synchronous read of {@link POINT_READ_WINDOW} bytes from
 * `offset` (page-cache reads take microseconds; a thread-pool round trip costs more), parsed in
 * place. Returns where it stopped: `done` when `visit` accepted a record or the segment ended,
 * else the offset the chunked scan goes on from.
 */
function scanWindow(view: PointReadView, file: StorageFile, segmentId: number, offset: number, visit: Visit): { done: boolean; at: number } {
  const size = view.table.sizeOf(segmentId) ?? offset;
  const length = Math.min(size - offset, POINT_READ_WINDOW);
  if (length <= 0) return { done: true, at: offset };
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const n = file.readSync(buffer, filled, length - filled, offset + filled);
    if (n <= 0) break;
    filled += n;
  }
  const records = new RecordScanner({ maxRecordSize: view.maxRecordSize });
  records.reset(buffer, 0, filled);
  for (;;) {
    const status = records.next();
    if (status !== 'ok') return { done: false, at: offset + records.cursor };
    if (visit(records, offset + records.recordStart)) return { done: true, at: offset + records.recordStart + records.recordSize };
  }
}

/**
 * Visits the records of a segment from `offset` (a record boundary) until `visit` accepts one or
 * the segment ends: the window fast path first (segments without skipped regions), then the
 * chunked scan. Resolves with the offset after the accepted record, or the end.
 */
async function visitFrom(view: PointReadView, segmentId: number, offset: number, visit: Visit): Promise<number> {
  if (view.skips.get(segmentId) === undefined && view.table.sizeOf(segmentId) !== undefined) {
    const fast = await withSegment(view, segmentId, (file) => scanWindow(view, file, segmentId, offset, visit));
    if (fast.done) return fast.at;
    offset = fast.at;
  }
  return scanSegment(view, segmentId, offset, POINT_READ_CHUNK, visit);
}

/** Samples `[0, end)` of a recovered segment for the sparse index (one pass, large reads). */
export async function sampleSegment(view: PointReadView, segmentId: number, end: number, firstIndex: number): Promise<Samples> {
  const sampler = new SegmentSampler(firstIndex);
  await scanSegment(view, segmentId, 0, SAMPLING_CHUNK, (_records, offset) => {
    if (offset >= end) return true;
    sampler.note(offset);
    return false;
  });
  return sampler.samples;
}

/**
 * Records of segment `segmentId` from `from` (a record boundary) up to `end`.
 * @throws WalError `ERR_INVALID_POSITION` when no record starts at `from`.
 */
export async function countRecords(view: PointReadView, segmentId: number, from: number, end: number): Promise<number> {
  let count = 0;
  try {
    await scanSegment(view, segmentId, from, SAMPLING_CHUNK, (_records, offset) => {
      if (offset >= end) return true;
      count++;
      return false;
    });
  } catch (error) {
    // The head was verified by recovery: damage met here means `from` is not a record boundary.
    if (error instanceof WalError && error.code === 'ERR_CORRUPTION' && count === 0) {
      throw new WalError('ERR_INVALID_POSITION', `no record starts at offset ${from} of segment ${segmentName(segmentId)}`, { cause: error });
    }
    throw error;
  }
  return count;
}

/** Reads record `index` with a bounded scan from `sample` (at or before it, same segment). */
export async function readIndexFrom(view: PointReadView, sample: Sample, index: number, options: EntryOptions): Promise<WalEntry> {
  let current = sample.index;
  let found: WalEntry | undefined;
  await visitFrom(view, sample.segmentId, sample.offset, (records, offset) => {
    if (current === index) found = entryOf(records, sample.segmentId, offset, index, options);
    current++;
    return found !== undefined;
  });
  if (found === undefined) {
    throw new WalError('ERR_CORRUPTION', `record ${index} is missing from segment ${segmentName(sample.segmentId)} (it ends at record ${current - 1})`);
  }
  return found;
}

/**
 * The index of the record at `position` (or of the next record to be written there, at the end
 * of its segment), with the record itself when one starts there.
 * @throws WalError `ERR_INVALID_POSITION` when no record starts at `position`.
 */
export async function readPositionFrom(
  view: PointReadView,
  sample: Sample,
  position: Position,
  options: EntryOptions,
): Promise<{ index: number; entry: WalEntry | undefined }> {
  let index = sample.index;
  let entry: WalEntry | undefined;
  let past = false;
  // A position at the start of a region salvage skipped stands for the record after it (as for readers).
  const region = regionFrom(view.skips.get(position.segmentId), position.offset);
  const target = region !== undefined && region.from === position.offset ? region.to : position.offset;
  const end = await visitFrom(view, sample.segmentId, sample.offset, (records, offset) => {
    if (offset === target) {
      entry = entryOf(records, position.segmentId, offset, index, options);
      return true;
    }
    if (offset > target) {
      past = true;
      return true;
    }
    index++;
    return false;
  });
  if (entry === undefined && (past || end !== target)) {
    throw new WalError('ERR_INVALID_POSITION', `no record starts at offset ${position.offset} of segment ${segmentName(position.segmentId)}`);
  }
  return { index, entry };
}
