import { removeStaleTmp, writeFileAtomically } from '@nori/storage';
import type { Storage } from '@nori/storage';
import { WalError, errorCode } from './errors.js';
import { readWholeFile } from './segment-io.js';

/**
 * Side file anchoring sequence numbers (never inside segments, so Rust nori-wal still reads every
 * segment): the index of the first record of one segment, written before GC deletes the segments
 * in front of it, and the `truncateBefore` mark. A log without it (new, or written by Rust)
 * numbers its records from {@link FIRST_INDEX} at its oldest segment.
 */
export const INDEX_FILE = 'index.json';
/** The sequence number of the first record of a log that never lost its front. */
export const FIRST_INDEX = 1;
/** Largest side file nori writes (a few numbers); a larger one is not ours. */
const INDEX_FILE_MAX_BYTES = 4096;

/** What the side file holds. */
export interface IndexAnchor {
  /** A segment id and the index its first record has (or will have, when it is empty). */
  segmentId: number;
  firstIndex: number;
  /** Records below this index are gone for readers (`truncateBefore`), even if their segment still exists. */
  truncatedBefore: number;
}

interface FileContent {
  version: 1;
  anchor: { segmentId: number; firstIndex: number };
  truncatedBefore: number;
}

function invalid(message: string, cause?: unknown): WalError {
  return new WalError(
    'ERR_CORRUPTION',
    `${INDEX_FILE} is invalid (${message}); it holds the sequence number of the log's first record: restore it`,
    cause === undefined ? undefined : { cause },
  );
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Parses the side file. @throws WalError `ERR_CORRUPTION` when it is not one nori wrote. */
export function decodeIndexAnchor(bytes: Uint8Array): IndexAnchor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw invalid('not JSON', error);
  }
  const content = parsed as Partial<FileContent> | null;
  const anchor = content?.anchor;
  if (
    typeof content !== 'object' ||
    content === null ||
    content.version !== 1 ||
    typeof anchor !== 'object' ||
    anchor === null ||
    !isIndex(anchor.segmentId) ||
    !isIndex(anchor.firstIndex) ||
    !isIndex(content.truncatedBefore)
  ) {
    throw invalid('expected { "version": 1, "anchor": { "segmentId", "firstIndex" }, "truncatedBefore" } with non-negative integers');
  }
  return { segmentId: anchor.segmentId, firstIndex: anchor.firstIndex, truncatedBefore: content.truncatedBefore };
}

/** Encodes the side file (stable, human-readable). */
export function encodeIndexAnchor(anchor: IndexAnchor): Uint8Array {
  const content: FileContent = {
    version: 1,
    anchor: { segmentId: anchor.segmentId, firstIndex: anchor.firstIndex },
    truncatedBefore: anchor.truncatedBefore,
  };
  return new TextEncoder().encode(`${JSON.stringify(content, null, 2)}\n`);
}

/** Reads the side file; undefined when it does not exist. */
export async function readIndexAnchor(storage: Storage): Promise<IndexAnchor | undefined> {
  let file;
  try {
    file = await storage.open(INDEX_FILE, { readOnly: true });
  } catch (error) {
    if (errorCode(error) === 'ERR_NOT_FOUND') return undefined;
    throw error;
  }
  try {
    const size = await file.size();
    if (size > INDEX_FILE_MAX_BYTES) throw invalid(`${size} bytes, more than the ${INDEX_FILE_MAX_BYTES} nori writes`);
    return decodeIndexAnchor(await readWholeFile(file));
  } finally {
    await file.close();
  }
}

/** Replaces the side file crash-safely (tmp + fsync + rename + directory fsync). */
export function writeIndexAnchor(storage: Storage, anchor: IndexAnchor): Promise<void> {
  return writeFileAtomically(storage, INDEX_FILE, encodeIndexAnchor(anchor));
}

/** Removes a temporary side file left by a crash during {@link writeIndexAnchor}. */
export function removeStaleIndexTmp(storage: Storage): Promise<void> {
  return removeStaleTmp(storage, INDEX_FILE);
}

/**
 * The first index of every recovered segment, derived from the anchor by counting records
 * forwards and backwards (segments in front of the anchor exist only when a crash hit GC between
 * writing the side file and deleting them).
 * @throws WalError `ERR_CORRUPTION` when the anchor names a segment in front of the oldest one
 *   (segments were deleted outside nori: the indexes of what is left cannot be known).
 */
export function firstIndexes(segments: readonly { id: number; records: number }[], anchor: IndexAnchor | undefined): number[] {
  const oldest = segments[0];
  if (oldest === undefined) return [];
  const base = anchor ?? { segmentId: oldest.id, firstIndex: FIRST_INDEX };
  if (base.segmentId < oldest.id) {
    throw new WalError(
      'ERR_CORRUPTION',
      `${INDEX_FILE} gives the first index of segment ${base.segmentId}, but the oldest segment is ${oldest.id}: segments were ` +
        `deleted outside nori and the sequence numbers of the rest are unknown; restore them, or remove ${INDEX_FILE} to number ` +
        `the log from ${FIRST_INDEX} again`,
    );
  }
  let before = 0;
  for (const segment of segments) if (segment.id < base.segmentId) before += segment.records;
  const out: number[] = [];
  let next = base.firstIndex - before;
  if (next < 0) throw invalid(`the anchor's first index ${base.firstIndex} is smaller than the ${before} records in front of it`);
  for (const segment of segments) {
    out.push(next);
    next += segment.records;
  }
  return out;
}
