import { StorageError, type Storage, type StorageFile } from '@nori/storage';

/** Segment files are the ones whose syncs {@link FaultyStorage} fails. */
const SEGMENT_FILE = /^\d{6}\.wal$/;

/** `target` with some members replaced; every other member is the target's, bound to it. */
function overlay<T extends object>(target: T, replaced: Partial<T>): T {
  return new Proxy(target, {
    get(inner, key) {
      if (Object.hasOwn(replaced, key)) return (replaced as Record<PropertyKey, unknown>)[key];
      const value: unknown = Reflect.get(inner, key, inner);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(inner) : value;
    },
  });
}

/**
 * Wraps any `Storage` and fails the next N syncs of segment files with `EIO` (a disk that
 * reports a failed fsync), so the WAL's failure handling can be checked on real files too.
 * `storage` is the wrapped view; every operation but segment syncs passes straight through.
 */
export class FaultyStorage {
  /** The storage to hand to the WAL. */
  readonly storage: Storage;
  #failing = 0;

  /** Wraps `inner`; no fault is armed. */
  constructor(inner: Storage) {
    const open = async (...args: Parameters<Storage['open']>): Promise<StorageFile> => {
      const file = await inner.open(...args);
      return overlay(file, { datasync: () => this.#sync(file, 'datasync'), sync: () => this.#sync(file, 'sync') });
    };
    this.storage = overlay(inner, { open, description: `faulty:${inner.description}` });
  }

  /** The next `count` syncs of segment files fail. */
  failSyncs(count: number): void {
    this.#failing = count;
  }

  #sync(file: StorageFile, op: 'datasync' | 'sync'): Promise<void> {
    if (this.#failing === 0 || !SEGMENT_FILE.test(file.name)) return file[op]();
    this.#failing--;
    return Promise.reject(new StorageError('EIO', `${op} ${file.name}: injected I/O error`, { syscall: op, path: file.name, osCode: 'EIO' }));
  }
}
