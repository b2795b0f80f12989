import { ArchiveError } from '../errors.js';
import type { ChunkHeader } from './chunk.js';

/** Where the log described by a generation's data chunks ends so far. */
export interface ChunkEnd {
  segmentId: number;
  /** Offset just past the last byte shipped for `segmentId`. */
  offset: number;
}

/** The end of the log after data chunk `header`. */
export function endOf(header: ChunkHeader): ChunkEnd {
  return { segmentId: header.segmentId, offset: header.offset + header.payloadLength };
}

/**
 * The continuity rule (LAYOUT.md): a data chunk continues the previous one's segment at its end,
 * or starts the next segment at offset 0. `previous` undefined means `header` is the first data
 * chunk read (it must start a segment). Throws `ERR_ARCHIVE_CORRUPT` naming `key` otherwise.
 */
export function checkContinuity(previous: ChunkEnd | undefined, header: ChunkHeader, key: string): void {
  if (previous === undefined) {
    if (header.offset !== 0) {
      throw new ArchiveError('ERR_ARCHIVE_CORRUPT', `chunk ${key}: the first data chunk starts at offset ${header.offset} of segment ${header.segmentId}, not 0`, { key });
    }
    return;
  }
  const sameSegment = header.segmentId === previous.segmentId && header.offset === previous.offset;
  const nextSegment = header.segmentId === previous.segmentId + 1 && header.offset === 0;
  if (!sameSegment && !nextSegment) {
    throw new ArchiveError(
      'ERR_ARCHIVE_CORRUPT',
      `chunk ${key}: segment ${header.segmentId} offset ${header.offset} does not continue the log ` +
        `(expected segment ${previous.segmentId} offset ${previous.offset}, or segment ${previous.segmentId + 1} offset 0)`,
      { key },
    );
  }
}
