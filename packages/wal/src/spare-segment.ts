import type { Storage, StorageFile } from '@nori/storage';
import { segmentName } from './segment-name.js';

/**
 * Suffix of a segment prepared in the background. `000007.wal.next` is not a segment name, so
 * recovery (and Rust nori-wal) ignore it; a writable open removes leftovers.
 */
export const SPARE_SUFFIX = '.next';

interface Prepared {
  id: number;
  name: string;
  file: StorageFile;
  fileSize: number;
}

async function create(storage: Storage, id: number, size: number): Promise<Prepared> {
  const name = `${segmentName(id)}${SPARE_SUFFIX}`;
  const file = await storage.open(name, { create: true });
  try {
    if ((await file.size()) > 0) await file.truncate(0);
    await file.preallocate(size);
    await file.datasync();
    return { id, name, file, fileSize: size };
  } catch (error) {
    await file.close().catch(() => undefined);
    throw error;
  }
}

async function discard(storage: Storage, prepared: Prepared): Promise<void> {
  await prepared.file.close().catch(() => undefined);
  await storage.remove(prepared.name).catch(() => undefined);
}

/**
 * Prepares the next segment (create + preallocate + fsync) while the active one fills up, so a
 * rotation is a rename instead of writing `maxSegmentSize` of zeros while appends wait.
 */
export class SpareSegment {
  private pending: Promise<Prepared | undefined> | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly size: number,
  ) {}

  /** Starts preparing segment `id` in the background (no-op while one is prepared). */
  prepare(id: number): void {
    if (this.pending !== undefined) return;
    this.pending = create(this.storage, id, this.size).catch(() => undefined);
  }

  /**
   * The prepared segment `id`, renamed to its segment name and reopened under it; undefined if
   * none is ready or preparing failed (the caller then creates the segment itself).
   */
  async take(id: number): Promise<{ file: StorageFile; fileSize: number } | undefined> {
    const pending = this.pending;
    this.pending = undefined;
    const prepared = pending === undefined ? undefined : await pending;
    if (prepared === undefined) return undefined;
    if (prepared.id !== id) {
      await discard(this.storage, prepared);
      return undefined;
    }
    try {
      await this.storage.rename(prepared.name, segmentName(id));
      const file = await this.storage.open(segmentName(id));
      await prepared.file.close().catch(() => undefined);
      return { file, fileSize: prepared.fileSize };
    } catch {
      await discard(this.storage, prepared);
      return undefined;
    }
  }

  /** Drops a prepared segment (close). */
  async discard(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    const prepared = pending === undefined ? undefined : await pending;
    if (prepared !== undefined) await discard(this.storage, prepared);
  }
}

/** Removes spare segments a previous process left behind. */
export async function removeStaleSpares(storage: Storage): Promise<void> {
  for (const name of await storage.list()) {
    if (name.endsWith(`.wal${SPARE_SUFFIX}`)) await storage.remove(name);
  }
}
