import { join } from 'node:path';
import { NodeFileStorage } from '@nori/storage';
import { parseSkippedRegions, readSkippedRegions, SKIPPED_REGIONS_FILE } from '@nori/wal/scan';
import { NoriCliError, storageFailure } from './errors.js';
import { formatCount, formatPosition, type LogPosition } from './format.js';

/**
 * A region `@nori/wal`'s salvage recovery skipped, as listed in its side file `salvaged.json`.
 * Within one segment (`from.segmentId === to.segmentId`): bytes `[from.offset, to.offset)`.
 * Across segments: segment `from.segmentId` ends (for readers) at `from.offset`, and the segments
 * between the two ids may be missing.
 */
export interface SalvagedSpan {
  from: LogPosition;
  to: LogPosition;
}

/** A known salvaged region met by a scan: skipped, never parsed, not corruption. */
export interface SalvagedRegion extends SalvagedSpan {
  /** Bytes skipped in segment `from.segmentId` (for a region across segments: up to its end). */
  length: number;
}

/** Name of the side file (`salvaged.json`), as `@nori/wal` exports it. */
export const SALVAGED_FILE: string = SKIPPED_REGIONS_FILE;

function invalid(path: string, problem: string): NoriCliError {
  return new NoriCliError(
    'ERR_BAD_SALVAGED',
    `${path} is invalid (${problem}); it lists the regions salvage recovery skipped: fix it, or move it away and run "nori-wal repair --mode salvage" to record the regions again`,
  );
}

/**
 * Parses the bytes of `salvaged.json` (`{ "version": 1, "regions": [{ "from", "to" }] }`) with
 * `@nori/wal`'s parser: positions are non-negative integers and every region goes forward.
 * Throws {@link NoriCliError} `ERR_BAD_SALVAGED` (one line naming `path`) otherwise.
 */
export function parseSalvaged(bytes: Uint8Array, path: string): SalvagedSpan[] {
  const parsed = parseSkippedRegions(bytes);
  if ('problem' in parsed) throw invalid(path, parsed.problem);
  return parsed.regions;
}

/**
 * Reads `salvaged.json` of the WAL directory `dir` (absolute), read-only, through `@nori/wal`'s
 * reader. Returns `[]` when the directory has none; throws {@link NoriCliError}
 * (`ERR_BAD_SALVAGED`, `ERR_IO`) when it cannot be used, including a file larger than `@nori/wal`
 * ever writes (never read into memory then).
 */
export async function readSalvaged(dir: string): Promise<SalvagedSpan[]> {
  const path = join(dir, SALVAGED_FILE);
  try {
    return await readSkippedRegions(new NodeFileStorage(dir), { invalid: (problem) => invalid(path, problem) });
  } catch (error) {
    if (error instanceof NoriCliError) throw error;
    throw storageFailure(error, path);
  }
}

/** `3:1973 .. 3:2119` (and, across segments, which ones may be missing). */
export function describeSalvagedSpan(region: SalvagedSpan): string {
  const span = `${formatPosition(region.from)} .. ${formatPosition(region.to)}`;
  const gap = region.to.segmentId - region.from.segmentId - 1;
  if (gap <= 0) return span;
  const last = region.to.segmentId - 1;
  return `${span} (segment${gap === 1 ? ` ${last}` : `s ${region.from.segmentId + 1}..${last}`} in between skipped too)`;
}

/** One line for a known salvaged region: positions, bytes, "salvaged (known, skipped)". */
export function describeSalvaged(region: SalvagedRegion): string {
  return `${describeSalvagedSpan(region)}: ${formatCount(region.length)} bytes salvaged (known, skipped; listed in ${SALVAGED_FILE})`;
}
