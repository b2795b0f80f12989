/**
 * @nori/wal: a write-ahead log that reads and writes Rust nori-wal segment directories, with
 * group commit, fsync policies that keep their promise, crash-atomic batches, streaming
 * recovery, readers, tailing and GC.
 * @packageDocumentation
 */
export { Wal } from './wal.js';
export type { WalHold } from './gc-holds.js';
export type { LogReader } from './log-reader.js';
export { WalError, type WalErrorCode } from './errors.js';
export {
  DEFAULT_BATCH_WINDOW_MS,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_SEGMENT_SIZE,
  MAX_RECORD_SIZE_LIMIT,
  MAX_SEGMENT_SIZE,
  MIN_SEGMENT_SIZE,
} from './config.js';
export { QUARANTINE_DIR } from './recovery.js';
export { BATCH_INTENT_FILE, INTENT_FILE_LIMIT } from './batch-intent.js';
export { MAX_SKIPPED_REGIONS, SKIPPED_REGIONS_FILE, SKIPPED_REGIONS_MAX_BYTES } from './skipped-regions.js';
export { segmentName, parseSegmentName } from './segment-name.js';
export {
  SEALED_ENTRY_SIZE,
  SEALED_SEGMENTS_FILE,
  SEALED_TAIL_WINDOW,
  decodeSealedLog,
  sealedLogLimit,
  sealedTailHash,
  type SealedEntry,
} from './sealed-segments.js';
export { comparePositions, formatPosition, parsePosition } from './position.js';
export { FIRST_INDEX, INDEX_FILE } from './index-file.js';
export { TRUNCATE_INTENT_FILE } from './truncation.js';
export { MAX_INDEX, SPARSE_INDEX_STRIDE } from './sequence-index.js';
export type {
  AppendOptions,
  AppendResult,
  CorruptionInfo,
  FsyncPolicy,
  Position,
  ReadOptions,
  RecoveryMode,
  RecoveryReport,
  SegmentInfo,
  WalConfig,
  WalEntry,
  WalObserver,
  WalStats,
} from './types.js';
