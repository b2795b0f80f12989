import type { Storage, StorageFile } from '@nori/storage';
import { segmentName } from './segment-name.js';
import type { FlushedTail } from './tail-flush.js';
import { SpareSegment } from './spare-segment.js';

/** What the writer needs to know about the active segment. */
export interface ActiveSegment {
  id: number;
  file: StorageFile;
  /** Logical end: bytes handed to the OS. */
  size: number;
  /** Length of the file on disk (preallocation included). */
  fileSize: number;
  /** Records in it when it became active (recovered ones; 0 for a new segment). */
  records: number;
}

/** A segment file just opened for writing. */
export interface OpenedSegment {
  file: StorageFile;
  /** Its length on disk (preallocation included). */
  fileSize: number;
}

/** Segment-file options (resolved config subset). */
export interface SegmentFilesOptions {
  storage: Storage;
  maxSegmentSize: number;
  preallocate: boolean;
}

/**
 * The writer's segment files: creating (and preallocating) the next segment, or renaming the
 * spare one prepared in the background, trimming a preallocated tail, and closing.
 */
export class SegmentFiles {
  private readonly storage: Storage;
  private readonly maxSegmentSize: number;
  private readonly preallocate: boolean;
  /** The next segment, prepared in the background once the active one is half full. */
  private readonly spare: SpareSegment | undefined;
  private readonly spareAt: number;

  constructor(options: SegmentFilesOptions) {
    this.storage = options.storage;
    this.maxSegmentSize = options.maxSegmentSize;
    this.preallocate = options.preallocate;
    this.spare = options.preallocate ? new SpareSegment(options.storage, options.maxSegmentSize) : undefined;
    this.spareAt = this.spare === undefined ? Infinity : options.maxSegmentSize / 2;
  }

  /** Notes that segment `id` now ends at `size`: past half full, the spare starts preparing. */
  grew(id: number, size: number): void {
    if (size >= this.spareAt) this.spare?.prepare(id + 1);
  }

  /** Segment `id` ready for writing: the spare renamed, or created (and preallocated) now. */
  async next(id: number): Promise<OpenedSegment> {
    return (await this.spare?.take(id)) ?? (await this.create(id));
  }

  /** Cuts `segment`'s preallocated tail off (not fsynced: the caller's next fsync covers it). */
  async trim(segment: ActiveSegment): Promise<void> {
    if (segment.fileSize <= segment.size) return;
    await segment.file.truncate(segment.size);
    segment.fileSize = segment.size;
  }

  /** Drops the spare segment and closes `active` (close and failure). */
  async close(active: ActiveSegment): Promise<void> {
    try {
      await this.spare?.discard();
    } finally {
      await active.file.close();
    }
  }

  /** Creates (and preallocates) segment `id` in the foreground. */
  private async create(id: number): Promise<OpenedSegment> {
    const file = await this.storage.open(segmentName(id), { create: true });
    try {
      let fileSize = await file.size();
      if (fileSize > 0) {
        // A leftover file with this id (never expected: recovery quarantines later segments).
        await file.truncate(0);
        fileSize = 0;
      }
      if (this.preallocate) {
        await file.preallocate(this.maxSegmentSize);
        await file.datasync();
        fileSize = this.maxSegmentSize;
      }
      return { file, fileSize };
    } catch (error) {
      await file.close().catch(() => undefined);
      throw error;
    }
  }
}

/** What {@link openActiveSegment} resumes: the last recovered segment, or nothing (new log / sealed). */
export interface ResumeFrom {
  id: number;
  size: number;
  /** Opened as `size` bytes of data in a file of `fileSize` bytes. */
  fileSize: number;
  /** True when `id` is sealed: the next segment becomes active. */
  sealed: boolean;
  /** The last segment holding data, when not `id` (it may hold unsynced bytes). */
  lastWithData: number | undefined;
}

/**
 * Opens the active segment at startup: segment `from.id` (or `from.id + 1` when sealed, or 0
 * for a new log), preallocated when empty, and makes recovered bytes durable first.
 */
export async function openActiveSegment(
  options: SegmentFilesOptions,
  from: ResumeFrom | undefined,
  flushed: FlushedTail,
): Promise<OpenedSegment & { id: number; size: number }> {
  const { storage } = options;
  const sealed = from?.sealed === true;
  const id = from === undefined ? 0 : sealed ? from.id + 1 : from.id;
  const file = await storage.open(segmentName(id), { create: true });
  try {
    let fileSize = sealed ? await file.size() : (from?.fileSize ?? 0);
    const size = sealed ? 0 : (from?.size ?? 0);
    // Only an empty active segment is preallocated here: extending a recovered one would
    // write up to maxSegmentSize of zeros (storage 'zeros' mode) before the first append.
    // It grows with appends; every segment created by a rotation is preallocated.
    const preallocate = options.preallocate && size === 0 && fileSize < options.maxSegmentSize;
    if (preallocate) {
      await file.preallocate(options.maxSegmentSize);
      fileSize = options.maxSegmentSize;
    }
    // Recovered bytes may still sit in the page cache (os policy + process crash): make
    // them durable so durablePosition tells the truth. A segment gets data only after its
    // predecessor's fsync, so only the last non-empty one can hold unsynced bytes — it may
    // be the one before the active segment when the process died mid-rotation.
    // Likewise the directory entry of a segment created just before a crash. The three flushes
    // are independent (different files), so they run together; what recovery's scan already
    // flushed (flushTail) is not flushed again, unless this open created or extended the file.
    const lastWithData = from?.lastWithData;
    const created = from === undefined || sealed;
    // allSettled: the file is closed on failure only once no flush of it is still running.
    const flushes = await Promise.allSettled([
      created || preallocate || !flushed.segments.has(id) ? file.datasync() : undefined,
      lastWithData !== undefined && lastWithData !== id && !flushed.segments.has(lastWithData) ? syncSegment(storage, lastWithData) : undefined,
      created || !flushed.directory ? storage.syncDir() : undefined,
    ]);
    for (const flush of flushes) if (flush.status === 'rejected') throw flush.reason;
    return { id, size, file, fileSize };
  } catch (error) {
    await file.close().catch(() => undefined);
    throw error;
  }
}

/** fdatasync of one recovered segment. */
async function syncSegment(storage: Storage, id: number): Promise<void> {
  const file = await storage.open(segmentName(id));
  try {
    await file.datasync();
  } finally {
    await file.close();
  }
}
