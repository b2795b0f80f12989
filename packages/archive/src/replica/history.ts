import { crc32c } from '@nori/codec';
import { formatPosition, type Position } from '@nori/wal';
import { ArchiveError } from '../errors.js';

/** Segments whose digest a replica keeps (older ones are dropped; they are rarely re-shipped). */
export const MAX_TRACKED_SEGMENTS = 4096;

interface Digest {
  /** Bytes `[0, length)` of the segment were read. */
  length: number;
  crc: number;
}

/**
 * CRC32C of each segment's bytes from offset 0 as far as they were read: what a replica remembers
 * of the history it followed, to compare a new generation's snapshot with (LAYOUT.md: a new
 * generation re-ships every local segment from offset 0).
 */
export class SegmentDigests {
  private readonly digests = new Map<number, Digest>();

  /** Adds bytes `[offset, offset + bytes.length)` of a segment (kept only when contiguous from 0). */
  add(segmentId: number, offset: number, bytes: Uint8Array): void {
    const digest = this.digests.get(segmentId);
    if (offset === 0) {
      this.digests.set(segmentId, { length: bytes.length, crc: crc32c(bytes) });
      if (this.digests.size > MAX_TRACKED_SEGMENTS) this.digests.delete(Math.min(...this.digests.keys()));
    } else if (digest?.length === offset) {
      digest.length += bytes.length;
      digest.crc = crc32c(bytes, digest.crc);
    } else {
      this.digests.delete(segmentId);
    }
  }

  /** The digest of a segment read from offset 0, if any. */
  get(segmentId: number): Readonly<Digest> | undefined {
    return this.digests.get(segmentId);
  }
}

function diverged(key: string, message: string): ArchiveError {
  return new ArchiveError('ERR_REPLICA_DIVERGED', `chunk ${key}: ${message}`, { key });
}

/**
 * Checks a new generation's bytes against the history a replica already read, up to `end` (where
 * the replica's log ended when the new generation began). Feed it the new generation's data
 * chunks in order; `check` returns the offset inside the chunk from which bytes are new (`end`
 * was reached there), or `undefined` while the chunk is still entirely history.
 */
export class HistoryCheck {
  private readonly ours = new SegmentDigests();
  private lastSegment: number | undefined;
  /** True once the segment holding `end` was compared (false: the replica had no record of it). */
  verified = false;

  constructor(
    private readonly generation: number,
    private readonly reference: SegmentDigests,
    private readonly end: Position,
  ) {}

  /** @throws ArchiveError `ERR_REPLICA_DIVERGED` naming `key` when the bytes differ. */
  check(key: string, segmentId: number, offset: number, payload: Uint8Array): number | undefined {
    const { end } = this;
    if (this.lastSegment !== undefined && segmentId !== this.lastSegment) this.compareWhole(key, this.lastSegment);
    this.lastSegment = segmentId;
    if (segmentId > end.segmentId) {
      throw diverged(key, `generation ${this.generation} reaches segment ${segmentId} without holding the replica's position ${formatPosition(end)}`);
    }
    if (segmentId < end.segmentId) {
      this.ours.add(segmentId, offset, payload);
      return undefined;
    }
    const old = Math.max(0, Math.min(payload.length, end.offset - offset));
    this.ours.add(segmentId, offset, payload.subarray(0, old));
    if (offset + old < end.offset) return undefined;
    this.compareUpTo(key, segmentId, end.offset);
    return end.offset - offset;
  }

  /** Bytes of a whole earlier segment must equal what the replica read of it. */
  private compareWhole(key: string, segmentId: number): void {
    if (segmentId >= this.end.segmentId) return;
    const theirs = this.reference.get(segmentId);
    if (theirs !== undefined) this.compareUpTo(key, segmentId, theirs.length);
  }

  /** Compares bytes `[0, length)` of a segment when both sides read them from 0. */
  private compareUpTo(key: string, segmentId: number, length: number): void {
    const theirs = this.reference.get(segmentId);
    const ours = this.ours.get(segmentId);
    if (theirs === undefined || ours === undefined) return;
    if (ours.length !== length || theirs.length !== length) {
      throw diverged(key, `generation ${this.generation}'s segment ${segmentId} is ${ours.length} bytes where the replica read ${theirs.length}`);
    }
    if (ours.crc !== theirs.crc) {
      throw diverged(
        key,
        `generation ${this.generation}'s segment ${segmentId} differs from the history the replica read before ${formatPosition({ segmentId, offset: length })}`,
      );
    }
    if (segmentId === this.end.segmentId) this.verified = true;
  }
}
