import { WalError } from './errors.js';
import { countRecords, readIndexFrom, readPositionFrom, type PointReadView } from './point-read.js';
import { isPosition } from './position.js';
import { segmentName } from './segment-name.js';
import type { SequenceIndex } from './sequence-index.js';
import type { Position, ReadOptions } from './types.js';

/** Where a reader starts. */
export interface ReadStart {
  segmentId: number;
  offset: number;
  /** Index of the record at the start. */
  index: number;
  /** The start must hold a record (not the end of the log). */
  verifyFirst: boolean;
  /** A read from the start of a log another process collects may begin at a later segment. */
  startMayMove: boolean;
}

/** Only positions and indexes are used: no copies. */
const VIEWS = { copy: false } as const;

function invalidPosition(message: string): WalError {
  return new WalError('ERR_INVALID_POSITION', message);
}

/** Where the record with sequence number `index` starts (the end of the log for `lastIndex + 1`). */
export async function positionOfIndex(view: PointReadView & { sequence: SequenceIndex }, index: number): Promise<Position> {
  const sequence = view.sequence;
  if (index === sequence.nextIndex && index >= sequence.firstIndex) {
    const ids = view.table.ids();
    const last = ids[ids.length - 1];
    return last === undefined ? { segmentId: 0, offset: 0 } : { segmentId: last, offset: view.table.sizeOf(last) ?? 0 };
  }
  const sample = await sequence.sampleForIndex(index);
  return (await readIndexFrom(view, sample, index, VIEWS)).position;
}

/** Checks `from` the way readers always did: an existing segment, not past its end, not in a skipped region. */
function checkFrom(view: PointReadView, from: Position): number {
  if (!isPosition(from)) throw invalidPosition('from must be { segmentId, offset } with non-negative integers');
  const size = view.table.sizeOf(from.segmentId);
  if (size === undefined) {
    const oldest = view.table.ids()[0];
    if (oldest !== undefined && from.segmentId < oldest) {
      throw new WalError('ERR_SEGMENT_GONE', `segment ${segmentName(from.segmentId)} was deleted (oldest is ${segmentName(oldest)})`);
    }
    throw invalidPosition(`segment ${segmentName(from.segmentId)} does not exist`);
  }
  if (from.offset > size) {
    throw invalidPosition(`offset ${from.offset} is past the end (${size}) of segment ${segmentName(from.segmentId)}`);
  }
  const inside = view.skips.get(from.segmentId)?.find((r) => from.offset > r.from && from.offset < r.to);
  if (inside !== undefined) {
    throw invalidPosition(`offset ${from.offset} of segment ${segmentName(from.segmentId)} is inside a region recovery skipped (${inside.from}..${inside.to})`);
  }
  return size;
}

/**
 * The index of the record at `position` (checked to be a record boundary of the log). In the
 * unsampled recovered head of a segment, a position nearer its end is counted back from there
 * (a reader resuming near the end of a recovered segment, e.g. after a snapshot, does not scan
 * the whole segment first).
 */
export async function indexOfPosition(view: PointReadView & { sequence: SequenceIndex }, position: Position): Promise<number> {
  checkFrom(view, position);
  const head = view.sequence.unsampledHead(position.segmentId);
  if (head !== undefined && position.offset <= head.end && head.end - position.offset < position.offset) {
    return head.nextIndex - (await countRecords(view, position.segmentId, position.offset, head.end));
  }
  const sample = await view.sequence.sampleForPosition(position);
  if (sample === undefined) throw invalidPosition(`segment ${segmentName(position.segmentId)} does not exist`);
  return (await readPositionFrom(view, sample, position, VIEWS)).index;
}

function truncated(index: number, first: number): WalError {
  return new WalError('ERR_INDEX_TRUNCATED', `index ${index} was truncated: the first record is ${first}`);
}

/**
 * Resolves `from` / `fromIndex` (or the first readable record) to a position and an index.
 * @throws WalError `ERR_INVALID_POSITION`, `ERR_SEGMENT_GONE`, `ERR_INDEX_TRUNCATED`, `ERR_INDEX_OUT_OF_RANGE`.
 */
export async function resolveStart(view: PointReadView & { sequence: SequenceIndex }, options: ReadOptions): Promise<ReadStart> {
  const sequence = view.sequence;
  if (options.from !== undefined) {
    const from = options.from;
    const size = checkFrom(view, from);
    const index = await indexOfPosition(view, from);
    if (index < sequence.firstIndex) throw truncated(index, sequence.firstIndex);
    // A position at the end is where the next record will be, not one that must already parse.
    return { segmentId: from.segmentId, offset: from.offset, index, verifyFirst: from.offset < size, startMayMove: false };
  }
  const ids = view.table.ids();
  const oldest = ids[0];
  const oldestIndex = oldest === undefined ? sequence.nextIndex : (sequence.firstIndexOf(oldest) ?? sequence.nextIndex);
  const wanted = options.fromIndex ?? sequence.firstIndex;
  if (wanted < sequence.firstIndex) throw truncated(wanted, sequence.firstIndex);
  if (wanted > sequence.nextIndex) {
    throw new WalError('ERR_INDEX_OUT_OF_RANGE', `index ${wanted} is past the end of the log (lastIndex ${sequence.lastIndex})`);
  }
  if (options.fromIndex === undefined && wanted === oldestIndex) {
    return { segmentId: oldest ?? 0, offset: 0, index: wanted, verifyFirst: false, startMayMove: true };
  }
  const at = await positionOfIndex(view, wanted);
  return { segmentId: at.segmentId, offset: at.offset, index: wanted, verifyFirst: false, startMayMove: false };
}
