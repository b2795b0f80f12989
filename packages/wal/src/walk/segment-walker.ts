import type { CorruptReason, RecordScanner } from '@nori/codec';
import type { StorageFile } from '@nori/storage';
import { DEFAULT_CHUNK_SIZE, SegmentScanner } from '../segment-scanner.js';
import { classifyDamage } from './end-of-data.js';

/** A byte range `[from, to)` of one segment. */
export interface SegmentSpan {
  from: number;
  to: number;
}

/** Why bytes hold no valid record: a codec reason, or `incomplete` (cut short by the end). */
export type WalkDamageReason = CorruptReason | 'incomplete';

/** Damage followed by a valid record (or by a skipped region) inside the walked segment. */
export interface WalkDamage {
  offset: number;
  length: number;
  reason: WalkDamageReason;
  /** Where walking resumes: the next valid record, or the start of a skipped region. */
  resumeAt: number;
  /** Bytes the damaged record's header claims (a lower bound when the header itself is cut). */
  claimed: number;
}

/**
 * How the walked bytes end:
 * - `clean`: on a record boundary at the end of the file;
 * - `cut`: at a skipped region that runs into the next segment (`cutAt`);
 * - `stopped`: the reporter stopped the walk;
 * - `zero-tail`: zero bytes (preallocated space) from `offset` to the end of the file;
 * - `torn`: bytes from `offset` to the end of the file hold no valid record.
 */
export type SegmentEnd =
  | { kind: 'clean' | 'cut' | 'stopped'; offset: number }
  | { kind: 'zero-tail'; offset: number; length: number }
  | { kind: 'torn'; offset: number; length: number; reason: WalkDamageReason; claimed: number };

/** Receives what a walk finds, in segment order; decides nothing about repairs. */
export interface SegmentReporter {
  /** A valid record at `offset`; `records` is positioned on it (views valid during the call). Return `false` to stop. */
  record(records: RecordScanner, offset: number): boolean | void;
  /** A known skipped region, jumped over unread. */
  skipped?(span: SegmentSpan): void;
  /** Damage followed by more data. Return `false` to stop (the walk then ends `stopped` at the damage). */
  damage?(damage: WalkDamage): boolean | void;
  /** Called after each chunk with the offset walked to (flushes output, reports progress). */
  progress?(offset: number): void | Promise<void>;
}

/** Options of {@link walkSegment}. */
export interface SegmentWalkOptions {
  /** First offset (a record boundary; default 0). */
  start?: number;
  /** The file's length as listed (a walk that sees the file shorter ends there). */
  fileSize: number;
  /** Largest record read. */
  maxRecordSize: number;
  /** Read size (default 1 MiB). */
  chunkSize?: number;
  /** Known skipped regions inside this segment, sorted; never read. */
  skipped?: readonly SegmentSpan[];
  /** A known skipped region starts here and runs into the next segment: nothing after it is read. */
  cutAt?: number;
  /**
   * Bytes below this offset were written (a sealed segment's recorded length): zeros there are
   * damage, never a preallocated tail. Default 0.
   */
  writtenLength?: number;
  /** Decompress compressed values to check them (default false). */
  verifyCompressed?: boolean;
  /**
   * Read damage a second time before reporting it (a live writer may be writing the record: a
   * read can see half a write, and writes land in order, so the second read sees it whole).
   */
  recheckDamage?: boolean;
  signal?: AbortSignal;
}

/** Result of {@link walkSegment}. */
export interface SegmentWalk {
  end: SegmentEnd;
  /** Valid records reported. */
  records: number;
  /** The file's length as the walk saw it (less than listed when a live writer trimmed it). */
  fileSize: number;
}

/** Mutable state of one walk. */
interface WalkState {
  options: SegmentWalkOptions;
  position: number;
  fileSize: number;
  records: number;
  nextSkipped: number;
  recheckedAt: number;
}

/**
 * Walks the records of one segment file in order, jumping over known skipped regions, reporting
 * damage followed by data to `reporter`, and classifying how the data ends (the LevelDB
 * `log::Reader` + `Reporter` model). Reads only; the caller decides what the findings mean.
 */
export async function walkSegment(file: StorageFile, options: SegmentWalkOptions, reporter: SegmentReporter): Promise<SegmentWalk> {
  const scanner = new SegmentScanner({
    maxRecordSize: options.maxRecordSize,
    chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
    verifyCompressed: options.verifyCompressed === true,
  });
  return walkSegmentWith(scanner, file, options, reporter);
}

/**
 * {@link walkSegment} with a caller's scanner (recovery reuses one double-buffered scanner for
 * every segment); `options.chunkSize` and `verifyCompressed` are the scanner's own then.
 */
export async function walkSegmentWith(
  scanner: SegmentScanner,
  file: StorageFile,
  options: SegmentWalkOptions,
  reporter: SegmentReporter,
): Promise<SegmentWalk> {
  const state: WalkState = { options, position: options.start ?? 0, fileSize: options.fileSize, records: 0, nextSkipped: 0, recheckedAt: -1 };
  const skipped = options.skipped ?? [];
  for (;;) {
    options.signal?.throwIfAborted();
    let region = skipped[state.nextSkipped];
    while (region !== undefined && region.from <= state.position) {
      if (region.to > state.position) {
        reporter.skipped?.(region);
        state.position = region.to;
      }
      state.nextSkipped += 1;
      region = skipped[state.nextSkipped];
    }
    if (options.cutAt !== undefined && state.position >= options.cutAt) return result(state, { kind: 'cut', offset: state.position });
    const limit = Math.min(region?.from ?? options.cutAt ?? state.fileSize, state.fileSize);
    if (state.position >= limit && limit === state.fileSize) return result(state, { kind: 'clean', offset: state.position });
    const end = await walkRegion(scanner, file, state, limit, reporter);
    if (end !== undefined) return result(state, end);
  }
}

function result(state: WalkState, end: SegmentEnd): SegmentWalk {
  return { end, records: state.records, fileSize: state.fileSize };
}

/**
 * Walks `[state.position, limit)`: reports its records, then classifies the damage that stops it.
 * Returns how the segment ends, or `undefined` to go on from the updated `state.position`.
 */
async function walkRegion(
  scanner: SegmentScanner,
  file: StorageFile,
  state: WalkState,
  limit: number,
  reporter: SegmentReporter,
): Promise<SegmentEnd | undefined> {
  const status = await reportRecords(scanner, file, state, limit, reporter);
  // The file may have been seen shorter than listed (a live writer trims its preallocated tail).
  const regionEnd = Math.min(limit, state.fileSize);
  if (status === 'stopped') return { kind: 'stopped', offset: state.position };
  // The region ended on a record boundary: the walk goes on (past a skipped region, or to its end).
  if (status === 'end') return undefined;
  const bad = state.position;
  const reason = scanner.badReason ?? 'incomplete';
  const records = scanner.records;
  const claimed = records.needed;
  if (status === 'corrupt' && !records.tooLarge && (reason === 'decompression-failed' || reason === 'too-large') && bad + records.recordSize <= regionEnd) {
    // A whole record with a valid CRC whose value is bad: exactly this record is lost.
    return reportDamage(state, reporter, { offset: bad, length: records.recordSize, reason, resumeAt: bad + records.recordSize, claimed: records.recordSize });
  }
  // The next record is searched for up to the file's end (or a cut), across known regions: damage
  // that runs into them swallows them (the walk passes a region that ends before it resumes).
  const horizon = Math.min(state.options.cutAt ?? state.fileSize, state.fileSize);
  const found = await classifyDamage(file, bad, {
    limit: horizon,
    fileSize: state.fileSize,
    maxRecordSize: state.options.maxRecordSize,
    zeroTail: bad >= (state.options.writtenLength ?? 0),
  });
  if (found.kind === 'zero-tail') return { kind: 'zero-tail', offset: bad, length: state.fileSize - bad };
  if (state.recheckedAt !== bad && state.options.recheckDamage === true) {
    state.recheckedAt = bad;
    return undefined;
  }
  if (found.kind === 'torn' && horizon === state.fileSize) return { kind: 'torn', offset: bad, length: state.fileSize - bad, reason, claimed };
  const resumeAt = found.kind === 'corrupt' ? found.resumeAt : horizon;
  return reportDamage(state, reporter, { offset: bad, length: resumeAt - bad, reason, resumeAt, claimed });
}

/** Reports damage followed by more data; the walk goes on at its `resumeAt` unless the reporter stops it. */
function reportDamage(state: WalkState, reporter: SegmentReporter, damage: WalkDamage): SegmentEnd | undefined {
  if (reporter.damage?.(damage) === false) return { kind: 'stopped', offset: damage.offset };
  state.position = damage.resumeAt;
  return undefined;
}

/**
 * Reports the valid records of `[state.position, limit)`, advancing `state.position` past each.
 * Returns `end` (the region, or the file, ended on a record boundary), `stopped`, or the damage
 * status that stopped it (`scanner.badReason` says why).
 */
async function reportRecords(
  scanner: SegmentScanner,
  file: StorageFile,
  state: WalkState,
  limit: number,
  reporter: SegmentReporter,
): Promise<'end' | 'stopped' | 'torn' | 'corrupt'> {
  scanner.open(file, state.position, limit);
  try {
    for (;;) {
      const status = scanner.step();
      if (status === 'ok') {
        state.records += 1;
        const stop = reporter.record(scanner.records, scanner.recordOffset) === false;
        state.position = scanner.offset;
        if (stop) return 'stopped';
      } else if (status === 'need-data') {
        await reporter.progress?.(state.position);
        state.options.signal?.throwIfAborted();
        if (!(await scanner.fill())) state.fileSize = Math.min(state.fileSize, scanner.limit);
      } else {
        if (status === 'end') state.position = scanner.offset;
        return status;
      }
    }
  } finally {
    await scanner.idle();
    scanner.release();
  }
}
