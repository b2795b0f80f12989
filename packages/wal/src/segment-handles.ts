import type { Storage, StorageFile } from '@nori/storage';
import { segmentName } from './segment-name.js';

/** Read-only segment files point reads keep open (most recently used first). */
export const POINT_READ_HANDLES = 16;

interface Handle {
  id: number;
  file: Promise<StorageFile>;
  users: number;
  /** Evicted or forgotten while in use: closed by its last user. */
  retired: boolean;
}

/**
 * A small cache of read-only segment files for point reads (`get`): an open and a close cost two
 * thread-pool round trips, more than the read itself. Files are closed when evicted, when their
 * segment is deleted or cut ({@link SegmentHandles.forget}) and at close, never under a read.
 */
export class SegmentHandles {
  private handles: Handle[] = [];
  /** After closeAll: files are closed right after each use. */
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private readonly capacity = POINT_READ_HANDLES,
  ) {}

  /** Runs `use` with segment `id` open read-only. */
  async with<T>(id: number, use: (file: StorageFile) => Promise<T> | T): Promise<T> {
    const handle = this.acquire(id);
    try {
      return await use(await handle.file);
    } finally {
      handle.users--;
      if (handle.retired && handle.users === 0) await this.close(handle);
    }
  }

  /** Closes the file of segment `id` (deleted or cut), once no read uses it. */
  async forget(id: number): Promise<void> {
    const handle = this.handles.find((h) => h.id === id);
    if (handle !== undefined) await this.retire(handle);
  }

  /** Closes every file (the WAL closes). */
  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.handles].map((handle) => this.retire(handle)));
  }

  private acquire(id: number): Handle {
    let handle = this.handles.find((h) => h.id === id);
    if (handle === undefined) {
      handle = { id, file: this.storage.open(segmentName(id), { readOnly: true }), users: 0, retired: false };
      // A failed open is not cached.
      const opened = handle;
      opened.file.catch(() => {
        this.handles = this.handles.filter((h) => h !== opened);
      });
      this.handles.unshift(handle);
      const evicted = this.handles.splice(this.capacity);
      for (const old of evicted) void this.retire(old);
    } else {
      this.handles = [handle, ...this.handles.filter((h) => h !== handle)];
    }
    handle.users++;
    if (this.closed) void this.retire(handle);
    return handle;
  }

  private async retire(handle: Handle): Promise<void> {
    this.handles = this.handles.filter((h) => h !== handle);
    handle.retired = true;
    if (handle.users === 0) await this.close(handle);
  }

  private async close(handle: Handle): Promise<void> {
    const file = await handle.file.catch(() => undefined);
    await file?.close().catch(() => undefined);
  }
}
