export { ARCHIVE_ERROR_CODES, ArchiveError, isArchiveError, type ArchiveErrorCode, type ArchiveErrorOptions } from './errors.js';
export { MAX_KEY_BYTES, compareKeys, validateKey, validatePrefix } from './keys.js';
export { CRC32C_METADATA_KEY } from './common.js';
export type {
  ByteRange,
  CallOptions,
  GetOptions,
  GetResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  ObjectStoreOperation,
  ObjectSummary,
  PutOptions,
} from './types.js';
export { MemoryObjectStore, type CorruptOptions, type MemoryObjectStoreOptions } from './memory/store.js';
export type { FaultEffect, MemoryFaultTarget, MemoryObjectFault, MutatingOperation } from './memory/faults.js';
export { S3ObjectStore } from './s3/store.js';
export type { S3Credentials, S3ObjectStoreConfig } from './s3/config.js';
export { WorkerObjectStore, type WorkerObjectStoreOptions } from './worker/store.js';
export type { WorkerPriority, WorkerStoreSpec } from './worker/protocol.js';
export {
  CHUNKS_FOLDER,
  GENERATIONS_FOLDER,
  TRIMMED_FOLDER,
  CHUNK_HEADER_SIZE,
  CHUNK_MAGIC,
  LAYOUT_VERSION,
  ChunkKind,
  GENERATION_REASONS,
  WRITER_ID_SIZE,
  checkContinuity,
  chunkKey,
  decodeChunk,
  decodeChunkHeader,
  decodeGenerationRecord,
  decodeGenerationStart,
  encodeChunk,
  writeChunkHeader,
  MAX_CHUNK_PAYLOAD,
  encodeGenerationRecord,
  encodeGenerationStart,
  endOf,
  isEmptySegmentChunk,
  positionAfter,
  folderOf,
  formatLayoutNumber,
  generationKey,
  newWriterId,
  parseChunkKey,
  parseGenerationKey,
  parseTrimmedKey,
  trimmedKey,
  type Chunk,
  type ChunkEnd,
  type ChunkHeader,
  type GenerationReason,
  type GenerationRecord,
  type GenerationStartPayload,
} from './layout/index.js';
export {
  ARCHIVE_SIDE_FILE,
  Archiver,
  DEFAULT_INTERVAL_MS,
  DEFAULT_MAX_CHUNK_BYTES,
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_RETRY_INITIAL_MS,
  DEFAULT_RETRY_MAX_MS,
  PENDING_POLL_MS,
  readArchiveSideFile,
  type ArchiveSideFile,
  type ArchiverLag,
  type ArchiverObserver,
  type ArchiverOptions,
  type ArchiverState,
  type ArchiverStats,
  type ChunkEvent,
  type ChunkShippedEvent,
  type RemoteDurableEvent,
  type CloseOptions,
  type FlushOptions,
  type RemoteDurableOptions,
  type RetryEvent,
  type RetryOptions,
} from './archiver/index.js';
export { listGenerations, type ArchiveCatalog, type GenerationInfo, type ListedChunk, type ListGenerationsOptions } from './read/catalog.js';
export { DEFAULT_PREFETCH } from './restore/chunk-stream.js';
export { restore, type RestoreOptions, type RestoreProgress, type RestoreReport } from './restore/restore.js';
export { applyRetention, type RetentionOptions, type RetentionReport } from './retention/retention.js';
export {
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_REPLICA_PREFETCH,
  MAX_TRACKED_SEGMENTS,
  Replica,
  openReplica,
  type ChunkAppliedEvent,
  type FollowOptions,
  type GenerationChangedEvent,
  type ReplicaEntry,
  type ReplicaLag,
  type ReplicaObserver,
  type ReplicaOptions,
  type ReplicaPosition,
} from './replica/index.js';
export { promote, type PromoteOptions, type PromoteReport, type Promotion } from './promote/promote.js';
