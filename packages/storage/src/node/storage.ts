import type { Dirent, Stats } from 'node:fs';
import { fs } from './node-fs.js';
import path from 'node:path';
import { StorageError, fromNodeError } from '../errors.js';
import { isLockName, parentOf, validateDir, validateFileName, validateName } from '../paths.js';
import type { LockInfo, OpenOptions, Storage, StorageEntry, StorageEntryKind, StorageFile, StorageLock, StorageStat } from '../types.js';
import { NodeFile, type PreallocateMode } from './file.js';
import { CALL_MODES, type CallMode } from './call-modes.js';
import { metadataCalls, type MetadataCalls } from './metadata.js';
import { syncCalls, type SyncCalls } from './sync-calls.js';
import { acquireLock, readLockInfo } from './lock.js';

/** Options of {@link NodeFileStorage}. */
export interface NodeFileStorageOptions {
  /**
   * How `preallocate` reserves space: `'zeros'` (default) writes zeros so blocks are allocated;
   * `'sparse'` only extends the file with `ftruncate`.
   */
  preallocate?: PreallocateMode;
  /**
   * Fsync the parent directory after every create, rename, remove and mkdir (default `true`), so
   * directory changes are durable without an explicit `syncDir`.
   */
  syncDirOnChange?: boolean;
  /**
   * Where metadata calls run (open, close, lstat, readdir, rename, unlink, mkdir). `'inline'`
   * (default): synchronously on the calling thread, a few microseconds each on a local file
   * system against 40-85 us for a thread-pool round trip. `'thread-pool'`: on libuv's thread pool,
   * for network or FUSE file systems where such a call may wait on a server. Reads, writes and
   * fsyncs are the same in both modes.
   */
  metadata?: CallMode;
  /**
   * Where flushes run (`fdatasync`, `fsync`, directory fsyncs). `'thread-pool'` (default): the
   * event loop keeps running while the disk works. `'inline'`: on the calling thread, which saves
   * the thread-pool round trip of every flush (one durable append at a time with `fsync: 'always'`
   * went from ~0.75x to ~1x of a raw `write` + `fdatasync` here) but blocks the event loop for the
   * whole flush (0.2 ms on a fast SSD, tens of ms on a busy disk). For a process or worker thread
   * that owns the log and serves nothing else while it waits.
   */
  syncCalls?: CallMode;
}

/** `value` when it is a {@link CallMode}, else `ERR_INVALID_ARGUMENT` naming the option. */
function callMode(option: string, value: unknown): CallMode {
  if (value === undefined) return option === 'syncCalls' ? 'thread-pool' : 'inline';
  if (!CALL_MODES.includes(value as CallMode)) {
    throw new StorageError('ERR_INVALID_ARGUMENT', `${option} must be 'inline' or 'thread-pool', got ${typeof value === 'string' ? value : typeof value}`);
  }
  return value as CallMode;
}

const { O_RDWR, O_RDONLY, O_CREAT, O_EXCL } = fs.constants;
const O_DIRECTORY = fs.constants.O_DIRECTORY ?? 0;
/** The last path component is never followed: a link named like a segment must not redirect writes. */
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
/** Opening a FIFO read-only would block a thread-pool thread forever; regular files ignore it. */
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;
const SAFE_OPEN_FLAGS = O_NOFOLLOW | O_NONBLOCK;

/** The kind of an open descriptor (synchronous: see `fstatSize` in fs-async.ts for why). */
function fstatKind(fd: number): StorageEntryKind {
  return kindOf(fs.fstatSync(fd));
}

/** The kind of an `lstat`/`fstat` result or a `Dirent` (neither follows links). */
function kindOf(entry: Stats | Dirent): StorageEntryKind {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** The typed error for a name that exists but is not a regular file. */
function notRegular(kind: StorageEntryKind, syscall: string, name: string): StorageError {
  if (kind === 'directory') {
    return new StorageError('EISDIR', `${syscall} ${name}: is a directory`, { syscall, path: name, osCode: 'EISDIR' });
  }
  if (kind === 'symlink') {
    return new StorageError('ERR_SYMLINK', `${syscall} ${name}: is a symbolic link, which the storage never follows`, {
      syscall,
      path: name,
      osCode: 'ELOOP',
    });
  }
  return new StorageError('ERR_NOT_REGULAR_FILE', `${syscall} ${name}: not a regular file (FIFO, socket or device)`, { syscall, path: name });
}

function osCode(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

/** `open` with `O_NOFOLLOW` reports a link as `ELOOP`; name it for what it is. */
function openError(error: unknown, name: string): StorageError {
  if (osCode(error) === 'ELOOP') {
    return new StorageError('ERR_SYMLINK', `open ${name}: is a symbolic link, which the storage never follows`, {
      syscall: 'open',
      path: name,
      osCode: 'ELOOP',
      cause: error,
    });
  }
  return fromNodeError(error, 'open', name);
}

/** A {@link Storage} on a local directory, using `node:fs` with raw file descriptors. */
export class NodeFileStorage implements Storage {
  /** Absolute path of the storage root. */
  readonly root: string;
  readonly description: string;
  readonly #preallocate: PreallocateMode;
  readonly #syncDirOnChange: boolean;
  readonly #meta: MetadataCalls;
  readonly #sync: SyncCalls;
  #rootReady = false;

  /** `root` is created (with parents) on the first `open({ create })`, `mkdir` or `lock`. */
  constructor(root: string, options: NodeFileStorageOptions = {}) {
    if (typeof root !== 'string' || root.length === 0 || root.includes('\0')) {
      throw new StorageError('ERR_INVALID_PATH', 'root must be a non-empty path', { path: String(root) });
    }
    this.root = path.resolve(root);
    this.description = `file:${this.root}`;
    this.#preallocate = options.preallocate ?? 'zeros';
    this.#meta = metadataCalls(callMode('metadata', options.metadata));
    this.#sync = syncCalls(callMode('syncCalls', options.syncCalls));
    this.#syncDirOnChange = options.syncDirOnChange ?? true;
  }

  #abs(name: string): string {
    return name === '' ? this.root : path.join(this.root, ...name.split('/'));
  }

  async #ensureRoot(): Promise<void> {
    if (this.#rootReady) return;
    try {
      const first = await this.#meta.mkdir(this.root);
      if (first !== undefined && this.#syncDirOnChange) {
        // Make every newly created level durable in its parent.
        let parent = path.dirname(first);
        for (const segment of path.relative(parent, this.root).split(path.sep)) {
          await this.#fsyncDirAbs(parent);
          parent = path.join(parent, segment);
        }
      }
    } catch (error) {
      throw fromNodeError(error, 'mkdir', '');
    }
    this.#rootReady = true;
  }

  async #fsyncDirAbs(abs: string): Promise<void> {
    // Windows cannot open a directory for fsync; NTFS journals directory changes itself.
    if (process.platform === 'win32') return;
    const fd = await this.#meta.open(abs, O_RDONLY | O_DIRECTORY, 0);
    try {
      await this.#sync.fsync(fd);
    } finally {
      await this.#meta.close(fd);
    }
  }

  async #afterChange(...dirs: string[]): Promise<void> {
    if (!this.#syncDirOnChange) return;
    for (const dir of new Set(dirs)) {
      try {
        await this.#fsyncDirAbs(this.#abs(dir));
      } catch (error) {
        throw fromNodeError(error, 'fsync', dir);
      }
    }
  }

  /**
   * Refuses a link as `dir` or any of its parents inside the root (`O_NOFOLLOW` guards only the
   * last component). The root itself may be a link: users move data directories so.
   */
  async #refuseLinkedDirs(syscall: string, dir: string): Promise<void> {
    for (; dir !== ''; dir = parentOf(dir)) {
      let stats: Stats;
      try {
        stats = await this.#meta.lstat(this.#abs(dir));
      } catch {
        continue; // A missing parent is reported by the operation itself, with the OS's code.
      }
      if (stats.isSymbolicLink()) throw notRegular('symlink', syscall, dir);
    }
  }

  async open(name: string, options: OpenOptions = {}): Promise<StorageFile> {
    validateFileName(name);
    await this.#refuseLinkedDirs('open', parentOf(name));
    const abs = this.#abs(name);
    const readOnly = options.readOnly === true;
    const flags = (readOnly ? O_RDONLY : O_RDWR) | SAFE_OPEN_FLAGS;
    try {
      const fd = await this.#meta.open(abs, flags, 0o644);
      // O_RDONLY opens directories, and O_RDWR FIFOs and devices: only regular files are files.
      let kind: StorageEntryKind;
      try {
        kind = fstatKind(fd);
      } catch (error) {
        await this.#meta.close(fd).catch(() => undefined);
        throw error;
      }
      if (kind !== 'file') {
        await this.#meta.close(fd).catch(() => undefined);
        throw notRegular(kind, 'open', name);
      }
      return new NodeFile(name, fd, { readOnly, preallocateMode: this.#preallocate, metadata: this.#meta, syncCalls: this.#sync });
    } catch (error) {
      if (osCode(error) !== 'ENOENT' || options.create !== true) throw openError(error, name);
    }
    if (parentOf(name) === '') await this.#ensureRoot();
    let fd: number;
    try {
      // O_EXCL never follows a link either: a dangling one makes this EEXIST, then ERR_SYMLINK.
      fd = await this.#meta.open(abs, flags | O_CREAT | O_EXCL, 0o644);
    } catch (error) {
      if (osCode(error) !== 'EEXIST') throw openError(error, name);
      // Lost a race with another creator: the file exists now.
      return this.open(name, { ...options, create: false });
    }
    const file = new NodeFile(name, fd, { readOnly, preallocateMode: this.#preallocate, metadata: this.#meta, syncCalls: this.#sync });
    try {
      await this.#afterChange(parentOf(name));
    } catch (error) {
      await file.close();
      throw error;
    }
    return file;
  }

  async list(dir?: string): Promise<string[]> {
    const entries = await this.entries(dir);
    return entries.filter((entry) => entry.kind === 'file').map((entry) => entry.name);
  }

  async entries(dir?: string): Promise<StorageEntry[]> {
    const rel = validateDir(dir);
    await this.#refuseLinkedDirs('readdir', rel);
    let dirents: Dirent[];
    try {
      // Dirent types come from readdir (or lstat where the filesystem gives none): no link is followed.
      dirents = await this.#meta.readdir(this.#abs(rel));
    } catch (error) {
      throw fromNodeError(error, 'readdir', rel);
    }
    const entries: StorageEntry[] = [];
    for (const dirent of dirents) {
      if (rel === '' && isLockName(dirent.name)) continue;
      entries.push({ name: dirent.name, kind: kindOf(dirent) });
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(name?: string): Promise<StorageStat> {
    const rel = validateDir(name);
    await this.#refuseLinkedDirs('stat', parentOf(rel));
    let stats: Stats;
    try {
      // The root may be a link (users move data directories so); nothing inside it is followed.
      stats = rel === '' ? await this.#meta.stat(this.root) : await this.#meta.lstat(this.#abs(rel));
    } catch (error) {
      throw fromNodeError(error, 'stat', rel);
    }
    return { kind: kindOf(stats), size: stats.size };
  }

  async exists(name: string): Promise<boolean> {
    validateName(name);
    try {
      await this.#meta.lstat(this.#abs(name));
      return true;
    } catch (error) {
      if (osCode(error) === 'ENOENT' || osCode(error) === 'ENOTDIR') return false;
      throw fromNodeError(error, 'lstat', name);
    }
  }

  async mkdir(dir: string): Promise<void> {
    validateFileName(dir, 'directory');
    await this.#ensureRoot();
    let first: string | undefined;
    try {
      first = await this.#meta.mkdir(this.#abs(dir));
    } catch (error) {
      throw fromNodeError(error, 'mkdir', dir);
    }
    if (first === undefined) return;
    // Sync the parent of every directory level that was created.
    const created = path.relative(this.root, first).split(path.sep).join('/');
    const segments = dir.split('/');
    const from = created.split('/').length;
    const parents: string[] = [];
    for (let i = from - 1; i < segments.length; i++) parents.push(segments.slice(0, i).join('/'));
    await this.#afterChange(...parents);
  }

  async rename(from: string, to: string): Promise<void> {
    validateFileName(from);
    validateFileName(to);
    await this.#refuseLinkedDirs('rename', parentOf(from));
    await this.#refuseLinkedDirs('rename', parentOf(to));
    try {
      // Files only, like every backend: a directory rename could not be atomic in all of them,
      // and moving a link would move a pointer to foreign data into the log.
      const kind = kindOf(await this.#meta.lstat(this.#abs(from)));
      if (kind !== 'file') throw notRegular(kind, 'rename', from);
      // rename(2) replaces a link at `to` itself and never writes through it.
      await this.#meta.rename(this.#abs(from), this.#abs(to));
    } catch (error) {
      throw fromNodeError(error, 'rename', from);
    }
    await this.#afterChange(parentOf(to), parentOf(from));
  }

  async remove(name: string): Promise<void> {
    validateFileName(name);
    const abs = this.#abs(name);
    try {
      await this.#meta.unlink(abs);
    } catch (error) {
      const code = osCode(error);
      if (code !== 'EISDIR' && code !== 'EPERM') throw fromNodeError(error, 'unlink', name);
      try {
        await this.#meta.rmdir(abs);
      } catch (dirError) {
        throw fromNodeError(dirError, 'rmdir', name);
      }
    }
    await this.#afterChange(parentOf(name));
  }

  async syncDir(dir?: string): Promise<void> {
    const rel = validateDir(dir);
    try {
      await this.#fsyncDirAbs(this.#abs(rel));
    } catch (error) {
      throw fromNodeError(error, 'fsync', rel);
    }
  }

  async lock(): Promise<StorageLock> {
    await this.#ensureRoot();
    return acquireLock(this.root);
  }

  async readLock(): Promise<LockInfo | undefined> {
    return readLockInfo(this.root);
  }
}
