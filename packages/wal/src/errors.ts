/**
 * Stable error codes of `@nori/wal`. Callers switch on `code`, never on the message.
 *
 * - `ERR_CONFIG`: `Wal.open` received an invalid configuration.
 * - `ERR_CLOSED`: the WAL was closed (or is closing) when the call was made.
 * - `ERR_FAILED`: the WAL entered the failed state after a write or fsync error; `cause` holds it.
 * - `ERR_CORRUPTION`: damaged bytes found (strict recovery, or a reader meeting unknown damage).
 * - `ERR_LOCKED`: another process holds the directory's writer lock.
 * - `ERR_ABORTED`: an `AbortSignal` fired before the record was written.
 * - `ERR_RECORD_TOO_LARGE`: the encoded record exceeds `maxRecordSize` (append), or recovery met a
 *   whole record above `MAX_RECORD_SIZE_LIMIT` (open refuses; nothing is modified).
 * - `ERR_READ_ONLY`: a write was attempted on a WAL opened with `readOnly: true`.
 * - `ERR_INVALID_POSITION`: a position that is not a record boundary or lies past the end.
 * - `ERR_SEGMENT_GONE`: the requested position is in a segment already deleted by GC, or (a
 *   `readOnly` reader) the writer's GC deleted a segment the reader had not reached yet.
 * - `ERR_INVALID_RECORD`: the record input is malformed (bad key/value type, bad ttl, ...).
 * - `ERR_COMPRESSION_UNAVAILABLE` / `ERR_COMPRESSION_FAILED`: passed through from the codec.
 * - `ERR_NOT_FOUND`: a read-only open of a directory that does not exist.
 * - `ERR_INVALID_ARGUMENT`: an invalid option of a call (e.g. `read({ pollIntervalMs: 0 })`).
 * - `ERR_NOT_REGULAR_FILE`: at open, a segment, spare segment, side file or `quarantine` of the
 *   WAL directory is a symbolic link, a special file or a misplaced directory; the message names
 *   it, `cause` is a `StorageError` (`ERR_SYMLINK`, `EISDIR`, `ERR_NOT_REGULAR_FILE`).
 * - `ERR_LOG_CHANGING`: a `readOnly` open gave up because files it listed kept disappearing (a
 *   live writer's GC) while it read them.
 * - `ERR_INDEX_TRUNCATED`: the sequence number lies below `firstIndex` (removed by
 *   `truncateBefore` or GC), even while its segment file still exists.
 * - `ERR_INDEX_OUT_OF_RANGE`: the sequence number lies above `lastIndex`.
 * - `ERR_LOG_TRUNCATED`: a reader was positioned past the cut of a later `truncateAfter`.
 * - `ERR_INDEX_OVERFLOW`: an append would give a record an index above `Number.MAX_SAFE_INTEGER`
 *   (2^53 - 1); nothing is written.
 * - `ERR_IO`: a storage operation failed outside the writer (recovery, readers, GC, close);
 *   `cause` holds the storage error. (Write and fsync failures of the writer are `ERR_FAILED`.)
 */
export type WalErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_CLOSED'
  | 'ERR_FAILED'
  | 'ERR_CORRUPTION'
  | 'ERR_LOCKED'
  | 'ERR_ABORTED'
  | 'ERR_RECORD_TOO_LARGE'
  | 'ERR_READ_ONLY'
  | 'ERR_INVALID_POSITION'
  | 'ERR_SEGMENT_GONE'
  | 'ERR_INVALID_RECORD'
  | 'ERR_COMPRESSION_UNAVAILABLE'
  | 'ERR_COMPRESSION_FAILED'
  | 'ERR_NOT_FOUND'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_NOT_REGULAR_FILE'
  | 'ERR_LOG_CHANGING'
  | 'ERR_INDEX_TRUNCATED'
  | 'ERR_INDEX_OUT_OF_RANGE'
  | 'ERR_LOG_TRUNCATED'
  | 'ERR_INDEX_OVERFLOW'
  | 'ERR_IO';

/** The one error class thrown by `@nori/wal`; `code` is stable, `cause` holds the underlying error. */
export class WalError extends Error {
  /** Stable machine-readable code, see {@link WalErrorCode}. */
  readonly code: WalErrorCode;

  constructor(code: WalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WalError';
    this.code = code;
  }
}

/** Reads the `code` property of an unknown thrown value, if it has a string one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Normalises an unknown thrown value to an `Error` (for `cause` and observer events). */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** `error` if it already is a `WalError`, else a `WalError` `ERR_IO` about `what` with it as `cause`. */
export function ioError(what: string, error: unknown): WalError {
  if (error instanceof WalError) return error;
  const cause = toError(error);
  return new WalError('ERR_IO', `${what} failed: ${cause.message}`, { cause });
}

/** `ERR_CLOSED`: the WAL was closed (or is closing) when the call was made. */
export function closedError(): WalError {
  return new WalError('ERR_CLOSED', 'the WAL is closed');
}

/** `ERR_READ_ONLY`: `what` was attempted on a WAL opened with `readOnly: true`. */
export function readOnlyError(what: string): WalError {
  return new WalError('ERR_READ_ONLY', `${what} is not allowed: the WAL was opened with readOnly: true`);
}
