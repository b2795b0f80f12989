/**
 * `@nori/kv-example`: a reference key-value store on the nori write-ahead log.
 *
 * @packageDocumentation
 */
export { KvStore } from './kv-store.js';
export { KvError, isKvError, type KvErrorCode } from './errors.js';
export type { BytesLike } from './bytes.js';
export type {
  KvBatchOperation,
  KvCompactOptions,
  KvCompactReport,
  KvEntry,
  KvOpenOptions,
  KvOpenReport,
  KvProgressEvent,
  KvPutOptions,
  KvScanOptions,
  KvSnapshotInfo,
  KvStats,
} from './types.js';
export {
  SNAPSHOT_MAGIC,
  SNAPSHOT_VERSION,
  decodeSnapshot,
  encodeSnapshot,
  type SnapshotEntry,
  type SnapshotEntryInput,
  type SnapshotHeader,
} from './snapshot-format.js';
export { SNAPSHOT_FILE, SNAPSHOT_TEMP_FILE } from './snapshot-file.js';
export { formatPosition } from './position.js';
