import type { Storage, StorageFile } from '@nori/storage';
import { segmentName } from './segment-name.js';
import { checkSealedSegment, type SealedEntry, type SealedMismatch } from './sealed-segments.js';
import type { SegmentScanner } from './segment-scanner.js';
import { isZeroRange } from './segment-io.js';

/** A segment file opened for recovery, with what could be learned before its turn. */
export interface OpenedSegment {
  readonly file: StorageFile;
  readonly fileSize: number;
  /** How a sealed segment differs from its `sealed.log` entry (undefined: it does not, or it has none). */
  readonly mismatch: SealedMismatch | undefined;
}

/** What {@link SegmentsAhead} needs from recovery. */
export interface SegmentsAheadOptions {
  readonly readOnly: boolean;
  /** The segment's `sealed.log` entry, if it has one. */
  readonly sealedEntry: (id: number) => SealedEntry | undefined;
  readonly scanner: SegmentScanner;
}

/**
 * Opens the next segment while recovery scans the current one: the open, its size, the sealed
 * check and the first chunk's read overlap with the scan, instead of costing a round trip each
 * per segment (a log of many small segments spent more time waiting on them than scanning).
 * Only reads happen ahead; every decision stays in recovery's order. Handles are closed without
 * waiting; {@link SegmentsAhead.settle} waits for all of them.
 */
export class SegmentsAhead {
  private next: { id: number; opened: Promise<OpenedSegment> } | undefined;
  private readonly closing: Promise<void>[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly options: SegmentsAheadOptions,
  ) {}

  /** Segment `id` (opened ahead, or now); starts opening `after` (the next one) in the background. */
  async take(id: number, after: number | undefined): Promise<OpenedSegment> {
    const ahead = this.next;
    this.next = undefined;
    const opened = ahead?.id === id ? ahead.opened : this.open(id);
    if (ahead !== undefined && ahead.id !== id) await this.drop(ahead.opened);
    const current = await opened;
    if (after !== undefined) {
      const next = this.open(after);
      // Kept for its turn; an open that fails rejects there, where recovery would have opened it.
      next.catch(() => undefined);
      this.next = { id: after, opened: next };
    }
    return current;
  }

  /** Closes `file` without waiting for it. */
  close(file: StorageFile): void {
    const closed = file.close();
    closed.catch(() => undefined);
    this.closing.push(closed);
  }

  /** Drops the segment opened ahead (before later segments are moved away, or at the end). */
  async discard(): Promise<void> {
    const ahead = this.next;
    this.next = undefined;
    if (ahead !== undefined) await this.drop(ahead.opened);
  }

  /** Waits for every close; throws the first close error. */
  async settle(): Promise<void> {
    await this.discard();
    const results = await Promise.allSettled(this.closing);
    this.closing.length = 0;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  private async open(id: number): Promise<OpenedSegment> {
    const file = await this.storage.open(segmentName(id), { readOnly: this.options.readOnly });
    try {
      const fileSize = await file.size();
      this.options.scanner.prefetchFirstChunk(file, 0, fileSize);
      const entry = this.options.sealedEntry(id);
      const mismatch = entry === undefined ? undefined : await checkSealedSegment(file, fileSize, entry, (from) => isZeroRange(file, from, fileSize));
      return { file, fileSize, mismatch };
    } catch (error) {
      await this.options.scanner.dropFirstChunk(file);
      await file.close();
      throw error;
    }
  }

  private async drop(opened: Promise<OpenedSegment>): Promise<void> {
    let segment: OpenedSegment;
    try {
      segment = await opened;
    } catch {
      return; // Nothing was left open.
    }
    await this.options.scanner.dropFirstChunk(segment.file);
    this.close(segment.file);
  }
}
