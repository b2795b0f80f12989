import { isStorageError } from '@nori/storage';

/**
 * Exit codes of `nori-wal`. Stable: scripts may switch on them.
 *
 * - `OK` (0): the command succeeded; for `verify`, the log is clean (a zero-filled, preallocated
 *   tail is normal after a crash and does not count as damage).
 * - `ERROR` (1): the command could not run: missing directory, not a WAL directory, locked, bad
 *   `--from`, malformed `salvaged.json` or `sealed.log`, I/O error.
 * - `USAGE` (2): unknown command or option, missing or malformed argument; `repair` that would
 *   remove healthy records, run without `--yes` and not confirmed at a terminal prompt.
 * - `CORRUPT` (3): corruption before the tail (CRC mismatch, bad length, undecodable value,
 *   damaged or missing earlier segment). Records after it are at risk. `restore`: a damaged or
 *   missing archive object (`ERR_ARCHIVE_CORRUPT`, `ERR_OBJECT_MISSING`).
 * - `TORN_TAIL` (4): `verify` only: the log is intact except for a torn (partly written) record at
 *   the end of the last segment. A normal open truncates it; no earlier record is affected.
 */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  CORRUPT: 3,
  TORN_TAIL: 4,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable codes of {@link NoriCliError}. */
export type NoriCliErrorCode =
  | 'ERR_NOT_FOUND'
  | 'ERR_NOT_A_DIRECTORY'
  | 'ERR_NOT_A_WAL'
  | 'ERR_LOCKED'
  | 'ERR_BAD_POSITION'
  | 'ERR_USAGE'
  | 'ERR_IO'
  | 'ERR_RECOVERY_FAILED'
  | 'ERR_BAD_SALVAGED'
  | 'ERR_BAD_SEALED'
  | 'ERR_NOT_CONFIRMED';

/**
 * The error every `@nori/cli` function throws for an expected failure. `message` is one line fit
 * for an operator; `exitCode` is what the CLI exits with.
 */
export class NoriCliError extends Error {
  /** Stable machine-readable code; switch on this, not on the message. */
  readonly code: NoriCliErrorCode;
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: ExitCode;

  constructor(code: NoriCliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NoriCliError';
    this.code = code;
    this.exitCode = code === 'ERR_USAGE' || code === 'ERR_NOT_CONFIRMED' ? ExitCode.USAGE : ExitCode.ERROR;
  }
}

/** Turns a Node.js fs error into a one-line {@link NoriCliError}. */
export function fsError(error: unknown, what: string): NoriCliError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new NoriCliError('ERR_NOT_FOUND', `${what}: no such file or directory`, { cause: error });
  if (code === 'ENOTDIR') return new NoriCliError('ERR_NOT_A_DIRECTORY', `${what}: not a directory`, { cause: error });
  if (code === 'EACCES' || code === 'EPERM') return new NoriCliError('ERR_IO', `${what}: permission denied`, { cause: error });
  const detail = error instanceof Error ? error.message : String(error);
  return new NoriCliError('ERR_IO', `${what}: ${detail}`, { cause: error });
}

/** A `@nori/storage` failure as a {@link NoriCliError} (`ERR_NOT_FOUND` for a missing file, else `ERR_IO`). */
export function storageFailure(error: unknown, what: string): NoriCliError {
  if (isStorageError(error, 'ERR_NOT_FOUND')) return new NoriCliError('ERR_NOT_FOUND', `${what}: no such file or directory`, { cause: error });
  return fsError(isStorageError(error) && error.osCode !== undefined ? Object.assign(new Error(error.message), { code: error.osCode }) : error, what);
}
