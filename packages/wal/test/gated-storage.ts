import type { LockInfo, OpenOptions, Storage, StorageFile, StorageLock } from '@nori/storage';

/**
 * Wraps a storage so a test can hold `datasync` of chosen files until it opens the gate: the
 * writer then stays busy and appends queue up (backpressure, abort while queued).
 */
export class GatedStorage implements Storage {
  readonly description: string;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  syncsHeld = 0;

  constructor(
    readonly inner: Storage,
    private readonly gated: (name: string) => boolean,
  ) {
    this.description = `gated:${inner.description}`;
  }

  /** From now on, datasync of gated files waits until {@link GatedStorage.release}. */
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  /** Lets held and later syncs through. */
  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  async open(name: string, options?: OpenOptions): Promise<StorageFile> {
    const file = await this.inner.open(name, options);
    if (!this.gated(name)) return file;
    const datasync = async (): Promise<void> => {
      const gate = this.gate;
      if (gate !== undefined) {
        this.syncsHeld++;
        await gate;
      }
      await file.datasync();
    };
    return {
      name: file.name,
      writevSync: (b, p) => file.writevSync(b, p),
      writev: (b, p) => file.writev(b, p),
      read: (t, o, l, p) => file.read(t, o, l, p),
      readSync: (t, o, l, p) => file.readSync(t, o, l, p),
      size: () => file.size(),
      truncate: (l) => file.truncate(l),
      datasync,
      sync: async () => {
        await datasync();
        await file.sync();
      },
      preallocate: (l) => file.preallocate(l),
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

/** Lets pending promise callbacks and microtasks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
