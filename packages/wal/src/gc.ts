import type { Storage } from '@nori/storage';
import { WalError, ioError } from './errors.js';
import { FIRST_INDEX, writeIndexAnchor, type IndexAnchor } from './index-file.js';
import { hook } from './observer.js';
import type { SealedLog } from './sealed-segments.js';
import type { SegmentHandles } from './segment-handles.js';
import { segmentName } from './segment-name.js';
import type { SegmentTable } from './segment-table.js';
import type { SequenceIndex } from './sequence-index.js';
import type { WalObserver } from './types.js';

/** What GC works on: the WAL's segments, sequence numbers and side files, and who needs what. */
export interface GcLog {
  readonly storage: Storage;
  readonly observer: WalObserver | undefined;
  readonly table: SegmentTable;
  readonly sequence: SequenceIndex;
  readonly handles: SegmentHandles;
  /** `sealed.log` (writable WAL only): entries are dropped before their segments are deleted. */
  readonly sealedLog: SealedLog | undefined;
  /** True once the WAL closes: GC deletes nothing more. */
  isClosing(): boolean;
  /** The smallest segment id an open reader or a GC hold still needs (`Infinity` when none). */
  protectedFrom(): number;
}

/**
 * Deletion of whole segments (`deleteSegmentsBefore`) and the `truncateBefore` mark: the two
 * writers of `index.json`, which must name the first index of the oldest segment left before its
 * predecessor goes (sequence numbers survive GC). Calls must not overlap (the WAL serialises them).
 */
export class SegmentGc {
  constructor(
    private readonly log: GcLog,
    /** What `index.json` holds (undefined: no file, the oldest segment starts at index 1). */
    private anchor: IndexAnchor | undefined,
  ) {}

  /**
   * Deletes the oldest segments while they are before `before`, not active and not needed;
   * fsyncs the directory after each removal. Resolves with the deleted ids.
   */
  async collect(before: number): Promise<number[]> {
    const { storage, table, sequence, handles, sealedLog } = this.log;
    const deleted: number[] = [];
    const onDeleted = hook(this.log.observer, 'onSegmentDeleted');
    for (;;) {
      const oldest = this.collectible(before);
      if (oldest === undefined) break;
      // Its sealed.log entry goes first (the file never lists a segment GC removed); a failure
      // there deletes nothing. An entry without its deletion is harmless: recovery ignores
      // entries below the first segment.
      try {
        await sealedLog?.forgetBefore(oldest + 1);
        // The first index of what is left is recorded before its predecessor goes.
        await this.anchorAfter(oldest);
      } catch (error) {
        throw ioError(`deleting segment ${segmentName(oldest)}`, error);
      }
      if (this.collectible(before) !== oldest) break;
      const bytes = table.fileSizeOf(oldest);
      // Forget it first so no new reader starts on it, then remove and make the removal durable
      // before the next one (a crash never leaves a hole in the middle of the log).
      table.remove(oldest);
      sequence.removeSegment(oldest);
      try {
        await handles.forget(oldest);
        await storage.remove(segmentName(oldest));
        await storage.syncDir();
      } catch (error) {
        throw ioError(`deleting segment ${segmentName(oldest)}`, error);
      }
      deleted.push(oldest);
      if (onDeleted !== undefined) onDeleted({ segmentId: oldest, bytes });
    }
    return deleted;
  }

  /**
   * `truncateBefore(index)`: persists the mark in `index.json` (unless it is already that high),
   * then deletes the whole segments below it. Resolves with the deleted ids.
   * @throws WalError `ERR_INDEX_OUT_OF_RANGE` (past the end of the log), `ERR_IO`.
   */
  async markBefore(index: number): Promise<number[]> {
    const { storage, table, sequence } = this.log;
    if (index > sequence.nextIndex) {
      throw new WalError('ERR_INDEX_OUT_OF_RANGE', `truncateBefore(${index}) is past the end of the log (lastIndex ${sequence.lastIndex})`);
    }
    if (index > sequence.truncatedBefore) {
      const oldest = table.ids()[0] as number;
      const anchor: IndexAnchor = this.anchor ?? { segmentId: oldest, firstIndex: sequence.firstIndexOf(oldest) ?? FIRST_INDEX, truncatedBefore: 0 };
      const next: IndexAnchor = { ...anchor, truncatedBefore: index };
      await writeIndexAnchor(storage, next).catch((error: unknown) => {
        throw ioError('recording truncateBefore', error);
      });
      this.anchor = next;
      sequence.setTruncatedBefore(index);
    }
    // Whole segments below the mark: every one before the segment holding record `index`.
    const ids = table.ids();
    const holding = index >= sequence.nextIndex ? ids[ids.length - 1] : (await sequence.sampleForIndex(index)).segmentId;
    return holding === undefined ? [] : this.collect(holding);
  }

  /** The oldest segment if GC may delete it now (before `before`, not active, no reader or hold on it). */
  private collectible(before: number): number | undefined {
    if (this.log.isClosing()) return undefined;
    const { table } = this.log;
    const oldest = table.ids()[0];
    if (oldest === undefined || oldest >= before || table.isActive(oldest)) return undefined;
    return oldest < this.log.protectedFrom() ? oldest : undefined;
  }

  /**
   * Writes `index.json` naming the segment after `oldest` and its first index, unless it already
   * names that segment or a later one (GC deletes `oldest` next).
   */
  private async anchorAfter(oldest: number): Promise<void> {
    const { table, sequence } = this.log;
    const next = table.nextAfter(oldest);
    if (next === undefined || (this.anchor !== undefined && this.anchor.segmentId >= next)) return;
    const firstIndex = sequence.firstIndexOf(next);
    if (firstIndex === undefined) return;
    const anchor: IndexAnchor = { segmentId: next, firstIndex, truncatedBefore: sequence.truncatedBefore };
    await writeIndexAnchor(this.log.storage, anchor);
    this.anchor = anchor;
  }
}
