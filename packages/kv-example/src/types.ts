import type { ArchiverOptions } from '@nori/archive';
import type { Storage } from '@nori/storage';
import type { FsyncPolicy, Position, RecoveryMode, RecoveryReport, WalObserver, WalStats } from '@nori/wal';
import type { BytesLike } from './bytes.js';

/** Options of {@link KvStore.open}. */
export interface KvOpenOptions {
  /** Directory of the store (a `NodeFileStorage` is created for it). Ignored when `storage` is given. */
  dir?: string;
  /** Storage backend; all file I/O goes through it (use `MemoryStorage` to simulate crashes). */
  storage?: Storage;
  /** Create the store when the directory holds none (default true); otherwise fail with `ERR_NO_STORE`. */
  createIfMissing?: boolean;
  /**
   * Open without the writer lock, while another process may write: the state as of the open
   * (no tailing), never modifies a file, writes fail with `ERR_READ_ONLY`. Implies
   * `createIfMissing: false`.
   */
  readOnly?: boolean;
  /** WAL fsync policy (default: the WAL's, group commit with a 5 ms window). */
  fsync?: FsyncPolicy | 'always' | 'os' | 'batch';
  /**
   * Resolve writes only once they are durable (fsynced) — the default. With `false` a write
   * resolves once handed to the OS and survives a process crash but not a power loss.
   */
  durable?: boolean;
  /** WAL segment size in bytes (default: the WAL's, 128 MiB). */
  maxSegmentSize?: number;
  /** WAL recovery mode (default `tolerate-tail`: a torn tail from a crash is cut off). */
  recovery?: RecoveryMode;
  /** Preallocate WAL segments (default: the WAL's). */
  preallocate?: boolean;
  /** WAL event hook (fsyncs, segment rolls, recovery...), e.g. from `@nori/observability-otel`. */
  observer?: WalObserver;
  /** Clock used for TTLs, in Unix ms (default `Date.now`). Tests inject a fake one. */
  now?: () => number;
  /** Progress of a long open (snapshot load, log replay). */
  onProgress?: (event: KvProgressEvent) => void;
  /** Aborts a long open. */
  signal?: AbortSignal;
  /**
   * Remote durability: attach an `@nori/archive` `Archiver` (store, prefix, `takeover`, ...) to
   * the store's WAL, and resolve every write only once its bytes are in the object store
   * (`archiver.append` / `appendBatch`: a write survives the loss of the machine). Concurrent
   * writes share one fsync and one PUT. `close()` flushes and closes the archiver before the WAL.
   * Another primary owning the prefix fails the open (or, later, the writes) with `ERR_FENCED`.
   */
  archive?: ArchiverOptions;
}

/** Progress of a long-running store operation. */
export interface KvProgressEvent {
  /** `snapshot-load` and `snapshot-write` count entries, `replay` counts log bytes. */
  phase: 'snapshot-load' | 'replay' | 'snapshot-write';
  done: number;
  total: number;
}

/** Options of a single put. Give at most one of `ttlMs` and `expiresAt`. */
export interface KvPutOptions {
  /** Expire the key this many milliseconds from now. */
  ttlMs?: number;
  /** Expire the key at this Unix time (ms). */
  expiresAt?: number;
  /** Aborts the write while it waits in the WAL queue. */
  signal?: AbortSignal;
}

/** One operation of an atomic {@link KvStore.batch}. */
export type KvBatchOperation = { type: 'put'; key: BytesLike; value: BytesLike; ttlMs?: number; expiresAt?: number } | { type: 'del'; key: BytesLike };

/** A key-value pair returned by {@link KvStore.scan} and {@link KvStore.getEntry}. */
export interface KvEntry {
  key: Uint8Array;
  value: Uint8Array;
  /** Unix ms when the key expires; undefined when it never does. */
  expiresAt: number | undefined;
}

/** Options of {@link KvStore.scan}. */
export interface KvScanOptions {
  /** Only keys starting with these bytes (strings are UTF-8). Default: every key. */
  prefix?: BytesLike;
  /** At most this many entries. Default: no limit. */
  limit?: number;
}

/** Describes the snapshot a store was opened from or last wrote. */
export interface KvSnapshotInfo {
  /** WAL position the snapshot covers: every record before it is in the snapshot. */
  position: Position;
  entries: number;
  bytes: number;
  /** Unix ms. */
  createdAt: number;
}

/** What {@link KvStore.open} did to rebuild the index. */
export interface KvOpenReport {
  /** The WAL's own recovery report (torn tail, truncated bytes, rolled-back batches...). */
  wal: RecoveryReport;
  /** The snapshot loaded, if any. */
  snapshot: KvSnapshotInfo | undefined;
  /** WAL records replayed on top of the snapshot. */
  replayedRecords: number;
  /** Bytes of WAL replayed on top of the snapshot. */
  replayedBytes: number;
  /** Live keys after opening. */
  keys: number;
  /** Snapshot entries and replayed puts dropped because their TTL had passed. */
  expiredOnOpen: number;
  /** A temp snapshot left by a crash during compaction was removed. */
  removedStaleTemp: boolean;
  /**
   * The snapshot covered more of the log than the WAL recovered (e.g. segments were removed by
   * hand); it was rewritten at the WAL's end so new writes are not hidden behind it.
   */
  reanchored: boolean;
  durationMs: number;
}

/** Result of {@link KvStore.compact}. */
export interface KvCompactReport {
  snapshot: KvSnapshotInfo;
  /** Expired keys left out of the snapshot. */
  expiredDropped: number;
  /** WAL segment ids deleted because the snapshot covers them. */
  segmentsDeleted: number[];
  durationMs: number;
}

/** Options of {@link KvStore.compact}. */
export interface KvCompactOptions {
  onProgress?: (event: KvProgressEvent) => void;
  signal?: AbortSignal;
}

/** Point-in-time statistics of a store. */
export interface KvStats {
  /** Live (unexpired) keys. */
  keys: number;
  /** Key + value bytes of live keys. */
  liveBytes: number;
  /** Entries whose TTL passed but are still held (dropped on access or compaction). */
  expiredPending: number;
  wal: WalStats;
  snapshot: KvSnapshotInfo | undefined;
  /** Writes issued to the WAL but not acknowledged yet. */
  inFlightWrites: number;
}
