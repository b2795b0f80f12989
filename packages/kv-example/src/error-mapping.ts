import type { Storage } from '@nori/storage';
import { KvError, errorCode } from './errors.js';

const BAD_DIR_CODES = new Set(['ENOTDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ERR_INVALID_PATH', 'ELOOP', 'ENAMETOOLONG']);

/**
 * Translates an error from the WAL or storage into a {@link KvError} with a precise code
 * (`ERR_LOCKED` gets a generic message here; {@link toKvErrorWithLockInfo} names the holder).
 */
export function toKvError(error: unknown, storage: Storage, action: string): KvError {
  if (error instanceof KvError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  // The WAL wraps storage failures (e.g. `ERR_IO` around a StorageError `EACCES`): look at
  // every code along the cause chain.
  const codes = causeCodes(error);
  const has = (...wanted: string[]): boolean => wanted.some((code) => codes.includes(code));
  if (has('ERR_LOCKED')) return new KvError('ERR_LOCKED', `store ${storage.description} is locked by another process`, { cause: error });
  if (has('ERR_FENCED')) return new KvError('ERR_FENCED', `cannot ${action}: ${detail}`, { cause: error });
  if (has('ERR_CLOSED')) return new KvError('ERR_CLOSED', `cannot ${action}: the store is closed`, { cause: error });
  if (has('ERR_ABORTED')) return new KvError('ERR_ABORTED', `${action} aborted`, { cause: error });
  if (has('ERR_RECORD_TOO_LARGE', 'ERR_INVALID_RECORD', 'ERR_INVALID_ARGUMENT', 'ERR_CONFIG')) {
    return new KvError('ERR_INVALID_ARGUMENT', `cannot ${action}: ${detail}`, { cause: error });
  }
  if (has('ERR_CORRUPTION', 'ERR_SEGMENT_GONE', 'ERR_INVALID_POSITION')) {
    return new KvError('ERR_CORRUPTION', `cannot ${action}: ${detail}`, { cause: error });
  }
  if (codes.some((code) => BAD_DIR_CODES.has(code))) {
    return new KvError('ERR_BAD_DIR', `cannot use ${storage.description}: ${detail}`, { cause: error });
  }
  return new KvError('ERR_FAILED', `cannot ${action}: ${detail}`, { cause: error });
}

function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const code = errorCode(current);
    if (code !== undefined) codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** Like {@link toKvError}, but an `ERR_LOCKED` names the process holding the lock. */
export async function toKvErrorWithLockInfo(error: unknown, storage: Storage, action: string): Promise<KvError> {
  const mapped = toKvError(error, storage, action);
  if (mapped.code !== 'ERR_LOCKED' || error instanceof KvError) return mapped;
  const info = await storage.readLock().catch(() => undefined);
  if (info === undefined) return mapped;
  return new KvError('ERR_LOCKED', `store ${storage.description} is locked by pid ${info.pid} on ${info.hostname} (since ${info.acquiredAt})`, {
    cause: error,
  });
}
