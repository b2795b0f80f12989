import fs from 'node:fs';
import path from 'node:path';
import { StorageError, fromNodeError } from '../errors.js';
import { isLockName, parentOf, validateDir, validateFileName, validateName } from '../paths.js';
import type { LockInfo, OpenOptions, Storage, StorageFile, StorageLock } from '../types.js';
import { NodeFile, type PreallocateMode } from './file.js';
import { fsAsync } from './fs-async.js';
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
}

const { O_RDWR, O_RDONLY, O_CREAT, O_EXCL } = fs.constants;
const O_DIRECTORY = fs.constants.O_DIRECTORY ?? 0;

function isDirectory(fd: number): Promise<boolean> {
  return new Promise((resolve, reject) => fs.fstat(fd, (e, st) => (e ? reject(e) : resolve(st.isDirectory()))));
}

function osCode(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

/** A {@link Storage} on a local directory, using `node:fs` with raw file descriptors. */
export class NodeFileStorage implements Storage {
  /** Absolute path of the storage root. */
  readonly root: string;
  readonly description: string;
  readonly #preallocate: PreallocateMode;
  readonly #syncDirOnChange: boolean;
  #rootReady = false;

  /** `root` is created (with parents) on the first `open({ create })`, `mkdir` or `lock`. */
  constructor(root: string, options: NodeFileStorageOptions = {}) {
    if (typeof root !== 'string' || root.length === 0 || root.includes('\0')) {
      throw new StorageError('ERR_INVALID_PATH', 'root must be a non-empty path', { path: String(root) });
    }
    this.root = path.resolve(root);
    this.description = `file:${this.root}`;
    this.#preallocate = options.preallocate ?? 'zeros';
    this.#syncDirOnChange = options.syncDirOnChange ?? true;
  }

  #abs(name: string): string {
    return name === '' ? this.root : path.join(this.root, ...name.split('/'));
  }

  async #ensureRoot(): Promise<void> {
    if (this.#rootReady) return;
    try {
      const first = await fs.promises.mkdir(this.root, { recursive: true });
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
    const fd = await fsAsync.open(abs, O_RDONLY | O_DIRECTORY, 0);
    try {
      await fsAsync.fsync(fd);
    } finally {
      await fsAsync.close(fd);
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

  async open(name: string, options: OpenOptions = {}): Promise<StorageFile> {
    validateFileName(name);
    const abs = this.#abs(name);
    const readOnly = options.readOnly === true;
    const flags = readOnly ? O_RDONLY : O_RDWR;
    try {
      const fd = await fsAsync.open(abs, flags, 0o644);
      // O_RDONLY opens directories too; refuse them like O_RDWR does.
      if (readOnly && (await isDirectory(fd))) {
        await fsAsync.close(fd);
        throw Object.assign(new Error('illegal operation on a directory'), { code: 'EISDIR' });
      }
      return new NodeFile(name, fd, readOnly, this.#preallocate);
    } catch (error) {
      if (osCode(error) !== 'ENOENT' || options.create !== true) throw fromNodeError(error, 'open', name);
    }
    if (parentOf(name) === '') await this.#ensureRoot();
    let fd: number;
    try {
      fd = await fsAsync.open(abs, flags | O_CREAT | O_EXCL, 0o644);
    } catch (error) {
      if (osCode(error) !== 'EEXIST') throw fromNodeError(error, 'open', name);
      // Lost a race with another creator: the file exists now.
      return this.open(name, { ...options, create: false });
    }
    const file = new NodeFile(name, fd, readOnly, this.#preallocate);
    try {
      await this.#afterChange(parentOf(name));
    } catch (error) {
      await file.close();
      throw error;
    }
    return file;
  }

  async list(dir?: string): Promise<string[]> {
    const rel = validateDir(dir);
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(this.#abs(rel), { withFileTypes: true });
    } catch (error) {
      throw fromNodeError(error, 'readdir', rel);
    }
    const names: string[] = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      if (rel === '' && isLockName(entry.name)) continue;
      names.push(entry.name);
    }
    return names.sort();
  }

  async exists(name: string): Promise<boolean> {
    validateName(name);
    try {
      await fs.promises.lstat(this.#abs(name));
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
      first = await fs.promises.mkdir(this.#abs(dir), { recursive: true });
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
    try {
      // Files only, like every backend: a directory rename could not be atomic in all of them.
      if ((await fs.promises.lstat(this.#abs(from))).isDirectory()) {
        throw new StorageError('EISDIR', `rename ${from}: only files can be renamed`, { syscall: 'rename', path: from, osCode: 'EISDIR' });
      }
      await fs.promises.rename(this.#abs(from), this.#abs(to));
    } catch (error) {
      throw fromNodeError(error, 'rename', from);
    }
    await this.#afterChange(parentOf(to), parentOf(from));
  }

  async remove(name: string): Promise<void> {
    validateFileName(name);
    const abs = this.#abs(name);
    try {
      await fs.promises.unlink(abs);
    } catch (error) {
      const code = osCode(error);
      if (code !== 'EISDIR' && code !== 'EPERM') throw fromNodeError(error, 'unlink', name);
      try {
        await fs.promises.rmdir(abs);
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
