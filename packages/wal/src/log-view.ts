import type { Storage } from '@nori/storage';
import type { SkippedRegion } from './recovery.js';
import type { SegmentTable } from './segment-table.js';
import type { Position } from './types.js';
import type { SegmentHandles } from './segment-handles.js';
import type { SequenceIndex } from './sequence-index.js';

/** A live reader's place in the log; GC never deletes its segment or later ones. */
export interface ReaderCursor {
  segmentId: number;
  /**
   * Called by `close()` (after the WAL is marked closed): releases the reader's open file, also
   * when its iterator was abandoned between two records. Resolves once the file is closed.
   */
  release(): Promise<void>;
}

/** What a reader needs from the WAL. */
export interface LogView {
  readonly storage: Storage;
  readonly maxRecordSize: number;
  readonly table: SegmentTable;
  readonly skips: Map<number, SkippedRegion[]>;
  /** Throws `ERR_CLOSED` once the WAL is closed. */
  checkOpen(): void;
  /** Resolves at the next write, rotation, failure or close. */
  waitForWrite(): Promise<void>;
  /** Registers a reader for GC protection; returns the unregister function. */
  register(cursor: ReaderCursor): () => void;
  /**
   * True when another process may write the log (a `readOnly` WAL): following readers then poll
   * the files for growth past the last segment recovery saw instead of waiting for our writer.
   */
  readonly polling: boolean;
  /** Aborted when the WAL closes (wakes polling readers). */
  readonly closed: AbortSignal;
  /** Sequence numbers and the sparse index. */
  readonly sequence: SequenceIndex;
  /** Open read-only files of recently read segments (point reads). */
  readonly handles: SegmentHandles;
  /** The last `truncateAfter` (epoch 0: none yet). */
  readonly cuts: CutState;
}

/** The last `truncateAfter`: readers compare `epoch` with the one they started under. */
export interface CutState {
  epoch: number;
  /** The log ended with this index right after the cut. */
  lastIndex: number;
  /** Where the record after `lastIndex` was (the end of the log right after the cut). */
  at: Position;
}

/** The first skipped region of `regions` that starts at or after `offset`. */
export function regionFrom(regions: readonly SkippedRegion[] | undefined, offset: number): SkippedRegion | undefined {
  if (regions === undefined) return undefined;
  let best: SkippedRegion | undefined;
  for (const region of regions) if (region.from >= offset && (best === undefined || region.from < best.from)) best = region;
  return best;
}

/** Where a scan from `offset` must stop: the segment's logical size or the next skipped region. */
export function scanLimit(regions: readonly SkippedRegion[] | undefined, offset: number, size: number): number {
  const region = regionFrom(regions, offset);
  return region === undefined ? size : Math.min(size, region.from);
}
