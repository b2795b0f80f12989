import { fs } from './node-fs.js';
import { inline, type CallMode } from './call-modes.js';
import { fsAsync } from './fs-async.js';

/** The flushes of the Node backend (`fdatasync`, `fsync` of files and directories), as promises. */
export interface SyncCalls {
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
}

/**
 * Flushes on the calling thread: no thread-pool round trip (35-50 us on the development machine,
 * about a fifth of an fdatasync there) per durable append, but the event loop waits for the disk.
 */
const INLINE: SyncCalls = {
  fdatasync: inline((fd: number) => fs.fdatasyncSync(fd)),
  fsync: inline((fd: number) => fs.fsyncSync(fd)),
};

/** Flushes on the thread pool: the event loop keeps running while the disk works (default). */
const THREAD_POOL: SyncCalls = {
  fdatasync: (fd) => fsAsync.fdatasync(fd),
  fsync: (fd) => fsAsync.fsync(fd),
};

/** The flushes of `mode`. */
export function syncCalls(mode: CallMode): SyncCalls {
  return mode === 'inline' ? INLINE : THREAD_POOL;
}
