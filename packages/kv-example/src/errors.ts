/**
 * Stable error codes of `@nori/kv-example`. Callers switch on `code`, never on the message.
 *
 * - `ERR_INVALID_ARGUMENT`: a key, value, option or batch entry is malformed.
 * - `ERR_INVALID_TTL`: a TTL or expiry is not a positive integer number of milliseconds.
 * - `ERR_NOT_FOUND`: the key does not exist (CLI `get` / `del`).
 * - `ERR_NO_STORE`: the directory holds no store and `createIfMissing` is false.
 * - `ERR_BAD_DIR`: the directory cannot be used (not a directory, no permission, ...).
 * - `ERR_LOCKED`: another process has the store open.
 * - `ERR_SNAPSHOT_CORRUPT`: the snapshot file fails its checksum or is truncated.
 * - `ERR_SNAPSHOT_VERSION`: the snapshot file was written by an unknown format version.
 * - `ERR_SNAPSHOT_MISSING`: compaction deleted log segments but `kv.snapshot`, which holds their
 *   records, is gone; the store refuses to open without them.
 * - `ERR_READ_ONLY`: a write (put, delete, batch, compact) on a store opened with `readOnly: true`.
 * - `ERR_CORRUPTION`: the log is damaged in a way recovery cannot repair (e.g. segments the
 *   snapshot does not cover are missing).
 * - `ERR_CLOSED`: the store was closed.
 * - `ERR_FAILED`: the underlying log failed (I/O error); the store refuses further writes.
 * - `ERR_ABORTED`: an `AbortSignal` fired.
 * - `ERR_FENCED`: with the `archive` option, a newer primary owns the archive prefix.
 */
export type KvErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_INVALID_TTL'
  | 'ERR_NOT_FOUND'
  | 'ERR_NO_STORE'
  | 'ERR_BAD_DIR'
  | 'ERR_LOCKED'
  | 'ERR_SNAPSHOT_CORRUPT'
  | 'ERR_SNAPSHOT_VERSION'
  | 'ERR_SNAPSHOT_MISSING'
  | 'ERR_READ_ONLY'
  | 'ERR_CORRUPTION'
  | 'ERR_CLOSED'
  | 'ERR_FAILED'
  | 'ERR_ABORTED'
  | 'ERR_FENCED';

/** The one error class of the key-value store; `code` is stable, `cause` keeps the original error. */
export class KvError extends Error {
  /** Stable machine-readable code. */
  readonly code: KvErrorCode;

  /** Creates an error with a stable `code` and an optional underlying `cause`. */
  constructor(code: KvErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KvError';
    this.code = code;
  }
}

/** True when `error` is a {@link KvError}, optionally with the given code. */
export function isKvError(error: unknown, code?: KvErrorCode): error is KvError {
  return error instanceof KvError && (code === undefined || error.code === code);
}

/** Reads the `code` property of any error-like value (WalError, StorageError, Node errors). */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
