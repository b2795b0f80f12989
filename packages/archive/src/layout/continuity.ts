import { ArchiveError } from '../errors.js';
import type { Position } from '@nori/wal';
import type { ChunkHeader } from './chunk.js';

/** Where the log described by a generation's data chunks ends so far. */
export interface ChunkEnd {
  segmentId: number;
  /** Offset just past the last byte shipped for `segmentId`. */
  offset: number;
  /**
   * True after an empty-segment chunk (LAYOUT.md "Empty segments"): the segment is complete and
   * empty, so only the next segment may follow.
   */
  segmentComplete: boolean;
}

/** True for a data chunk that records an empty segment (no payload, offset 0). */
export function isEmptySegmentChunk(header: ChunkHeader): boolean {
  return header.payloadLength === 0;
}

/** The end of the log after data chunk `header`. */
export function endOf(header: ChunkHeader): ChunkEnd {
  return { segmentId: header.segmentId, offset: header.offset + header.payloadLength, segmentComplete: isEmptySegmentChunk(header) };
}

/**
 * Where the log continues after data chunk `header`: its end, or the start of the next segment
 * after an empty-segment chunk (that segment is complete).
 */
export function positionAfter(header: ChunkHeader): Position {
  const end = endOf(header);
  return end.segmentComplete ? { segmentId: end.segmentId + 1, offset: 0 } : { segmentId: end.segmentId, offset: end.offset };
}

/**
 * The continuity rule (LAYOUT.md): a data chunk continues the previous one's segment at its end
 * (unless that was an empty-segment chunk), or starts the next segment at offset 0. `previous`
 * undefined means `header` is the first data chunk read (it must start a segment). Throws
 * `ERR_ARCHIVE_CORRUPT` naming `key` otherwise.
 */
export function checkContinuity(previous: ChunkEnd | undefined, header: ChunkHeader, key: string): void {
  if (previous === undefined) {
    if (header.offset !== 0) {
      throw new ArchiveError(
        'ERR_ARCHIVE_CORRUPT',
        `chunk ${key}: the first data chunk starts at offset ${header.offset} of segment ${header.segmentId}, not 0`,
        { key },
      );
    }
    return;
  }
  const sameSegment = !previous.segmentComplete && header.segmentId === previous.segmentId && header.offset === previous.offset;
  const nextSegment = header.segmentId === previous.segmentId + 1 && header.offset === 0;
  if (!sameSegment && !nextSegment) {
    throw new ArchiveError(
      'ERR_ARCHIVE_CORRUPT',
      `chunk ${key}: segment ${header.segmentId} offset ${header.offset} does not continue the log ` +
        `(expected ${previous.segmentComplete ? '' : `segment ${previous.segmentId} offset ${previous.offset}, or `}segment ${previous.segmentId + 1} offset 0)`,
      { key },
    );
  }
}
