/** Every error code of `@nori/archive`, in one list ({@link ArchiveErrorCode} is derived from it and says what each means). */
export const ARCHIVE_ERROR_CODES = [
  'ERR_NOT_FOUND',
  'ERR_PRECONDITION_FAILED',
  'ERR_CONFLICT',
  'ERR_CHECKSUM_MISMATCH',
  'ERR_CHECKSUM_MISSING',
  'ERR_INVALID_KEY',
  'ERR_INVALID_RANGE',
  'ERR_INVALID_ARGUMENT',
  'ERR_UNAVAILABLE',
  'ERR_TIMEOUT',
  'ERR_ABORTED',
  'ERR_ACCESS_DENIED',
  'ERR_CONFIG',
  'ERR_REQUEST_REJECTED',
  'ERR_FENCED',
  'ERR_ARCHIVE_CORRUPT',
  'ERR_OBJECT_MISSING',
  'ERR_CLOSED',
  'ERR_NO_GENERATION',
  'ERR_TARGET_UNREACHABLE',
  'ERR_DESTINATION_NOT_EMPTY',
  'ERR_REPLICA_DIVERGED',
  'ERR_REPLICA_TRIMMED',
  'ERR_WORKER_EXITED',
] as const;

/**
 * Stable error codes of `@nori/archive`:
 *
 * - `ERR_NOT_FOUND`: the key does not exist.
 * - `ERR_PRECONDITION_FAILED`: a conditional create (`ifNoneMatch: '*'`) found the key already
 *   there (HTTP 412); the stored object is unchanged.
 * - `ERR_CONFLICT`: a concurrent conditional write to the same key was in flight (HTTP 409);
 *   retrying gives a definite answer.
 * - `ERR_CHECKSUM_MISMATCH`: bytes do not match their CRC32C (a read found a corrupt object, or a
 *   put's `checksum` differs from its bytes, in which case nothing was written).
 * - `ERR_CHECKSUM_MISSING`: the object carries no nori CRC32C (it was not written by an
 *   `ObjectStore`), so its bytes cannot be verified.
 * - `ERR_INVALID_KEY` / `ERR_INVALID_RANGE` / `ERR_INVALID_ARGUMENT`: refused before any I/O.
 * - `ERR_UNAVAILABLE`: the store could not be reached or answered with a server error; a put
 *   may or may not have taken effect.
 * - `ERR_TIMEOUT`: the call ran out of time; a put may or may not have taken effect.
 * - `ERR_ABORTED`: the caller's `AbortSignal` fired; a put may or may not have taken effect.
 * - `ERR_ACCESS_DENIED`: credentials are missing, wrong or lack permission (HTTP 401/403).
 * - `ERR_CONFIG`: invalid configuration, or the bucket does not exist.
 * - `ERR_REQUEST_REJECTED`: any other refusal by the store (an unexpected HTTP 4xx).
 * - `ERR_FENCED`: another writer (a newer primary) owns the archive prefix; this archiver stops
 *   for good and wrote nothing after the point where it was fenced.
 * - `ERR_ARCHIVE_CORRUPT`: an archive object does not follow LAYOUT.md (bad header, CRC, seq, or
 *   a chunk that does not continue the log); the error names the key.
 * - `ERR_OBJECT_MISSING`: an object the archive layout requires is absent (a hole in the chunk
 *   sequence); the error names the key.
 * - `ERR_CLOSED`: the archiver was closed when the call was made (or while it waited).
 * - `ERR_NO_GENERATION`: the archive prefix holds no chunks, or not the requested generation.
 * - `ERR_TARGET_UNREACHABLE`: a restore target (`to` position or `toTime`) lies outside what the
 *   chosen generation holds (after its end, or before its first retained chunk).
 * - `ERR_DESTINATION_NOT_EMPTY`: restore refuses a destination that already holds files.
 * - `ERR_REPLICA_DIVERGED`: a replica reached a new generation whose bytes differ from what it
 *   already yielded (or cannot be checked against it): the primary's history changed under it.
 * - `ERR_REPLICA_TRIMMED`: retention deleted the chunks a replica needs to continue from its
 *   position (or the generation it names).
 * - `ERR_WORKER_EXITED`: the worker thread of a `WorkerObjectStore` exited or crashed; the store
 *   (and an archiver shipping through it) can do nothing more.
 */
export type ArchiveErrorCode = (typeof ARCHIVE_ERROR_CODES)[number];

/** Codes whose operation may succeed when simply retried. */
const RETRYABLE: ReadonlySet<ArchiveErrorCode> = new Set(['ERR_CONFLICT', 'ERR_UNAVAILABLE', 'ERR_TIMEOUT']);

/** Options for {@link ArchiveError}. */
export interface ArchiveErrorOptions {
  /** The store operation that failed (`put`, `get`, `head`, `list`, `delete`). */
  op?: string | undefined;
  /** The object key (or list prefix) the operation was about. */
  key?: string | undefined;
  /** HTTP status of the store's answer, when there was one. */
  status?: number | undefined;
  cause?: unknown;
}

/** The one error class of `@nori/archive`; switch on `code`. */
export class ArchiveError extends Error {
  /** Stable code, one of {@link ArchiveErrorCode}. */
  readonly code: ArchiveErrorCode;
  /** The failing operation. */
  readonly op?: string;
  /** The key (or list prefix) the operation was about. */
  readonly key?: string;
  /** HTTP status of the store's answer, when there was one. */
  readonly status?: number;

  constructor(code: ArchiveErrorCode, message: string, options: ArchiveErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ArchiveError';
    this.code = code;
    if (options.op !== undefined) this.op = options.op;
    if (options.key !== undefined) this.key = options.key;
    if (options.status !== undefined) this.status = options.status;
  }

  /** True for transient failures (`ERR_UNAVAILABLE`, `ERR_TIMEOUT`, `ERR_CONFLICT`). */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

/** True when `code` is one of {@link ARCHIVE_ERROR_CODES}. */
export function isArchiveErrorCode(code: unknown): code is ArchiveErrorCode {
  return typeof code === 'string' && (ARCHIVE_ERROR_CODES as readonly string[]).includes(code);
}

/** True when `error` is an {@link ArchiveError}, optionally with the given code. */
export function isArchiveError(error: unknown, code?: ArchiveErrorCode): error is ArchiveError {
  return error instanceof ArchiveError && (code === undefined || error.code === code);
}
