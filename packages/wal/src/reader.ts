import type { Storage, StorageFile } from '@nori/storage';
import { WalError, errorCode, ioError } from './errors.js';
import { checkReadOptions } from './options.js';
import { classifyDamage } from './walk/end-of-data.js';
import type { SkippedRegion } from './recovery.js';
import { parseSegmentName, segmentName } from './segment-name.js';
import { SegmentScanner } from './segment-scanner.js';
import type { SegmentTable } from './segment-table.js';
import type { Position, ReadOptions, WalEntry } from './types.js';
import { LogReader } from './log-reader.js';
import { ReadState } from './read-state.js';
import { resolveStart } from './read-start.js';
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

/** Default `pollIntervalMs` of a following reader on a `readOnly` WAL. */
export const DEFAULT_POLL_INTERVAL_MS = 50;

/** The smallest segment id in storage greater than `id`, or undefined. */
async function segmentAfter(storage: Storage, id: number): Promise<number | undefined> {
  let best: number | undefined;
  for (const name of await storage.list()) {
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

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal !== undefined && signal.aborted;
}

function invalidPosition(message: string): WalError {
  return new WalError('ERR_INVALID_POSITION', message);
}

/**
 * Reads records in log order from `options.from` (a record boundary) across every segment.
 * Bounded memory: one chunk buffer (grown only for records larger than a chunk). Reads stop at
 * the written position, never in preallocated zeros; with `follow` the iterator waits for new
 * records. An aborted `signal` ends the iteration cleanly.
 */
export function readLog(view: LogView, options: ReadOptions = {}): LogReader {
  // Bad options are reported by the generator's checkReadOptions, at the first next().
  const settings: ReadOptions = typeof options === 'object' && options !== null ? options : {};
  const copy = settings.copy === true;
  const scanner = new SegmentScanner({ maxRecordSize: view.maxRecordSize, stableChunks: !copy });
  const state = new ReadState(view, {
    scanner,
    entryOptions: { copy },
    signal: settings.signal,
    toIndex: settings.toIndex ?? Infinity,
    remaining: settings.limit ?? Infinity,
  });
  return new LogReader(state, readSegments(view, options, state));
}

/**
 * The slow path of {@link readLog}: opens segments, reads chunks, waits for writes and handles the
 * end, damage and truncation; hands out the first record after each of those. `state` is shared
 * with the iterator's fast path, which hands out the records buffered in between.
 */
async function* readSegments(view: LogView, options: ReadOptions, state: ReadState): AsyncGenerator<WalEntry, void, undefined> {
  view.checkOpen();
  checkReadOptions(options);
  const follow = options.follow === true;
  const signal = options.signal;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  if (typeof pollIntervalMs !== 'number' || !Number.isFinite(pollIntervalMs) || pollIntervalMs <= 0) {
    throw new WalError('ERR_INVALID_ARGUMENT', `pollIntervalMs must be a positive number of milliseconds, got ${String(pollIntervalMs)}`);
  }
  const polling = follow && view.polling;
  const table = view.table;
  const ids = table.ids();
  // Segments up to this id were seen by recovery: their logical sizes are final. A polling
  // reader reads past it straight from the files (another process appends there).
  const lastRecovered = ids[ids.length - 1] ?? -1;
  // A truncateAfter while this reader runs: see afterCut (state.epoch).
  // Set once the start is resolved (see resolveStart); until then GC keeps every segment.
  let segmentId = ids[0] ?? 0;
  let offset = 0;
  const toIndex = options.toIndex ?? Infinity;
  /**
   * After a `truncateAfter`: a reader past the cut fails; one at or before it resumes where it
   * is (at the cut when it stood there: its segment may be gone), never from buffered bytes.
   */
  const afterCut = (at: Position): Position | undefined => {
    const cuts = view.cuts;
    if (cuts.epoch === state.epoch) return undefined;
    state.epoch = cuts.epoch;
    if (state.index > cuts.lastIndex + 1) {
      throw new WalError('ERR_LOG_TRUNCATED', `the log was truncated after index ${cuts.lastIndex}; this reader was at index ${state.index}`);
    }
    return state.index === cuts.lastIndex + 1 ? { ...cuts.at } : at;
  };
  const scanner = state.scanner;
  let file: StorageFile | undefined;
  let ended: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const cursor: ReaderCursor = {
    segmentId,
    release: async () => {
      // A running reader meets the close at its next step and closes its file itself.
      if (!state.parked) return finished;
      const open = file;
      file = undefined;
      scanner.release();
      // A prefetch may still be reading the file: never close it under the read.
      await scanner.idle();
      await open?.close().catch(() => undefined);
    },
  };
  const unregister = view.register(cursor);
  try {
    // Registered first: GC cannot delete the start segment while the start is resolved.
    const start = await resolveStart(view, options).catch((error: unknown) => {
      throw ioError('finding where to start reading', error);
    });
    ({ segmentId, offset } = start);
    state.index = start.index;
    state.verifyFirst = start.verifyFirst;
    state.startMayMove = start.startMayMove;
    cursor.segmentId = segmentId;
    if (state.index > toIndex || state.remaining === 0) return;
    for (;;) {
      if (isAborted(signal)) return;
      view.checkOpen();
      const moved = afterCut({ segmentId, offset });
      if (moved !== undefined) {
        segmentId = moved.segmentId;
        offset = moved.offset;
        cursor.segmentId = segmentId;
      }
      let limit = table.sizeOf(segmentId);
      if (limit === undefined && polling && segmentId > lastRecovered) {
        // A segment created by the other process after our recovery (or the log's first one).
        const found = await segmentAfter(view.storage, segmentId - 1);
        if (found === undefined) {
          await pause(view, pollIntervalMs, signal);
          continue;
        }
        if (found > segmentId && !state.startMayMove) throw segmentGone(segmentId);
        segmentId = found;
        cursor.segmentId = found;
        limit = 0;
      }
      if (limit === undefined) {
        // Empty log (no segment yet, read-only): nothing to read until something is written.
        if (!follow) return;
        await waitForChange(view, signal);
        continue;
      }
      try {
        file = await view.storage.open(segmentName(segmentId), { readOnly: true });
      } catch (error) {
        if (errorCode(error) !== 'ERR_NOT_FOUND') throw error;
        // Another process's GC deleted it (ours never deletes a segment a reader will reach).
        // Before the first record of a read from the start, the log simply starts later now.
        const later = view.polling && state.startMayMove ? await segmentAfter(view.storage, segmentId) : undefined;
        if (later === undefined) throw segmentGone(segmentId, error);
        segmentId = later;
        cursor.segmentId = later;
        continue;
      }
      // Never parse bytes inside a region salvage skipped: scans stop at its start and resume at its end.
      const regions = view.skips.get(segmentId);
      scanner.open(file, offset, scanLimit(regions, offset, limit));
      state.segmentId = segmentId;
      let nextSegment: number | undefined;
      let nextOffset = 0;
      // Polling: offset at which a later segment was seen (one more look before moving on).
      let finalCheckAt = -1;
      while (nextSegment === undefined) {
        const resume = afterCut({ segmentId, offset: scanner.offset });
        if (resume !== undefined) {
          // Bytes buffered before the cut may be gone: reopen at the resume point.
          nextSegment = resume.segmentId;
          nextOffset = resume.offset;
          continue;
        }
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
          continue;
        }
        if (status === 'need-data') {
          // A truncateAfter that ran meanwhile may have cut the file under the read: afterCut decides.
          if (!(await scanner.fill()) && !(polling && segmentId >= lastRecovered) && view.cuts.epoch === state.epoch) {
            throw new WalError('ERR_CORRUPTION', `segment ${segmentName(segmentId)} is shorter than its logical size ${limit}`);
          }
          continue;
        }
        if (status === 'end') {
          view.checkOpen();
          const at = scanner.offset;
          const region = regionFrom(regions, at);
          const current = table.sizeOf(segmentId);
          if (region !== undefined && region.from === at && current !== undefined && region.to <= current) {
            scanner.open(file, region.to, scanLimit(regions, region.to, current));
            state.verifyFirst = false;
            continue;
          }
          if (current !== undefined) {
            const limitNow = scanLimit(regions, at, current);
            if (limitNow > scanner.limit) {
              scanner.setLimit(limitNow);
              continue;
            }
          }
        }
        if (polling && segmentId >= lastRecovered && !(state.verifyFirst && status !== 'end')) {
          // Tailing another process's log: whatever stops the scan at the end (a partial record,
          // preallocated zeros) is waited for, never reported, until a later segment exists.
          const at = status === 'end' ? scanner.offset : scanner.badOffset;
          const size = await file.size();
          const later = await segmentAfter(view.storage, segmentId);
          if (later !== undefined) {
            // The writer trims and fsyncs a segment before the next one exists: this one is
            // final. Scan what is left once more, then move on (zeros are preallocated space).
            if (finalCheckAt !== at) {
              finalCheckAt = at;
              scanner.open(file, at, scanLimit(regions, at, size));
              continue;
            }
            // The one end-of-data rule: only a zero tail (preallocated space) may follow the last record.
            const found =
              at < size ? await classifyDamage(file, at, { limit: size, fileSize: size, maxRecordSize: view.maxRecordSize, zeroTail: true }) : undefined;
            if (found !== undefined && found.kind !== 'zero-tail') {
              const what = found.kind === 'torn' ? 'a torn record' : `corruption followed by a record at offset ${found.resumeAt}`;
              throw new WalError('ERR_CORRUPTION', `${what} in segment ${segmentName(segmentId)} at offset ${at} (${scanner.badReason ?? 'unknown'})`);
            }
            // Segment ids have no gaps: a missing one was collected before we got there.
            if (later > segmentId + 1) throw segmentGone(segmentId + 1);
            nextSegment = later;
            continue;
          }
          finalCheckAt = -1;
          if (!(status === 'end' && size > scanner.limit)) {
            await pause(view, pollIntervalMs, signal);
            if (isAborted(signal)) return;
            view.checkOpen();
          }
          scanner.open(file, at, scanLimit(regions, at, await file.size()));
          continue;
        }
        if (status === 'end') {
          if (table.isActive(segmentId) || table.nextAfter(segmentId) === undefined) {
            if (!follow) return;
            await waitForChange(view, signal);
            if (isAborted(signal)) return;
            continue;
          }
          nextSegment = table.nextAfter(segmentId);
          continue;
        }
        if (view.cuts.epoch !== state.epoch) continue;
        const bad = scanner.badOffset;
        if (state.verifyFirst) {
          throw invalidPosition(`no record starts at offset ${bad} of segment ${segmentName(segmentId)}`);
        }
        throw new WalError('ERR_CORRUPTION', `corrupt record in segment ${segmentName(segmentId)} at offset ${bad} (${scanner.badReason ?? 'unknown'})`);
      }
      scanner.release();
      // A dropped prefetch may still be reading this file: never close it under the read.
      await scanner.idle();
      await file.close();
      file = undefined;
      segmentId = nextSegment;
      offset = nextOffset;
      cursor.segmentId = segmentId;
    }
  } catch (error) {
    throw ioError(`reading segment ${segmentName(segmentId)}`, error);
  } finally {
    state.parked = false;
    scanner.release();
    unregister();
    if (file !== undefined) {
      const open = file;
      file = undefined;
      await scanner.idle();
      await open.close().catch(() => undefined);
    }
    ended();
  }
}
