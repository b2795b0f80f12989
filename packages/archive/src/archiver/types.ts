import type { Position } from '@nori/wal';

/** How often the archiver checks whether `maxBytes` durable bytes are waiting. */
export const PENDING_POLL_MS = 50;

/** `running`; `fenced` or `failed` (stopped by an error, see `error`); `closed`. */
export type ArchiverState = 'running' | 'fenced' | 'failed' | 'closed';

/** How far the archive is behind the local log. */
export interface ArchiverLag {
  /** Durable local bytes not archived yet. */
  bytes: number;
  /**
   * Roughly how long the oldest of them has waited (0 when caught up): measured from when the
   * archiver first saw them pending, so it can be low by up to {@link PENDING_POLL_MS}.
   */
  seconds: number;
}

/** Counters of an {@link Archiver}. */
export interface ArchiverStats {
  generation: number;
  /** The seq the next chunk gets. */
  nextSeq: number;
  /** Data chunks created by this instance. */
  chunks: number;
  /** Payload bytes of those chunks. */
  bytes: number;
  archivedPosition: Position;
}

/** Options of {@link Archiver.flush}. */
export interface FlushOptions {
  /** Stops waiting (`ERR_ABORTED`); shipping itself goes on. */
  signal?: AbortSignal;
}

/** Options of {@link Archiver.close}. */
export interface CloseOptions {
  /** Flush before stopping (see {@link Archiver.flush}); a flush failure is rethrown after stopping. */
  flush?: boolean;
  /** Bounds the flush (`ERR_ABORTED`); the archiver stops either way. */
  signal?: AbortSignal;
}

/** Options of {@link Archiver.append}, {@link Archiver.appendBatch} and {@link Archiver.waitArchived}. */
export interface RemoteDurableOptions {
  /**
   * Before the WAL takes the record: nothing is written (`ERR_ABORTED` from the WAL). After: stops
   * waiting (`ERR_ABORTED`); the record is in the local log and may still be archived.
   */
  signal?: AbortSignal;
}
