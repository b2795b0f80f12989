import { segmentName } from './segment-name.js';
import type { SegmentInfo } from './types.js';

interface Entry {
  id: number;
  /** Logical size (bytes of records). */
  size: number;
  /** Length on disk. */
  fileSize: number;
  active: boolean;
}

/** The WAL's in-memory list of segments, ordered by id. */
export class SegmentTable {
  private readonly entries = new Map<number, Entry>();
  private ordered: number[] = [];

  /**
   * Adds a segment (ids must be added in increasing order): `size` bytes of records, `fileSize`
   * on disk; `active` when it is the segment appends go to.
   */
  add(segment: { id: number; size: number; fileSize: number; active: boolean }): void {
    const { id, size, fileSize, active } = segment;
    this.entries.set(id, { id, size, fileSize, active });
    this.ordered.push(id);
  }

  /** Updates sizes of a segment. */
  setSize(id: number, size: number, fileSize: number): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) {
      entry.size = size;
      entry.fileSize = fileSize;
    }
  }

  /** A rotated segment: no longer active, trimmed to its logical size. */
  finish(id: number, size: number): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) {
      entry.size = size;
      entry.fileSize = size;
      entry.active = false;
    }
  }

  /** Makes `id` the active segment again at `size` bytes (`truncateAfter` cut it there). */
  reactivate(id: number, size: number): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) {
      entry.size = size;
      entry.fileSize = size;
      entry.active = true;
    }
  }

  /** Forgets a deleted segment. */
  remove(id: number): void {
    this.entries.delete(id);
    this.ordered = this.ordered.filter((x) => x !== id);
  }

  /** Logical size of segment `id`, or undefined if it is not part of the log. */
  sizeOf(id: number): number | undefined {
    return this.entries.get(id)?.size;
  }

  /** Length on disk of segment `id`. */
  fileSizeOf(id: number): number {
    return this.entries.get(id)?.fileSize ?? 0;
  }

  /** True if `id` is the active segment. */
  isActive(id: number): boolean {
    return this.entries.get(id)?.active ?? false;
  }

  /** Segment ids in increasing order. */
  ids(): readonly number[] {
    return this.ordered;
  }

  /** The smallest id after `id`, or undefined. */
  nextAfter(id: number): number | undefined {
    for (const candidate of this.ordered) if (candidate > id) return candidate;
    return undefined;
  }

  /** Segment descriptions for `wal.segments()`. */
  infos(): SegmentInfo[] {
    return this.ordered.map((id) => {
      const e = this.entries.get(id) as Entry;
      return { id, name: segmentName(id), size: e.size, active: e.active };
    });
  }

  /** Sum of on-disk lengths. */
  diskBytes(): number {
    let total = 0;
    for (const e of this.entries.values()) total += e.fileSize;
    return total;
  }
}
