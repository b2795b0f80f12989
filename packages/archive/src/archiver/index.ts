export { Archiver } from './archiver.js';
export {
  PENDING_POLL_MS,
  type ArchiverLag,
  type ArchiverState,
  type ArchiverStats,
  type CloseOptions,
  type FlushOptions,
  type RemoteDurableOptions,
} from './types.js';
export {
  DEFAULT_INTERVAL_MS,
  DEFAULT_MAX_CHUNK_BYTES,
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_RETRY_INITIAL_MS,
  DEFAULT_RETRY_MAX_MS,
  type ArchiverOptions,
  type RetryOptions,
} from './options.js';
export type { ArchiverObserver, ChunkEvent, ChunkShippedEvent, RemoteDurableEvent, RetryEvent } from './observer.js';
export { ARCHIVE_SIDE_FILE, readArchiveSideFile, type ArchiveSideFile } from './side-file.js';
