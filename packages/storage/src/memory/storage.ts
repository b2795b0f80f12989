import { StorageError } from '../errors.js';
import { parentOf, validateDir, validateFileName, validateName } from '../paths.js';
import type { LockInfo, OpenOptions, Storage, StorageEntry, StorageFile, StorageLock, StorageStat } from '../types.js';
import { FaultInjector, type MemoryFault } from './faults.js';
import { MemoryFile, type MemoryContext } from './file.js';
import { Inode, type CrashMode } from './inode.js';
import { Namespace, type Entry } from './namespace.js';
import { Prng } from './prng.js';
import { lockNonce } from '../random.js';

/** Options of {@link MemoryStorage}. */
export interface MemoryStorageOptions {
  /** PRNG seed for crash outcomes (default 1). Same seed + same operations = same result. */
  seed?: number;
  /** Tearing granularity of unsynced writes at a crash, in bytes (default 512). */
  sectorSize?: number;
  /**
   * Which unsynced changes a crash keeps: `'prefix'` (default) keeps a random prefix of each
   * file's (and directory's) changes, the first lost write torn per sector; `'subset'` keeps or
   * tears each change independently (writeback in any order).
   */
  crashMode?: CrashMode;
}

/** Options of {@link MemoryStorage.fork}. */
export interface ForkOptions {
  /** Seed of the copy's PRNG (default: the original's seed). */
  seed?: number;
}

/** Options of {@link MemoryStorage.crash}. */
export interface CrashOptions {
  /** Overrides the storage's `crashMode` for this crash. */
  mode?: CrashMode;
}

function notFound(op: string, name: string): StorageError {
  return new StorageError('ERR_NOT_FOUND', `${op} ${name}: no such file or directory`, {
    syscall: op,
    path: name,
    osCode: 'ENOENT',
  });
}

function osError(code: string, op: string, name: string, what: string): StorageError {
  return new StorageError(code, `${op} ${name}: ${what}`, { syscall: op, path: name, osCode: code });
}

/**
 * A deterministic in-memory disk with a page cache: unsynced data and directory changes are
 * volatile, `crash()` simulates power loss, and faults (ENOSPC, EIO, fsyncgate) can be injected.
 */
export class MemoryStorage implements Storage {
  readonly description = 'memory';
  #namespace = new Namespace();
  readonly #seed: number;
  readonly #rng: Prng;
  readonly #sectorSize: number;
  readonly #crashMode: CrashMode;
  readonly #context: MemoryContext & { epoch: number };
  #lock: { info: LockInfo; epoch: number } | undefined;
  #operations = 0;

  constructor(options: MemoryStorageOptions = {}) {
    const seed = options.seed ?? 1;
    const sectorSize = options.sectorSize ?? 512;
    if (!Number.isSafeInteger(seed)) throw new StorageError('ERR_INVALID_ARGUMENT', 'seed must be an integer');
    if (!Number.isSafeInteger(sectorSize) || sectorSize <= 0) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'sectorSize must be a positive integer');
    }
    this.#seed = seed;
    this.#rng = new Prng(seed);
    this.#sectorSize = sectorSize;
    this.#crashMode = options.crashMode ?? 'prefix';
    const faults = new FaultInjector();
    this.#context = {
      epoch: 0,
      faults,
      mutation: (op, name) => {
        if (faults.crashNow()) {
          this.crash();
          throw new StorageError('ERR_CRASHED', `${op} ${name}: simulated power loss (crash fault)`, { syscall: op, path: name });
        }
        this.#operations += 1;
      },
    };
  }

  /** The number of crashes so far (each crash starts a new simulated process). */
  get crashes(): number {
    return this.#context.epoch;
  }

  /**
   * Mutating operations so far (what a `{ kind: 'crash', afterOps }` fault counts): run a
   * workload once, read this, then replay it with a crash after each count.
   */
  get operations(): number {
    return this.#operations;
  }

  /**
   * An independent copy of the disk, page cache and pending changes (pages shared copy-on-write),
   * without open handles, lock or faults: explore several crash outcomes of one state.
   */
  fork(options: ForkOptions = {}): MemoryStorage {
    const copy = new MemoryStorage({
      seed: options.seed ?? this.#seed,
      sectorSize: this.#sectorSize,
      crashMode: this.#crashMode,
    });
    const inodes = new Map<Inode, Inode>();
    copy.#namespace = this.#namespace.clone((entry) => {
      if (entry.kind !== 'file') return entry;
      let inode = inodes.get(entry.inode);
      if (inode === undefined) {
        inode = entry.inode.clone();
        inodes.set(entry.inode, inode);
      }
      return { kind: 'file', inode };
    });
    return copy;
  }

  #entry(name: string): Entry | undefined {
    return this.#namespace.current.get(name);
  }

  /** The error for a missing `name`: `ENOTDIR` if a parent is a file (as the OS reports), else `ERR_NOT_FOUND`. */
  #missing(op: string, name: string): StorageError {
    for (let dir = parentOf(name); dir !== ''; dir = parentOf(dir)) {
      if (this.#entry(dir)?.kind === 'file') return osError('ENOTDIR', op, name, 'not a directory');
    }
    return notFound(op, name);
  }

  #requireDir(op: string, dir: string): void {
    if (dir === '') return;
    const entry = this.#entry(dir);
    if (entry === undefined) throw this.#missing(op, dir);
    if (entry.kind !== 'dir') throw osError('ENOTDIR', op, dir, 'not a directory');
  }

  async open(name: string, options: OpenOptions = {}): Promise<StorageFile> {
    validateFileName(name);
    let entry = this.#entry(name);
    if (entry === undefined) {
      if (options.create !== true) throw this.#missing('open', name);
      this.#requireDir('open', parentOf(name));
      this.#context.mutation('open', name);
      entry = { kind: 'file', inode: new Inode() };
      this.#namespace.set(name, entry);
    }
    if (entry.kind !== 'file') throw osError('EISDIR', 'open', name, 'is a directory');
    return new MemoryFile(name, entry.inode, this.#context, options.readOnly === true);
  }

  async list(dir?: string): Promise<string[]> {
    const rel = validateDir(dir);
    this.#requireDir('readdir', rel);
    const names: string[] = [];
    for (const [name, entry] of this.#namespace.current) {
      if (entry.kind === 'file' && parentOf(name) === rel) names.push(rel === '' ? name : name.slice(rel.length + 1));
    }
    return names.sort();
  }

  /** Files and directories (the only entry kinds this model has: it cannot hold links). */
  async entries(dir?: string): Promise<StorageEntry[]> {
    const rel = validateDir(dir);
    this.#requireDir('readdir', rel);
    const entries: StorageEntry[] = [];
    for (const [name, entry] of this.#namespace.current) {
      if (parentOf(name) !== rel) continue;
      entries.push({ name: rel === '' ? name : name.slice(rel.length + 1), kind: entry.kind === 'file' ? 'file' : 'directory' });
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The lock lives outside the namespace here: its names are never found. */
  async stat(name?: string): Promise<StorageStat> {
    const rel = validateDir(name);
    if (rel === '') return { kind: 'directory', size: 0 };
    const entry = this.#entry(rel);
    if (entry === undefined) throw this.#missing('stat', rel);
    return entry.kind === 'file' ? { kind: 'file', size: entry.inode.current.size } : { kind: 'directory', size: 0 };
  }

  async exists(name: string): Promise<boolean> {
    validateName(name);
    return this.#namespace.current.has(name);
  }

  async mkdir(dir: string): Promise<void> {
    validateFileName(dir, 'directory');
    const segments = dir.split('/');
    for (let i = 1; i <= segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      const entry = this.#entry(prefix);
      if (entry === undefined) {
        this.#context.mutation('mkdir', prefix);
        this.#namespace.set(prefix, { kind: 'dir' });
      } else if (entry.kind !== 'dir') {
        throw i === segments.length
          ? osError('EEXIST', 'mkdir', dir, 'a file is in the way')
          : osError('ENOTDIR', 'mkdir', dir, `${prefix} is not a directory`);
      }
    }
  }

  async rename(from: string, to: string): Promise<void> {
    validateFileName(from);
    validateFileName(to);
    const entry = this.#entry(from);
    if (entry === undefined) throw this.#missing('rename', from);
    if (entry.kind !== 'file') throw osError('EISDIR', 'rename', from, 'only files can be renamed');
    this.#requireDir('rename', parentOf(to));
    if (this.#entry(to)?.kind === 'dir') throw osError('EISDIR', 'rename', to, 'is a directory');
    if (from === to) return;
    this.#context.mutation('rename', from);
    this.#namespace.rename(from, to, entry);
  }

  async remove(name: string): Promise<void> {
    validateFileName(name);
    const entry = this.#entry(name);
    if (entry === undefined) throw this.#missing('unlink', name);
    if (entry.kind === 'dir') {
      const prefix = `${name}/`;
      for (const other of this.#namespace.current.keys()) {
        if (other.startsWith(prefix)) throw osError('ENOTEMPTY', 'rmdir', name, 'directory not empty');
      }
    }
    this.#context.mutation('unlink', name);
    this.#namespace.delete(name);
  }

  async syncDir(dir?: string): Promise<void> {
    const rel = validateDir(dir);
    this.#requireDir('fsync', rel);
    this.#context.mutation('fsync', rel);
    const outcome = this.#context.faults.sync(rel);
    if (outcome !== 'ok') throw this.#context.faults.syncError('fsync', rel);
    this.#namespace.syncDir(rel);
  }

  async lock(): Promise<StorageLock> {
    const held = this.#lock;
    if (held !== undefined && held.epoch === this.#context.epoch) {
      throw new StorageError('ERR_LOCKED', `memory storage is locked by pid ${String(held.info.pid)} since ${held.info.acquiredAt}`, {
        syscall: 'lock',
        path: 'LOCK',
      });
    }
    const info: LockInfo = {
      pid: process.pid,
      hostname: 'memory',
      acquiredAt: new Date().toISOString(),
      nonce: lockNonce(),
    };
    const record = { info, epoch: this.#context.epoch };
    this.#lock = record;
    const context = this.#context;
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      if (context.epoch !== record.epoch) {
        throw new StorageError('ERR_CRASHED', 'release: the storage crashed after the lock was taken', { syscall: 'unlock' });
      }
      released = true;
      if (this.#lock === record) this.#lock = undefined;
    };
    return { info, release, [Symbol.asyncDispose]: release };
  }

  async readLock(): Promise<LockInfo | undefined> {
    const held = this.#lock;
    return held !== undefined && held.epoch === this.#context.epoch ? { ...held.info } : undefined;
  }

  /**
   * Simulates power loss. Synced data and synced directory entries survive; of the rest a random
   * (seeded) selection survives, writes torn at sector granularity, growth possibly zero-filled.
   * Handles and the lock of the old "process" then fail with `ERR_CRASHED`; the storage itself is
   * usable at once, as by a new process. Injected faults stay armed.
   */
  crash(options: CrashOptions = {}): void {
    const mode = options.mode ?? this.#crashMode;
    this.#context.epoch += 1;
    this.#lock = undefined;
    this.#namespace.crash(this.#rng, mode);
    const seen = new Set<Inode>();
    for (const entry of this.#namespace.durable.values()) {
      if (entry.kind !== 'file' || seen.has(entry.inode)) continue;
      seen.add(entry.inode);
      entry.inode.crash(this.#rng, mode, this.#sectorSize);
    }
  }

  /** Arms a fault; see {@link MemoryFault}. */
  injectFault(fault: MemoryFault): void {
    this.#context.faults.add(fault);
  }

  /** Disarms every injected fault (and restores unlimited space). */
  clearFaults(): void {
    this.#context.faults.clear();
  }
}
