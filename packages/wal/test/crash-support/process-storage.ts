import { StorageError, type LockInfo, type MemoryStorage, type OpenOptions, type Storage, type StorageFile, type StorageLock } from '@nori/storage';

/** Storage operations a {@link ProcessStorage} reports to its hook. */
export type StorageOp = 'write' | 'read' | 'sync' | 'syncDir' | 'truncate' | 'preallocate' | 'open' | 'rename' | 'remove' | 'mkdir' | 'list';

/** Called before every operation (after the liveness check); may arm faults on the storage. */
export type StorageHook = (op: StorageOp, name: string) => void;

/**
 * Deliberate storage lies, to prove the checkers catch a WAL that acknowledges what is not
 * durable (mutation tests of the harness itself; never used by the real campaigns):
 * `drop-syncs` makes file fsyncs succeed without syncing, `swallow-sync-errors` reports failed
 * file fsyncs (EIO, fsyncgate) as successful.
 */
export type StorageLie = 'drop-syncs' | 'swallow-sync-errors';

/** Options of {@link ProcessStorage}. */
export interface ProcessStorageOptions {
  hook?: StorageHook;
  lie?: StorageLie;
}

function crashed(op: string, name: string): StorageError {
  return new StorageError('ERR_CRASHED', `${op} ${name}: this process died in a simulated crash`, { syscall: op, path: name });
}

/**
 * One simulated process's view of a {@link MemoryStorage}. The memory backend already fences
 * file handles and the lock of a crashed "process", but not namespace calls (`remove`, `rename`,
 * `syncDir`, `open`...): a zombie WAL whose GC or rotation was still running when the crash hit
 * would otherwise edit the disk of the next process. This wrapper fails every call made after the
 * crash, like a killed process that makes no more system calls, and lets tests count operations
 * and arm faults right before the n-th one.
 */
export class ProcessStorage implements Storage {
  readonly description: string;
  readonly #memory: MemoryStorage;
  readonly #epoch: number;
  readonly #hook: StorageHook | undefined;
  /** The deliberate lie this storage tells, if any (harness mutation tests only). */
  readonly lie: StorageLie | undefined;

  /** Wraps `memory` for the process that runs from now until its next crash. */
  constructor(memory: MemoryStorage, options: ProcessStorageOptions = {}) {
    this.#memory = memory;
    this.#epoch = memory.crashes;
    this.#hook = options.hook;
    this.lie = options.lie;
    this.description = memory.description;
  }

  /** True once the underlying storage crashed after this process started. */
  get dead(): boolean {
    return this.#memory.crashes !== this.#epoch;
  }

  /** @internal Liveness check plus hook, for this storage and its files. */
  enter(op: StorageOp, name: string): void {
    if (this.dead) throw crashed(op, name);
    this.#hook?.(op, name);
  }

  async open(name: string, options?: OpenOptions): Promise<StorageFile> {
    this.enter('open', name);
    return new ProcessFile(this, await this.#memory.open(name, options));
  }

  async list(dir?: string): Promise<string[]> {
    this.enter('list', dir ?? '');
    return this.#memory.list(dir);
  }

  async exists(name: string): Promise<boolean> {
    this.enter('list', name);
    return this.#memory.exists(name);
  }

  async mkdir(dir: string): Promise<void> {
    this.enter('mkdir', dir);
    return this.#memory.mkdir(dir);
  }

  async rename(from: string, to: string): Promise<void> {
    this.enter('rename', from);
    return this.#memory.rename(from, to);
  }

  async remove(name: string): Promise<void> {
    this.enter('remove', name);
    return this.#memory.remove(name);
  }

  async syncDir(dir?: string): Promise<void> {
    this.enter('syncDir', dir ?? '');
    return this.#memory.syncDir(dir);
  }

  async lock(): Promise<StorageLock> {
    if (this.dead) throw crashed('lock', 'LOCK');
    return this.#memory.lock();
  }

  async readLock(): Promise<LockInfo | undefined> {
    return this.#memory.readLock();
  }
}

class ProcessFile implements StorageFile {
  readonly name: string;

  constructor(
    private readonly owner: ProcessStorage,
    private readonly file: StorageFile,
  ) {
    this.name = file.name;
  }

  writevSync(buffers: readonly Uint8Array[], position: number): void {
    this.owner.enter('write', this.name);
    this.file.writevSync(buffers, position);
  }

  async writev(buffers: readonly Uint8Array[], position: number): Promise<void> {
    this.owner.enter('write', this.name);
    return this.file.writev(buffers, position);
  }

  async read(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
    this.owner.enter('read', this.name);
    return this.file.read(target, targetOffset, length, position);
  }

  readSync(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    this.owner.enter('read', this.name);
    return this.file.readSync(target, targetOffset, length, position);
  }

  async size(): Promise<number> {
    return this.file.size();
  }

  async truncate(length: number): Promise<void> {
    this.owner.enter('truncate', this.name);
    return this.file.truncate(length);
  }

  async datasync(): Promise<void> {
    this.owner.enter('sync', this.name);
    return this.#lying(this.file.datasync.bind(this.file));
  }

  async sync(): Promise<void> {
    this.owner.enter('sync', this.name);
    return this.#lying(this.file.sync.bind(this.file));
  }

  async #lying(sync: () => Promise<void>): Promise<void> {
    if (this.owner.lie === 'drop-syncs') return;
    if (this.owner.lie === 'swallow-sync-errors') {
      await sync().catch(() => undefined);
      return;
    }
    await sync();
  }

  async preallocate(length: number): Promise<void> {
    this.owner.enter('preallocate', this.name);
    return this.file.preallocate(length);
  }

  async close(): Promise<void> {
    return this.file.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    return this.file.close();
  }
}
