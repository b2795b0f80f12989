import { StorageError, type LockInfo, type OpenOptions, type Storage, type StorageEntry, type StorageFile, type StorageLock } from '@nori/storage';

/** Segment files are the ones whose syncs {@link FaultyStorage} fails. */
const SEGMENT_FILE = /^\d{6}\.wal$/;

/**
 * Wraps any `Storage` and fails the next N syncs of segment files with `EIO` (a disk that
 * reports a failed fsync), so the WAL's failure handling can be checked on real files too.
 */
export class FaultyStorage implements Storage {
  readonly description: string;
  /** Present when the wrapped storage lists entries with their kinds. */
  readonly entries?: (dir?: string) => Promise<StorageEntry[]>;
  #failing = 0;

  /** Wraps `inner`; no fault is armed. */
  constructor(readonly inner: Storage) {
    this.description = `faulty:${inner.description}`;
    const entries = inner.entries?.bind(inner);
    if (entries !== undefined) this.entries = entries;
  }

  /** The next `count` syncs of segment files fail. */
  failSyncs(count: number): void {
    this.#failing = count;
  }

  #sync(name: string, real: () => Promise<void>): Promise<void> {
    if (this.#failing === 0 || !SEGMENT_FILE.test(name)) return real();
    this.#failing--;
    return Promise.reject(new StorageError('EIO', `sync ${name}: injected I/O error`, { syscall: 'fsync', path: name, osCode: 'EIO' }));
  }

  async open(name: string, options?: OpenOptions): Promise<StorageFile> {
    const file = await this.inner.open(name, options);
    const datasync = (): Promise<void> => this.#sync(name, () => file.datasync());
    const sync = (): Promise<void> => this.#sync(name, () => file.sync());
    return {
      name: file.name,
      writevSync: (buffers, position) => file.writevSync(buffers, position),
      writev: (buffers, position) => file.writev(buffers, position),
      read: (target, offset, length, position) => file.read(target, offset, length, position),
      readSync: (target, offset, length, position) => file.readSync(target, offset, length, position),
      size: () => file.size(),
      truncate: (length) => file.truncate(length),
      preallocate: (length) => file.preallocate(length),
      datasync,
      sync,
      close: () => file.close(),
      [Symbol.asyncDispose]: () => file.close(),
    };
  }

  list(dir?: string): Promise<string[]> {
    return this.inner.list(dir);
  }
  exists(name: string): Promise<boolean> {
    return this.inner.exists(name);
  }
  mkdir(dir: string): Promise<void> {
    return this.inner.mkdir(dir);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  remove(name: string): Promise<void> {
    return this.inner.remove(name);
  }
  syncDir(dir?: string): Promise<void> {
    return this.inner.syncDir(dir);
  }
  lock(): Promise<StorageLock> {
    return this.inner.lock();
  }
  readLock(): Promise<LockInfo | undefined> {
    return this.inner.readLock();
  }
}
