import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SEALED_SEGMENTS_FILE, SEALED_TAIL_WINDOW, decodeSealedLog, sealedLogLimit, sealedTailHash, type SealedEntry } from '@nori/wal';
import { NoriCliError, fsError } from './errors.js';
import type { SegmentFile } from './wal-dir.js';

/** `sealed.log`, where `@nori/wal` describes every segment it sealed (length, records, last bytes). */
export const SEALED_FILE: string = SEALED_SEGMENTS_FILE;

/** An open `sealed.log` whose size was taken before the directory was listed. */
export interface SealedSnapshot {
  /** Reads the entries within that size (then closes the file). */
  read(segmentFiles: number): Promise<SealedEntry[]>;
}

/**
 * Opens `sealed.log` of `dir` read-only and takes its size. Call it BEFORE listing the directory:
 * `@nori/wal` writes an entry only once the next segment exists, so no entry read then names a
 * segment the listing misses (a live writer rotating meanwhile is no false alarm).
 */
export async function snapshotSealed(dir: string): Promise<SealedSnapshot> {
  const path = join(dir, SEALED_FILE);
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { read: () => Promise.resolve([]) };
    throw fsError(error, path);
  }
  let size: number;
  try {
    size = (await file.stat()).size;
  } catch (error) {
    await file.close();
    throw fsError(error, path);
  }
  return {
    async read(segmentFiles) {
      try {
        const limit = sealedLogLimit(segmentFiles);
        if (size > limit) {
          throw new NoriCliError('ERR_BAD_SEALED', `${path} is invalid (${size} bytes, more than the ${limit} bytes that describe ${segmentFiles} segment files)`);
        }
        const bytes = new Uint8Array(size);
        const { bytesRead } = await file.read(bytes, 0, size, 0);
        try {
          return decodeSealedLog(bytes.subarray(0, bytesRead)).entries;
        } catch (error) {
          throw new NoriCliError('ERR_BAD_SEALED', `${path}: ${error instanceof Error ? error.message : String(error)}`);
        }
      } finally {
        await file.close();
      }
    },
  };
}

/** How a sealed segment differs from its entry: `shorter`, `changed` (last bytes) or `longer` (data after its end). */
export interface SealedDifference {
  reason: 'sealed-shorter' | 'sealed-changed' | 'sealed-longer';
  /** Where the difference starts (for `changed`: the start of the tail window it lies in). */
  offset: number;
  length: number;
}

/** Compares a segment file with its `sealed.log` entry (reads only its last bytes and what follows its sealed end). */
export async function compareSealed(segment: SegmentFile, entry: SealedEntry): Promise<SealedDifference | undefined> {
  if (segment.size < entry.length) return { reason: 'sealed-shorter', offset: segment.size, length: entry.length - segment.size };
  let file: FileHandle;
  try {
    file = await open(segment.path, 'r');
  } catch (error) {
    // Scanned, then collected by a live writer's GC (which drops its entry first): nothing to compare.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(error, segment.path);
  }
  try {
    const window = Math.min(entry.length, SEALED_TAIL_WINDOW);
    const tail = new Uint8Array(window);
    await file.read(tail, 0, window, entry.length - window);
    if (sealedTailHash(tail) !== entry.tailHash) return { reason: 'sealed-changed', offset: entry.length - window, length: window };
    const after = new Uint8Array(Math.min(segment.size - entry.length, 64 * 1024));
    for (let at = entry.length; at < segment.size; at += after.length) {
      const { bytesRead } = await file.read(after, 0, Math.min(after.length, segment.size - at), at);
      if (after.subarray(0, bytesRead).some((byte) => byte !== 0)) {
        return { reason: 'sealed-longer', offset: entry.length, length: segment.size - entry.length };
      }
      if (bytesRead === 0) break;
    }
    return undefined;
  } finally {
    await file.close();
  }
}
