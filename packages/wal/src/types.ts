import type { Storage } from '@nori/storage';
import type { WalRecord } from '@nori/codec';

/** Where a record starts: the segment file id and the byte offset inside it. */
export interface Position {
  segmentId: number;
  offset: number;
}

/**
 * When an acknowledged append is durable.
 * - `always`: `append` resolves only once its bytes are fsynced (group commit shares fsyncs).
 * - `batch`: resolves once written to the OS; a timer fsyncs within `windowMs` (and early once
 *   `maxBytes` unsynced bytes accumulate), even if no further append arrives.
 * - `os`: resolves once handed to the OS: survives a process crash, not a power loss.
 */
export type FsyncPolicy = { kind: 'always' } | { kind: 'batch'; windowMs: number; maxBytes?: number } | { kind: 'os' };

/**
 * What recovery does with damaged bytes (see the package README for the full table).
 * - `tolerate-tail` (default): truncate a torn or zero-filled tail of the last segment; damage
 *   followed by valid records is handled like `point-in-time` and reported in `corruptions`.
 * - `point-in-time`: stop at the first damage; later bytes and segments go to `quarantine/`.
 * - `strict`: any damage (including a torn tail, or a region an earlier salvage skipped) throws
 *   `ERR_CORRUPTION`; nothing is modified.
 * - `salvage`: skip damaged regions by resyncing on the next valid record, and report them. The
 *   regions are recorded in `salvaged.json` before the log grows, and every later open (any mode
 *   but `strict`) skips them too.
 */
export type RecoveryMode = 'tolerate-tail' | 'point-in-time' | 'strict' | 'salvage';

/** Vendor-neutral hook; every method optional; zero cost when absent. */
export interface WalObserver {
  /** A single `append` or an `appendBatch` was written (handed to the OS). */
  onAppend?(e: { records: number; bytes: number; batch: boolean }): void;
  /** An fsync of segment data completed (or failed: `ok: false`). */
  onFsync?(e: { durationMs: number; bytes: number; records: number; appends: number; ok: boolean }): void;
  /** A new segment became active. */
  onSegmentRolled?(e: { segmentId: number; previousSegmentId: number; previousSize: number }): void;
  /** GC removed a segment. */
  onSegmentDeleted?(e: { segmentId: number; bytes: number }): void;
  /** `Wal.open` finished recovery. */
  onRecovery?(report: RecoveryReport): void;
  /** Recovery found damage in the middle of the log and acted on it. */
  onCorruption?(e: CorruptionInfo & { action: 'truncated' | 'quarantined' | 'skipped' | 'failed' }): void;
  /** The WAL entered the failed state. */
  onFailed?(e: { error: Error }): void;
}

/** Options of `Wal.open`. */
export interface WalConfig {
  /** Directory for a `NodeFileStorage` (sparse preallocation) when `storage` is not given. */
  dir?: string;
  /** Any `Storage` backend (e.g. `MemoryStorage` in tests). */
  storage?: Storage;
  /** Rotate before a segment would exceed this many bytes. Default 128 MiB. */
  maxSegmentSize?: number;
  /** Default `{ kind: 'batch', windowMs: 5 }`. */
  fsync?: FsyncPolicy | 'always' | 'os' | 'batch';
  /** Preallocate (zero-fill) new segments to `maxSegmentSize`. Default true. */
  preallocate?: boolean;
  /** Default `'tolerate-tail'`. */
  recovery?: RecoveryMode;
  /**
   * Largest encoded record (and decompressed value) `append` accepts. Default: the codec's
   * (64 MiB). Reading is not limited by it: recovery and readers accept every record up to
   * `MAX_RECORD_SIZE_LIMIT` (1 GiB), so a log written with a larger limit opens whole.
   */
  maxRecordSize?: number;
  /** Backpressure: encoded bytes allowed to wait for the writer. Default 64 MiB. */
  maxQueuedBytes?: number;
  /** Open without the lock, modify nothing; recovery only reports what it would do. */
  readOnly?: boolean;
  /** Event hook for metrics and tracing. */
  observer?: WalObserver;
  /**
   * Aborts a long `Wal.open` (recovery of a large log): it rejects with `ERR_ABORTED`, releases the
   * lock and leaves the directory as a crash at that point would (every recovery step is crash-safe).
   * Only the open is affected; the returned WAL does not watch it.
   */
  signal?: AbortSignal;
}

/** A record read back from the log, with where it lives and its encoded size. */
export interface WalEntry extends WalRecord {
  /** Sequence number (1 for the first record a log ever held; see the README, "Sequence numbers"). */
  index: number;
  position: Position;
  size: number;
}

/** What `append` resolves with (and `appendBatch`, once per record). */
export interface AppendResult {
  /** The record's sequence number: one more than the previous record's. */
  index: number;
  /** Where the record starts. */
  position: Position;
}

/** Per-append options. */
export interface AppendOptions {
  /** Resolve only once the record is fsynced, whatever the policy. */
  durable?: boolean;
  /** Abort while the record still waits for the writer (`ERR_ABORTED`, nothing written). */
  signal?: AbortSignal;
}

/** Options of `wal.read`. */
export interface ReadOptions {
  /** First record to return (a record boundary); default: the record at `firstIndex`. */
  from?: Position;
  /** First record to return, by sequence number (instead of `from`). */
  fromIndex?: number;
  /** Last record to return (inclusive), by sequence number. */
  toIndex?: number;
  /** Most records to return. */
  limit?: number;
  /**
   * Keep waiting for new records at the end instead of finishing. On a `readOnly` WAL (another
   * process writes) the reader polls the files for growth and new segments (see `pollIntervalMs`),
   * never returns bytes past the last complete valid record and waits for a partly written one.
   */
  follow?: boolean;
  /** How often a following reader of a `readOnly` WAL looks for new records. Default 50 ms. */
  pollIntervalMs?: number;
  /** Stops the iteration: the iterator then ends cleanly (no error). */
  signal?: AbortSignal;
  /**
   * Default `false`: key/value are views into the chunk they were read with; chunks are never
   * reused, so views stay valid for good, but a retained entry keeps its chunk (about 1 MiB)
   * alive. `true`: compact copies, for readers that keep a few entries for long.
   */
  copy?: boolean;
  /**
   * Default `false`. `true`: key/value are views into two read buffers the reader recycles, so an
   * entry is valid only until the next `next()` call (the next loop turn of `for await`): copy
   * what you keep. No buffer is allocated per chunk read, so memory stays at two chunks and the
   * garbage collector has nothing to reclaim: the fastest way to replay a log into another
   * structure. Excludes `copy: true` (`ERR_INVALID_ARGUMENT`).
   */
  reuseBuffers?: boolean;
}

/** One segment file. `size` is the logical size (bytes of records). */
export interface SegmentInfo {
  id: number;
  name: string;
  size: number;
  active: boolean;
}

/** Counters and watermarks. */
export interface WalStats {
  segments: number;
  diskBytes: number;
  queuedBytes: number;
  appendedRecords: number;
  appendedBytes: number;
  fsyncs: number;
  writtenPosition: Position;
  durablePosition: Position;
  /** See `Wal.firstIndex` / `Wal.lastIndex`. */
  firstIndex: number;
  lastIndex: number;
  /** Memory held by the sparse index behind `get` (16 bytes per sampled record). */
  sparseIndexBytes: number;
}

/** What recovery found and did. */
export interface RecoveryReport {
  mode: RecoveryMode;
  records: number;
  segments: number;
  bytesScanned: number;
  /** Torn / zero tail bytes removed (or, read-only, that would be removed). */
  bytesTruncated: number;
  tail: 'clean' | 'torn' | 'zero-filled' | 'none';
  /** Damage found in the middle of the log. */
  corruptions: CorruptionInfo[];
  /** Paths moved (or, read-only, that would be moved) to `quarantine/`. */
  quarantined: string[];
  /**
   * Regions skipped: found by this `salvage` recovery, or listed in `salvaged.json` by an earlier
   * one (honoured in every mode but `strict`).
   */
  skipped: { from: Position; to: Position }[];
  /** Partial `appendBatch` writes removed. */
  batchesRolledBack: number;
  /** Where the next append goes. */
  lastPosition: Position;
  durationMs: number;
  /** True when opened read-only: nothing was modified, the report says what would be done. */
  readOnly: boolean;
}

/** One damaged place in the log. */
export interface CorruptionInfo {
  segmentId: number;
  offset: number;
  reason: string;
}
