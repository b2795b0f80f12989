import { ArchiveError } from '../errors.js';

/** Normalises an unknown thrown value to an `Error`. */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** `ERR_FENCED`: another writer owns the archive prefix. */
export function fencedError(message: string, key?: string): ArchiveError {
  return new ArchiveError('ERR_FENCED', message, { key });
}

/** `ERR_CLOSED`: the archiver was closed. */
export function closedError(): ArchiveError {
  return new ArchiveError('ERR_CLOSED', 'the archiver is closed');
}
