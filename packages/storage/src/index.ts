export { StorageError, isStorageError, type StorageErrorCode, type StorageErrorOptions } from './errors.js';
export { validateName } from './paths.js';
export { removeFileDurably, removeStaleTmp, tmpNameOf, writeFileAtomically } from './atomic-file.js';
export type { LockInfo, OpenOptions, Storage, StorageEntry, StorageEntryKind, StorageFile, StorageLock, StorageStat } from './types.js';
export { NodeFileStorage, type NodeFileStorageOptions } from './node/storage.js';
export type { CallMode } from './node/call-modes.js';
export type { PreallocateMode } from './node/file.js';
export { MemoryStorage, type CrashOptions, type ForkOptions, type MemoryStorageOptions } from './memory/storage.js';
export type { MemoryFault } from './memory/faults.js';
/** The seeded PRNG (mulberry32) behind MemoryStorage's crash and fault simulation, for adapters that inject faults of their own. */
export { Prng } from './memory/prng.js';
export type { CrashMode } from './memory/inode.js';
