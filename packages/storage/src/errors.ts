/**
 * Stable error codes of `@nori/storage`. `ENOSPC` and `EIO` keep Node's spelling so callers can
 * treat both backends alike; other operating-system failures keep Node's `code` (e.g. `EACCES`).
 * `ERR_SYMLINK` / `ERR_NOT_REGULAR_FILE`: a name inside the storage is a symbolic link / a FIFO,
 * socket or device, which is never followed or used as a file (directories keep `EISDIR`).
 */
export type StorageErrorCode =
  | 'ERR_INVALID_PATH'
  | 'ERR_NOT_FOUND'
  | 'ERR_CLOSED'
  | 'ERR_LOCKED'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_READ_ONLY'
  | 'ENOSPC'
  | 'EIO'
  | 'ERR_CRASHED'
  | 'ERR_SYMLINK'
  | 'ERR_NOT_REGULAR_FILE';

/** Options for {@link StorageError}. */
export interface StorageErrorOptions {
  syscall?: string | undefined;
  path?: string | undefined;
  /** The operating system's error code as Node reports it (`ENOENT`, `EIO`, ...). */
  osCode?: string | undefined;
  cause?: unknown;
}

/** The one error class of `@nori/storage`; switch on `code`. */
export class StorageError extends Error {
  /** Stable code: one of {@link StorageErrorCode}, or Node's `code` for other OS errors. */
  readonly code: StorageErrorCode | (string & {});
  /** The failing system call (`open`, `fdatasync`, ...) or storage operation. */
  readonly syscall?: string;
  /** The storage-relative name the operation was about. */
  readonly path?: string;
  /** Node's original error code (`ENOENT` for `ERR_NOT_FOUND`), when an OS call failed. */
  readonly osCode?: string;

  constructor(code: StorageErrorCode | (string & {}), message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
    if (options.syscall !== undefined) this.syscall = options.syscall;
    if (options.path !== undefined) this.path = options.path;
    if (options.osCode !== undefined) this.osCode = options.osCode;
  }
}

/** True when `error` is a {@link StorageError}, optionally with the given code. */
export function isStorageError(error: unknown, code?: string): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}

const OS_CODE_MAP: Record<string, StorageErrorCode> = {
  ENOENT: 'ERR_NOT_FOUND',
  EBADF: 'ERR_CLOSED',
};

/**
 * Wraps a Node `fs` error in a {@link StorageError}: `ENOENT` becomes `ERR_NOT_FOUND`, every other
 * errno keeps Node's code (`ENOSPC`, `EIO`, `EACCES`, ...). The original error is the `cause`.
 */
export function fromNodeError(error: unknown, syscall: string, path: string): StorageError {
  if (error instanceof StorageError) return error;
  const osCode = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  const code = osCode === undefined ? 'EIO' : (OS_CODE_MAP[osCode] ?? osCode);
  const detail = error instanceof Error ? error.message : String(error);
  return new StorageError(code, `${syscall} ${path}: ${detail}`, { syscall, path, osCode, cause: error });
}
