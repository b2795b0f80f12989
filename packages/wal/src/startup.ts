import type { Storage, StorageLock } from '@nori/storage';
import { MAX_RECORD_SIZE_LIMIT, type ResolvedConfig } from './config.js';
import { refuseUnsafeEntries } from './entry-check.js';
import { WalError, errorCode, ioError } from './errors.js';
import { FIRST_INDEX, firstIndexes, readIndexAnchor, removeStaleIndexTmp, type IndexAnchor } from './index-file.js';
import { hook } from './observer.js';
import { throwIfAborted } from './options.js';
import { sampleSegment, type PointReadView } from './point-read.js';
import { persistSkippedRegions, recover, type RecoveredSegment, type RecoveryOptions, type RecoveryResult, type SkippedRegion } from './recovery.js';
import { appendsToNextSegment } from './recovery-types.js';
import { SealedLog, removeStaleSealedTmp, writeSealedLog } from './sealed-segments.js';
import { SegmentHandles } from './segment-handles.js';
import { openActiveSegment } from './segment-files.js';
import { SegmentTable } from './segment-table.js';
import { SequenceIndex } from './sequence-index.js';
import { removeStaleSkippedTmp } from './skipped-regions.js';
import { removeStaleSpares } from './spare-segment.js';
import { completePendingCut, readCutIntent, type CutIntent } from './truncation.js';
import type { RecoveryReport } from './types.js';
import { NOTHING_FLUSHED, flushTail, type FlushedTail } from './tail-flush.js';
import { Writer } from './writer.js';

/** Everything a `Wal` is built from once it is open. */
export interface StartedWal {
  report: RecoveryReport;
  /** Undefined when read-only. */
  writer: Writer | undefined;
  lock: StorageLock | undefined;
  table: SegmentTable;
  skips: Map<number, SkippedRegion[]>;
  sequence: SequenceIndex;
  handles: SegmentHandles;
  /** `sealed.log` (writable only). */
  sealedLog: SealedLog | undefined;
  /** What `index.json` holds (undefined: no file). */
  anchor: IndexAnchor | undefined;
}

/**
 * `Wal.open`'s whole sequence, in one place: take the writer lock (unless read-only), refuse
 * unsafe directory entries, complete an interrupted `truncateAfter`, recover, remove leftovers
 * of interrupted writes, read `index.json`, make salvage's regions and `sealed.log` true, and
 * start the writer on the active segment (the next one when recovery sealed the last).
 * The lock is released when any step fails.
 */
export async function startWal(cfg: ResolvedConfig): Promise<StartedWal> {
  throwIfAborted(cfg.signal, 'Wal.open');
  const lock = cfg.readOnly ? undefined : await takeLock(cfg.storage);
  try {
    const started = await startLocked(cfg, lock);
    hook(cfg.observer, 'onRecovery')?.(started.report);
    return started;
  } catch (error) {
    await lock?.release().catch(() => undefined);
    throw error;
  }
}

/** The writer lock, or `ERR_LOCKED` when another writer holds it. */
async function takeLock(storage: Storage): Promise<StorageLock> {
  try {
    return await storage.lock();
  } catch (error) {
    if (errorCode(error) === 'ERR_LOCKED') {
      throw new WalError('ERR_LOCKED', `the WAL at ${storage.description} is locked by another writer`, { cause: error });
    }
    throw ioError(`locking ${storage.description}`, error);
  }
}

/** The steps of {@link startWal} that run under the lock. */
async function startLocked(cfg: ResolvedConfig, lock: StorageLock | undefined): Promise<StartedWal> {
  const { storage } = cfg;
  const { result, pendingCut, anchor, flushed } = await recoverLog(cfg);
  throwIfAborted(cfg.signal, 'Wal.open');
  const { report, skips } = result;
  const segments = pendingCut !== undefined && cfg.readOnly ? clampToCut(result, pendingCut) : result.segments;
  const table = new SegmentTable();
  const handles = new SegmentHandles(storage);
  const view: PointReadView = { storage, maxRecordSize: MAX_RECORD_SIZE_LIMIT, table, skips, handles };
  const sequence = buildSequence(view, segments, anchor, cfg.readOnly ? pendingCut : undefined);
  const last = segments[segments.length - 1];
  // A read-only open appends nothing: its last segment stays the active one for readers.
  const nextSegment = appendsToNextSegment(last) && !cfg.readOnly;
  segments.forEach((s, i) => table.add({ id: s.id, size: s.size, fileSize: s.fileSize, active: i === segments.length - 1 && !nextSegment }));
  const started: StartedWal = { report, writer: undefined, lock, table, skips, sequence, handles, sealedLog: undefined, anchor };
  if (cfg.readOnly) return started;
  started.sealedLog = await settleSideFiles(cfg, result);
  const lastWithData = [...segments].reverse().find((segment) => segment.size > 0)?.id;
  started.writer = await startWriter(cfg, { table, sequence, sealedLog: started.sealedLog }, last, { sealed: nextSegment, lastWithData, flushed });
  return started;
}

/** What {@link recoverLog} found. */
interface RecoveredLog {
  result: RecoveryResult;
  pendingCut: CutIntent | undefined;
  /** What `index.json` holds (undefined: no file). */
  anchor: IndexAnchor | undefined;
  /** The log's tail made durable during the scan (writable opens). */
  flushed: FlushedTail;
}

/**
 * Completes (or, read-only, reads) an interrupted `truncateAfter`, then recovers the log and reads
 * the index anchor. A writable open reads the anchor, removes leftovers of interrupted writes and
 * flushes the log's tail ({@link flushTail}) during the scan: under the lock nothing else changes
 * those files, recovery neither reads nor writes the side files, and a pending cut (which rewrites
 * `index.json`) is complete by then. A read-only open reads the anchor after the scan: a live
 * writer's GC rewrites it before deleting segments, so an anchor read before the listing could
 * name a segment already gone.
 */
async function recoverLog(cfg: ResolvedConfig): Promise<RecoveredLog> {
  const { storage } = cfg;
  let alongside: Promise<IndexAnchor | undefined> | undefined;
  let tail: Promise<FlushedTail> | undefined;
  try {
    await refuseUnsafeEntries(storage);
    // A truncateAfter a crash interrupted is completed before the scan sees the log.
    const pendingCut = cfg.readOnly ? await readCutIntent(storage) : await completePendingCut(storage);
    if (!cfg.readOnly) {
      alongside = readAnchorAndTidy(storage);
      tail = flushTail(storage).catch((error: unknown) => {
        throw ioError(`flushing the tail of ${storage.description}`, error);
      });
      // Observed at once so a failed scan never leaves a rejection unhandled; awaited below or in catch.
      alongside.catch(() => undefined);
      tail.catch(() => undefined);
    }
    const options: RecoveryOptions = {
      mode: cfg.recovery,
      readLimit: MAX_RECORD_SIZE_LIMIT,
      readOnly: cfg.readOnly,
      keepZeroTail: cfg.preallocate,
      observer: cfg.observer,
      signal: cfg.signal,
    };
    const result = cfg.readOnly ? await recoverReadOnly(storage, options) : await recover(storage, options);
    const anchor = await (alongside ?? readAnchor(storage));
    const flushed = (await tail) ?? NOTHING_FLUSHED;
    return { result, pendingCut, anchor, flushed };
  } catch (error) {
    // Nothing of this open may still be running once the lock is released.
    await Promise.allSettled([alongside, tail]);
    if (cfg.readOnly && errorCode(error) === 'ERR_NOT_FOUND' && !(error instanceof WalError)) {
      throw new WalError('ERR_NOT_FOUND', `no WAL at ${storage.description}`, { cause: error });
    }
    throw ioError(`recovery of ${storage.description}`, error);
  }
}

/** `index.json`'s anchor; a failure is an `ERR_IO` WalError naming the side file. */
function readAnchor(storage: Storage): Promise<IndexAnchor | undefined> {
  return readIndexAnchor(storage).catch((error: unknown) => {
    throw ioError(`reading the index side file of ${storage.description}`, error);
  });
}

/** Reads the anchor and removes leftovers of interrupted writes (independent files) together. */
async function readAnchorAndTidy(storage: Storage): Promise<IndexAnchor | undefined> {
  const [anchor] = await Promise.all([readAnchor(storage), removeLeftovers(storage)]);
  return anchor;
}

/**
 * Makes the side files true to what recovery found before the log grows: salvage's skipped
 * regions become permanent at once (a later open in any mode must skip them too, whether or not
 * anything is appended before then), then `sealed.log` drops the entries of damaged segments
 * (only once the damage is recorded). Returns the `sealed.log` the writer keeps.
 */
async function settleSideFiles(cfg: ResolvedConfig, result: RecoveryResult): Promise<SealedLog> {
  const { storage } = cfg;
  if (result.regionsChanged) {
    await persistSkippedRegions(storage, result.regions, result.freshRegions).catch((error: unknown) => {
      throw ioError(`recording salvaged regions of ${storage.description}`, error);
    });
  }
  if (result.sealed.changed) {
    await writeSealedLog(storage, result.sealed.entries).catch((error: unknown) => {
      throw ioError(`rewriting sealed.log of ${storage.description}`, error);
    });
  }
  return new SealedLog(storage, { entries: result.sealed.entries, exists: result.sealed.exists || result.sealed.changed });
}

/** How often a read-only open re-lists a log whose files keep disappearing under it. */
const READ_ONLY_ATTEMPTS = 10;

/**
 * Recovery of a log another process may be writing: a segment it listed can be deleted by that
 * writer's GC before it is opened. That is a race, not a missing log: list again and start over
 * (bounded; `ERR_LOG_CHANGING` when the log keeps changing faster than it can be read).
 */
async function recoverReadOnly(storage: Storage, options: RecoveryOptions): Promise<RecoveryResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await recover(storage, options);
    } catch (error) {
      if (errorCode(error) !== 'ERR_NOT_FOUND' || error instanceof WalError) throw error;
      // Throws ERR_NOT_FOUND itself when the directory is what is missing.
      await storage.list();
      if (attempt === READ_ONLY_ATTEMPTS) {
        throw new WalError(
          'ERR_LOG_CHANGING',
          `the log at ${storage.description} kept changing while it was read (files disappeared ${attempt} times); try again`,
          { cause: error },
        );
      }
    }
  }
}

/** What a writer works with besides the config. */
export interface WriterParts {
  table: SegmentTable;
  sequence: SequenceIndex;
  sealedLog: SealedLog | undefined;
}

/**
 * Opens the active segment and starts the writer: `last` is appended to, or (no segment yet, or
 * `sealed`: salvage sealed it) the next segment is created. Makes recovered bytes durable first.
 */
export async function startWriter(
  cfg: ResolvedConfig,
  parts: WriterParts,
  last: Pick<RecoveredSegment, 'id' | 'size' | 'fileSize' | 'records'> | undefined,
  how: { sealed: boolean; lastWithData: number | undefined; flushed?: FlushedTail },
): Promise<Writer> {
  const { storage } = cfg;
  const { table, sequence, sealedLog } = parts;
  const from = last === undefined ? undefined : { ...last, sealed: how.sealed, lastWithData: how.lastWithData };
  const { id, file, size, fileSize } = await openActiveSegment(cfg, from, how.flushed ?? NOTHING_FLUSHED).catch((error: unknown) => {
    throw ioError(`opening the active segment of ${storage.description}`, error);
  });
  if (last === undefined || how.sealed) {
    table.add({ id, size: 0, fileSize, active: true });
    sequence.addSegment(id, sequence.nextIndex);
  } else {
    table.setSize(id, size, fileSize);
  }
  const options = { ...cfg, policy: cfg.fsync, sealed: sealedLog, sequence };
  return new Writer(options, { id, file, size, fileSize, records: how.sealed ? 0 : (last?.records ?? 0) }, table);
}

/**
 * The sequence numbers of the recovered log: each segment's first index from `index.json` (or 1
 * at the oldest segment), its record count, and a sampler for the sparse index.
 */
function buildSequence(
  view: PointReadView,
  segments: readonly RecoveredSegment[],
  anchor: IndexAnchor | undefined,
  pendingCut: CutIntent | undefined,
): SequenceIndex {
  const firsts = firstIndexes(segments, anchor);
  const cutSegment = segments[segments.length - 1];
  if (pendingCut !== undefined && cutSegment !== undefined) {
    // Read-only view of a cut in progress: the cut segment ends with record `index`.
    cutSegment.records = Math.max(0, pendingCut.index + 1 - (firsts[firsts.length - 1] as number));
  }
  const lastSegment = segments[segments.length - 1];
  const next = lastSegment === undefined ? (anchor?.firstIndex ?? FIRST_INDEX) : (firsts[firsts.length - 1] as number) + lastSegment.records;
  const sequence = new SequenceIndex((id, end, first) => sampleSegment(view, id, end, first), next, anchor?.truncatedBefore ?? 0);
  segments.forEach((segment, i) => sequence.addRecovered({ ...segment, firstIndex: firsts[i] as number }));
  return sequence;
}

/** A read-only open of a log with a `truncateAfter` in progress sees it as cut (the writer finishes it). */
function clampToCut(result: RecoveryResult, cut: CutIntent): RecoveredSegment[] {
  const kept = result.segments.filter((segment) => segment.id <= cut.at.segmentId);
  const last = kept[kept.length - 1];
  if (last !== undefined && last.id === cut.at.segmentId) {
    last.size = Math.min(last.size, cut.at.offset);
    last.fileSize = Math.min(last.fileSize, cut.at.offset);
    result.report.lastPosition = { ...cut.at };
  }
  return kept;
}

/**
 * Removes what interrupted writes left behind (spare segments, side-file temporaries). Each
 * targets its own files, so they run concurrently; a failure is an `ERR_IO` WalError.
 */
async function removeLeftovers(storage: Storage): Promise<void> {
  await Promise.all([removeStaleSpares(storage), removeStaleSkippedTmp(storage), removeStaleSealedTmp(storage), removeStaleIndexTmp(storage)]).catch(
    (error: unknown) => {
      throw ioError(`removing leftover files of ${storage.description}`, error);
    },
  );
}
