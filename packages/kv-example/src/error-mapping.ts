import type { Storage } from '@nori/storage';
import { KvError, errorCode } from './errors.js';

const BAD_DIR_CODES = new Set(['ENOTDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ERR_INVALID_PATH', 'ELOOP', 'ENAMETOOLONG']);

/** Translates an error from the WAL or storage into a {@link KvError} with a precise code. */
export async function toKvError(error: unknown, storage: Storage, action: string): Promise<KvError> {
  if (error instanceof KvError) return error;
  const code = errorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ERR_LOCKED':
      return new KvError('ERR_LOCKED', await describeLock(storage), { cause: error });
    case 'ERR_CLOSED':
      return new KvError('ERR_CLOSED', `cannot ${action}: the store is closed`, { cause: error });
    case 'ERR_ABORTED':
      return new KvError('ERR_ABORTED', `${action} aborted`, { cause: error });
    case 'ERR_RECORD_TOO_LARGE':
    case 'ERR_INVALID_RECORD':
    case 'ERR_INVALID_ARGUMENT':
    case 'ERR_CONFIG':
      return new KvError('ERR_INVALID_ARGUMENT', `cannot ${action}: ${detail}`, { cause: error });
    case 'ERR_CORRUPTION':
    case 'ERR_SEGMENT_GONE':
    case 'ERR_INVALID_POSITION':
      return new KvError('ERR_CORRUPTION', `cannot ${action}: ${detail}`, { cause: error });
    default:
      if (code !== undefined && BAD_DIR_CODES.has(code)) {
        return new KvError('ERR_BAD_DIR', `cannot use ${storage.description}: ${detail}`, { cause: error });
      }
      return new KvError('ERR_FAILED', `cannot ${action}: ${detail}`, { cause: error });
  }
}

async function describeLock(storage: Storage): Promise<string> {
  const info = await storage.readLock().catch(() => undefined);
  const where = storage.description;
  if (info === undefined) return `store ${where} is locked by another process`;
  return `store ${where} is locked by pid ${info.pid} on ${info.hostname} (since ${info.acquiredAt})`;
}
