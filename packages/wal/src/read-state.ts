import { WalError } from './errors.js';
import { entryOf, type EntryOptions } from './point-read.js';
import type { SegmentScanner } from './segment-scanner.js';
import type { WalEntry } from './types.js';

/** What the per-record checks of a reader need from the WAL. */
export interface ReadStateView {
  /** Throws `ERR_CLOSED` once the WAL is closed. */
  checkOpen(): void;
  readonly cuts: { readonly epoch: number };
  readonly sequence: { readonly firstIndex: number };
}

/** Settings of one `wal.read()` that the per-record steps use. */
export interface ReadStateOptions {
  readonly scanner: SegmentScanner;
  readonly entryOptions: EntryOptions;
  readonly signal: AbortSignal | undefined;
  readonly toIndex: number;
  readonly remaining: number;
}

/**
 * The per-record state of one `wal.read()`, shared by its slow path (the generator that opens
 * segments, reads chunks and waits) and its fast path (the iterator handing out records already
 * buffered). Every record goes through {@link ReadState.accept} and {@link ReadState.finishHanded},
 * whichever path produced it: the same checks run in the same order.
 */
export class ReadState {
  /** True while the generator is suspended at a record's `yield` (none of its reads runs). */
  parked = false;
  /** A record was handed out and its after-record checks ({@link finishHanded}) have not run. */
  handed = false;
  /** Index of the next record. */
  index = 0;
  /** Records still allowed by `limit`. */
  remaining: number;
  /** The start position is unverified until the first record parses there. */
  verifyFirst = false;
  /** A read from the start may still move forward if its first segment disappears. */
  startMayMove = false;
  /** Segment the scanner stands in. */
  segmentId = 0;
  /** The truncation epoch the buffered bytes belong to. */
  epoch: number;
  readonly scanner: SegmentScanner;
  private readonly view: ReadStateView;
  private readonly entryOptions: EntryOptions;
  private readonly signal: AbortSignal | undefined;
  private readonly toIndex: number;

  constructor(view: ReadStateView, options: ReadStateOptions) {
    this.view = view;
    this.scanner = options.scanner;
    this.entryOptions = options.entryOptions;
    this.signal = options.signal;
    this.toIndex = options.toIndex;
    this.remaining = options.remaining;
    this.epoch = view.cuts.epoch;
  }

  /**
   * The record the scanner stands on (after an `ok` step) as the next entry; throws when its index
   * was truncated or the WAL is closed (a record is never handed out after close).
   */
  accept(): WalEntry {
    if (this.index < this.view.sequence.firstIndex) {
      throw new WalError('ERR_INDEX_TRUNCATED', `index ${this.index} was truncated (truncateBefore): the first record is ${this.view.sequence.firstIndex}`);
    }
    const scanner = this.scanner;
    const entry = entryOf(scanner.records, this.segmentId, scanner.recordOffset, this.index, this.entryOptions);
    this.index++;
    this.verifyFirst = false;
    this.startMayMove = false;
    this.view.checkOpen();
    this.handed = true;
    return entry;
  }

  /**
   * Runs the checks due after the consumer took a record: returns true when the read ends
   * (aborted, past `toIndex`, `limit` reached); throws `ERR_CLOSED` when the WAL closed meanwhile.
   */
  finishHanded(): boolean {
    if (!this.handed) return false;
    this.handed = false;
    const signal = this.signal;
    if ((signal !== undefined && signal.aborted) || this.index > this.toIndex || --this.remaining === 0) return true;
    this.view.checkOpen();
    return false;
  }

  /**
   * The next record when it is already buffered and nothing changed the log under the scanner;
   * undefined when the slow path must take over (I/O, end of region, damage, a truncation).
   */
  takeBuffered(): WalEntry | undefined {
    if (this.view.cuts.epoch !== this.epoch) return undefined;
    if (this.scanner.step() !== 'ok') return undefined;
    return this.accept();
  }
}
