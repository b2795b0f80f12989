/** Options of {@link Storage.open}. */
export interface OpenOptions {
  /** Create the file (empty) when it does not exist. Default `false`: `ERR_NOT_FOUND`. */
  create?: boolean;
  /** Open for reading only; writes, truncate and preallocate fail with `ERR_READ_ONLY`. */
  readOnly?: boolean;
}

/** Who holds a storage's writer lock. */
export interface LockInfo {
  pid: number;
  hostname: string;
  /** ISO-8601 time the lock was taken. */
  acquiredAt: string;
  /** Process start time (clock ticks since boot, `/proc/<pid>/stat` field 22) where available. */
  startTime?: string;
  /** Linux boot id where available: a lock from an earlier boot is always stale. */
  bootId?: string;
  /** Unique id of this acquisition. */
  nonce?: string;
}

/** What a directory entry is, seen without following links. */
export type StorageEntryKind = 'file' | 'directory' | 'symlink' | 'other';

/** One entry of {@link Storage.entries}. */
export interface StorageEntry {
  /** The entry's name inside the listed directory (no `/`). */
  name: string;
  /** `file` is a regular file; `other` a FIFO, socket or device. */
  kind: StorageEntryKind;
}

/** What {@link Storage.stat} reports of one entry. */
export interface StorageStat {
  /** What the entry is, links not followed. */
  kind: StorageEntryKind;
  /** Length in bytes of a regular file; for other kinds whatever the backend reports (not meaningful). */
  size: number;
}

/** An exclusive writer lock on a storage; release it (or dispose it) when done. */
export interface StorageLock extends AsyncDisposable {
  readonly info: LockInfo;
  /** Gives the lock up. Idempotent. */
  release(): Promise<void>;
}

/**
 * An open file. Positions are absolute byte offsets; the handle has no cursor. Writes land in the
 * (simulated) page cache and are durable only after `datasync()`/`sync()` resolves.
 */
export interface StorageFile extends AsyncDisposable {
  /** The storage-relative name the file was opened with. */
  readonly name: string;
  /** Hand bytes to the OS without a thread-pool round trip (page cache; not durable). */
  writevSync(buffers: readonly Uint8Array[], position: number): void;
  /** Gathered write of all `buffers`, back to back, starting at `position`. */
  writev(buffers: readonly Uint8Array[], position: number): Promise<void>;
  /** Reads up to `length` bytes; returns fewer only at end of file. */
  read(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number>;
  /** Synchronous {@link StorageFile.read}. */
  readSync(target: Uint8Array, targetOffset: number, length: number, position: number): number;
  /** Current file length in bytes. */
  size(): Promise<number>;
  /** Sets the file length; growing fills with zeros. */
  truncate(length: number): Promise<void>;
  /** Makes written data (and the file length) durable. */
  datasync(): Promise<void>;
  /** Makes data and all metadata durable. */
  sync(): Promise<void>;
  /** File length becomes `>= length`; bytes past the old end read as zeros. */
  preallocate(length: number): Promise<void>;
  /** Closes the handle. Idempotent; later calls on it fail with `ERR_CLOSED`. */
  close(): Promise<void>;
}

/**
 * Everything a write-ahead log needs from a disk. Names are `/`-separated paths relative to the
 * storage root; see `validateName` for the rules.
 */
export interface Storage {
  /** Human-readable location, e.g. `file:/var/lib/x` or `memory`. */
  readonly description: string;
  /**
   * Opens a file read-write; `ERR_NOT_FOUND` if missing and not `create`. A symbolic link is
   * never followed (`ERR_SYMLINK`), a directory fails with `EISDIR` and any other non-regular
   * file with `ERR_NOT_REGULAR_FILE`.
   */
  open(name: string, options?: OpenOptions): Promise<StorageFile>;
  /**
   * Names of the regular files directly in `dir` (default: the root), sorted; directories and
   * the lock's own files are left out. `ERR_NOT_FOUND` if `dir` (or a file backend's root) does
   * not exist.
   */
  list(dir?: string): Promise<string[]>;
  /**
   * Every entry directly in `dir` (default: the root) with its kind, links not followed, sorted
   * by name; the lock's own files are left out. Lets a caller refuse a log whose segment names
   * are links or directories instead of silently skipping them. Optional: wrappers that do not
   * forward it only lose that check (`open` still never follows a link).
   */
  entries?(dir?: string): Promise<StorageEntry[]>;
  /**
   * Kind and length of `name` (default: the root) without opening it, so a read-only tool can
   * list a directory without touching its files. Links are not followed (a link inside the root
   * is reported as `symlink`; a file backend's root may itself be a link). `ERR_NOT_FOUND` if
   * missing. Also answers for the lock's own file names where the backend keeps the lock in files.
   * Optional, like {@link Storage.entries}.
   */
  stat?(name?: string): Promise<StorageStat>;
  /** True if a file or directory with this name exists. */
  exists(name: string): Promise<boolean>;
  /** Creates a directory and its parents; fine if it exists. */
  mkdir(dir: string): Promise<void>;
  /**
   * Atomically renames a regular file (a directory: `EISDIR`; a link: `ERR_SYMLINK`), replacing
   * `to` if it exists; a link at `to` is replaced itself, its target is never touched.
   */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file (or an empty directory); `ERR_NOT_FOUND` if missing. */
  remove(name: string): Promise<void>;
  /** Makes creates, renames and removes in `dir` (default: the root) durable. */
  syncDir(dir?: string): Promise<void>;
  /** Takes the exclusive writer lock; `ERR_LOCKED` if another holder has it. */
  lock(): Promise<StorageLock>;
  /** Reports the current lock holder without taking the lock. */
  readLock(): Promise<LockInfo | undefined>;
}
