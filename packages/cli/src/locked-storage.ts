import type { LockInfo, OpenOptions, Storage, StorageEntry, StorageFile, StorageLock } from '@nori/storage';

/**
 * A {@link Storage} whose writer lock is already held: `lock()` hands out that lock instead of
 * taking a new one. `repair` takes the lock once, prepares under it, and passes it on to
 * `Wal.open` so that no other writer can slip in between.
 */
export class HeldLockStorage implements Storage {
  constructor(
    private readonly inner: Storage & Required<Pick<Storage, 'entries'>>,
    private readonly held: StorageLock,
  ) {}

  /** The inner storage's typed listing, so `Wal.open` still refuses links and special files. */
  entries(dir?: string): Promise<StorageEntry[]> {
    return this.inner.entries(dir);
  }

  get description(): string {
    return this.inner.description;
  }

  open(name: string, options?: OpenOptions): Promise<StorageFile> {
    return this.inner.open(name, options);
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
    return Promise.resolve(this.held);
  }

  readLock(): Promise<LockInfo | undefined> {
    return this.inner.readLock();
  }
}
