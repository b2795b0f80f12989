import type { StorageFile } from '@nori/storage';
import { WalError, errorCode, ioError } from './errors.js';
import { regionFrom, scanLimit, type LogView, type ReaderCursor } from './log-view.js';
import { checkReadOptions } from './options.js';
import { resolveStart } from './read-start.js';
import type { ReadState } from './read-state.js';
import type { SkippedRegion } from './recovery.js';
import { parseSegmentName, segmentName } from './segment-name.js';
import type { Position, ReadOptions, WalEntry } from './types.js';
import { classifyDamage } from './walk/end-of-data.js';

/** Default `pollIntervalMs` of a following reader on a `readOnly` WAL. */
export const DEFAULT_POLL_INTERVAL_MS = 50;

/** Settings of one read, checked before its first record. */
interface ReadSettings {
  follow: boolean;
  signal: AbortSignal | undefined;
  pollIntervalMs: number;
  /** Following another process's writes (a `readOnly` WAL): the files are polled for growth. */
  polling: boolean;
  toIndex: number;
}

/** What a read does after the scan stopped: scan on, end the iteration, or go to a position. */
type NextStep = 'again' | 'stop' | Position;

function readSettings(view: LogView, options: ReadOptions): ReadSettings {
  checkReadOptions(options);
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  if (typeof pollIntervalMs !== 'number' || !Number.isFinite(pollIntervalMs) || pollIntervalMs <= 0) {
    throw new WalError('ERR_INVALID_ARGUMENT', `pollIntervalMs must be a positive number of milliseconds, got ${String(pollIntervalMs)}`);
  }
  const follow = options.follow === true;
  return { follow, signal: options.signal, pollIntervalMs, polling: follow && view.polling, toIndex: options.toIndex ?? Infinity };
}

/** The smallest segment id in storage greater than `id`, or undefined. */
async function segmentAfter(view: LogView, id: number): Promise<number | undefined> {
  let best: number | undefined;
  for (const name of await view.storage.list()) {
    const candidate = parseSegmentName(name);
    if (candidate !== undefined && candidate > id && (best === undefined || candidate < best)) best = candidate;
  }
  return best;
}

/** Waits `ms`, or less if the signal aborts or the WAL changes state (close). */
function pause(view: LogView, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    const done = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      view.closed.removeEventListener('abort', done);
      resolve();
    };
    timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    view.closed.addEventListener('abort', done, { once: true });
  });
}

/** Resolves at the next write, when `signal` aborts or when the WAL closes. */
function waitForChange(view: LogView, signal: AbortSignal | undefined): Promise<void> {
  const write = view.waitForWrite();
  return new Promise((resolve) => {
    const done = (): void => {
      signal?.removeEventListener('abort', done);
      view.closed.removeEventListener('abort', done);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
    view.closed.addEventListener('abort', done, { once: true });
    void write.then(done);
  });
}

function segmentGone(id: number, cause?: unknown): WalError {
  return new WalError(
    'ERR_SEGMENT_GONE',
    `segment ${segmentName(id)} was deleted (GC) before this reader reached it`,
    cause === undefined ? undefined : { cause },
  );
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal !== undefined && signal.aborted;
}

/**
 * One read's place in the log and the segment file it has open: opens segments, reads chunks,
 * waits for writes and decides what follows the end of a scan, damage or a truncation.
 */
class SegmentReads {
  segmentId: number;
  private offset = 0;
  private file: StorageFile | undefined;
  /** Logical size of the open segment when it was opened. */
  private limit = 0;
  private regions: SkippedRegion[] | undefined;
  /** Polling: the offset at which a later segment was seen (one more look before moving on). */
  private finalCheckAt = -1;
  /** Segments up to this id were seen by recovery: their logical sizes are final. */
  private readonly lastRecovered: number;
  readonly cursor: ReaderCursor;
  readonly ended: () => void;

  constructor(
    private readonly view: LogView,
    private readonly state: ReadState,
    private readonly settings: ReadSettings,
  ) {
    const ids = view.table.ids();
    this.lastRecovered = ids[ids.length - 1] ?? -1;
    // Until the start is resolved (see resolveStart) GC keeps every segment.
    this.segmentId = ids[0] ?? 0;
    let ended: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      ended = resolve;
    });
    this.ended = ended;
    this.cursor = {
      segmentId: this.segmentId,
      release: async () => {
        // A running reader meets the close at its next step and closes its file itself.
        if (!state.parked) return finished;
        const open = this.file;
        this.file = undefined;
        state.scanner.release();
        // A prefetch may still be reading the file: never close it under the read.
        await state.scanner.idle();
        await open?.close().catch(() => undefined);
      },
    };
  }

  /** Resolves where the read starts; false when it has nothing to hand out. */
  async start(options: ReadOptions): Promise<boolean> {
    const start = await resolveStart(this.view, options).catch((error: unknown) => {
      throw ioError('finding where to start reading', error);
    });
    this.place(start);
    const { state } = this;
    state.index = start.index;
    state.verifyFirst = start.verifyFirst;
    state.startMayMove = start.startMayMove;
    return !(state.index > this.settings.toIndex || state.remaining === 0);
  }

  private place(position: Position): void {
    this.segmentId = position.segmentId;
    this.offset = position.offset;
    this.cursor.segmentId = position.segmentId;
  }

  /**
   * After a `truncateAfter` (`state.epoch` behind the view's): a reader past the cut fails; one at
   * or before it resumes where it is (at the cut when it stood there: its segment may be gone),
   * never from buffered bytes. Undefined when no cut happened since the last look.
   */
  afterCut(at: Position): Position | undefined {
    const { cuts } = this.view;
    const { state } = this;
    if (cuts.epoch === state.epoch) return undefined;
    state.epoch = cuts.epoch;
    if (state.index > cuts.lastIndex + 1) {
      throw new WalError('ERR_LOG_TRUNCATED', `the log was truncated after index ${cuts.lastIndex}; this reader was at index ${state.index}`);
    }
    return state.index === cuts.lastIndex + 1 ? { ...cuts.at } : at;
  }

  /** Opens the current segment and points the scanner at the read's offset in it. */
  async openSegment(): Promise<'opened' | 'again' | 'stop'> {
    const { view, settings, state } = this;
    if (isAborted(settings.signal)) return 'stop';
    view.checkOpen();
    const moved = this.afterCut({ segmentId: this.segmentId, offset: this.offset });
    if (moved !== undefined) this.place(moved);
    let limit = view.table.sizeOf(this.segmentId);
    if (limit === undefined && settings.polling && this.segmentId > this.lastRecovered) {
      // A segment created by the other process after our recovery (or the log's first one).
      const found = await segmentAfter(view, this.segmentId - 1);
      if (found === undefined) {
        await pause(view, settings.pollIntervalMs, settings.signal);
        return 'again';
      }
      if (found > this.segmentId && !state.startMayMove) throw segmentGone(this.segmentId);
      this.place({ segmentId: found, offset: this.offset });
      limit = 0;
    }
    if (limit === undefined) {
      // Empty log (no segment yet, read-only): nothing to read until something is written.
      if (!settings.follow) return 'stop';
      await waitForChange(view, settings.signal);
      return 'again';
    }
    try {
      this.file = await view.storage.open(segmentName(this.segmentId), { readOnly: true });
    } catch (error) {
      if (errorCode(error) !== 'ERR_NOT_FOUND') throw error;
      // Another process's GC deleted it (ours never deletes a segment a reader will reach).
      // Before the first record of a read from the start, the log simply starts later now.
      const later = view.polling && state.startMayMove ? await segmentAfter(view, this.segmentId) : undefined;
      if (later === undefined) throw segmentGone(this.segmentId, error);
      this.place({ segmentId: later, offset: this.offset });
      return 'again';
    }
    this.limit = limit;
    // Never parse bytes inside a region salvage skipped: scans stop at its start and resume at its end.
    this.regions = view.skips.get(this.segmentId);
    this.finalCheckAt = -1;
    state.scanner.open(this.file, this.offset, scanLimit(this.regions, this.offset, limit));
    state.segmentId = this.segmentId;
    return 'opened';
  }

  /** Reads the next chunk of the open segment. */
  async fill(): Promise<void> {
    const { view, state, settings } = this;
    // A truncateAfter that ran meanwhile may have cut the file under the read: afterCut decides.
    if (!(await state.scanner.fill()) && !(settings.polling && this.segmentId >= this.lastRecovered) && view.cuts.epoch === state.epoch) {
      throw new WalError('ERR_CORRUPTION', `segment ${segmentName(this.segmentId)} is shorter than its logical size ${this.limit}`);
    }
  }

  /** The scan stopped at the end of its range or at bytes that are not a record. */
  async afterStop(status: 'end' | 'torn' | 'corrupt'): Promise<NextStep> {
    const { view, state, settings } = this;
    if (status === 'end') {
      view.checkOpen();
      if (this.skipOrGrow()) return 'again';
    }
    if (settings.polling && this.segmentId >= this.lastRecovered && !(state.verifyFirst && status !== 'end')) return this.tailStop(status);
    if (status === 'end') return this.atEnd();
    if (view.cuts.epoch !== state.epoch) return 'again';
    const scanner = state.scanner;
    const bad = scanner.badOffset;
    if (state.verifyFirst) throw new WalError('ERR_INVALID_POSITION', `no record starts at offset ${bad} of segment ${segmentName(this.segmentId)}`);
    throw new WalError('ERR_CORRUPTION', `corrupt record in segment ${segmentName(this.segmentId)} at offset ${bad} (${scanner.badReason ?? 'unknown'})`);
  }

  /** At the end of the scanned range: jumps over a skipped region, or scans on as the segment grew. */
  private skipOrGrow(): boolean {
    const scanner = this.state.scanner;
    const at = scanner.offset;
    const region = regionFrom(this.regions, at);
    const current = this.view.table.sizeOf(this.segmentId);
    if (region !== undefined && region.from === at && current !== undefined && region.to <= current) {
      scanner.open(this.file as StorageFile, region.to, scanLimit(this.regions, region.to, current));
      this.state.verifyFirst = false;
      return true;
    }
    if (current === undefined) return false;
    const limitNow = scanLimit(this.regions, at, current);
    if (limitNow <= scanner.limit) return false;
    scanner.setLimit(limitNow);
    return true;
  }

  /** At the written end of our own log: waits for a write (follow), moves on, or ends. */
  private async atEnd(): Promise<NextStep> {
    const { table } = this.view;
    const next = table.nextAfter(this.segmentId);
    if (table.isActive(this.segmentId) || next === undefined) {
      if (!this.settings.follow) return 'stop';
      await waitForChange(this.view, this.settings.signal);
      return isAborted(this.settings.signal) ? 'stop' : 'again';
    }
    return { segmentId: next, offset: 0 };
  }

  /**
   * Tailing another process's log: whatever stops the scan at the end (a partial record,
   * preallocated zeros) is waited for, never reported, until a later segment exists.
   */
  private async tailStop(status: 'end' | 'torn' | 'corrupt'): Promise<NextStep> {
    const { view, settings } = this;
    const scanner = this.state.scanner;
    const file = this.file as StorageFile;
    const at = status === 'end' ? scanner.offset : scanner.badOffset;
    const size = await file.size();
    const later = await segmentAfter(view, this.segmentId);
    if (later !== undefined) {
      // The writer trims and fsyncs a segment before the next one exists: this one is final.
      // Scan what is left once more, then move on.
      if (this.finalCheckAt !== at) {
        this.finalCheckAt = at;
        scanner.open(file, at, scanLimit(this.regions, at, size));
        return 'again';
      }
      await this.checkFinalEnd(file, at, size);
      // Segment ids have no gaps: a missing one was collected before we got there.
      if (later > this.segmentId + 1) throw segmentGone(this.segmentId + 1);
      return { segmentId: later, offset: 0 };
    }
    this.finalCheckAt = -1;
    if (!(status === 'end' && size > scanner.limit)) {
      await pause(view, settings.pollIntervalMs, settings.signal);
      if (isAborted(settings.signal)) return 'stop';
      view.checkOpen();
    }
    scanner.open(file, at, scanLimit(this.regions, at, await file.size()));
    return 'again';
  }

  /** The one end-of-data rule: only a zero tail (preallocated space) may follow a final segment's last record. */
  private async checkFinalEnd(file: StorageFile, at: number, size: number): Promise<void> {
    if (at >= size) return;
    const found = await classifyDamage(file, at, { limit: size, fileSize: size, maxRecordSize: this.view.maxRecordSize, zeroTail: true });
    if (found.kind === 'zero-tail') return;
    const what = found.kind === 'torn' ? 'a torn record' : `corruption followed by a record at offset ${found.resumeAt}`;
    throw new WalError('ERR_CORRUPTION', `${what} in segment ${segmentName(this.segmentId)} at offset ${at} (${this.state.scanner.badReason ?? 'unknown'})`);
  }

  /** Closes the finished segment and goes to `next`. */
  async moveTo(next: Position): Promise<void> {
    const scanner = this.state.scanner;
    scanner.release();
    // A dropped prefetch may still be reading this file: never close it under the read.
    await scanner.idle();
    await this.file?.close();
    this.file = undefined;
    this.place(next);
  }

  /** Closes the open file, if any (the iteration ended or failed). */
  async closeFile(): Promise<void> {
    if (this.file === undefined) return;
    const open = this.file;
    this.file = undefined;
    await this.state.scanner.idle();
    await open.close().catch(() => undefined);
  }
}

/**
 * The slow path of a read: opens segments, reads chunks, waits for writes and handles the end,
 * damage and truncation; hands out the first record after each of those. `state` is shared with
 * the iterator's fast path, which hands out the records buffered in between.
 */
export async function* readSegments(view: LogView, options: ReadOptions, state: ReadState): AsyncGenerator<WalEntry, void, undefined> {
  view.checkOpen();
  const reads = new SegmentReads(view, state, readSettings(view, options));
  const scanner = state.scanner;
  const unregister = view.register(reads.cursor);
  try {
    // Registered first: GC cannot delete the start segment while the start is resolved.
    if (!(await reads.start(options))) return;
    for (;;) {
      const opened = await reads.openSegment();
      if (opened === 'stop') return;
      if (opened === 'again') continue;
      let next: Position | undefined;
      while (next === undefined) {
        // Bytes buffered before a cut may be gone: reopen at the resume point.
        next = reads.afterCut({ segmentId: reads.segmentId, offset: scanner.offset });
        if (next !== undefined) break;
        const status = scanner.step();
        if (status === 'ok') {
          // Never hands out a record once the WAL is closed.
          const entry = state.accept();
          state.parked = true;
          yield entry;
          state.parked = false;
          // Aborted, past toIndex or limit; an abandoned iterator resumed after close() throws
          // (its file is closed, its buffer dropped). No-op when the fast path ran them already.
          if (state.finishHanded()) return;
        } else if (status === 'need-data') {
          await reads.fill();
        } else {
          const step = await reads.afterStop(status);
          if (step === 'stop') return;
          if (step !== 'again') next = step;
        }
      }
      await reads.moveTo(next);
    }
  } catch (error) {
    throw ioError(`reading segment ${segmentName(reads.segmentId)}`, error);
  } finally {
    state.parked = false;
    scanner.release();
    unregister();
    await reads.closeFile();
    reads.ended();
  }
}
