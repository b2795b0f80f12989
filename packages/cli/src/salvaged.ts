import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_SKIPPED_REGIONS, SKIPPED_REGIONS_FILE, SKIPPED_REGIONS_MAX_BYTES } from '@nori/wal';
import { NoriCliError, fsError } from './errors.js';
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

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function toPosition(value: unknown): LogPosition | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { segmentId, offset } = value as { segmentId?: unknown; offset?: unknown };
  return isOffset(segmentId) && isOffset(offset) ? { segmentId, offset } : undefined;
}

function invalid(path: string, problem: string): NoriCliError {
  return new NoriCliError(
    'ERR_BAD_SALVAGED',
    `${path} is invalid (${problem}); it lists the regions salvage recovery skipped: fix it, or move it away and run "nori-wal repair --mode salvage" to record the regions again`,
  );
}

/**
 * Parses the bytes of `salvaged.json` (`{ "version": 1, "regions": [{ "from", "to" }] }`) with
 * the same rules as `@nori/wal`: positions are non-negative integers and every region goes
 * forward. Throws {@link NoriCliError} `ERR_BAD_SALVAGED` (one line naming `path`) otherwise.
 */
export function parseSalvaged(bytes: Uint8Array, path: string): SalvagedSpan[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid(path, 'not JSON');
  }
  const content = parsed as { version?: unknown; regions?: unknown } | null;
  if (typeof content !== 'object' || content === null || Array.isArray(content) || content.version !== 1 || !Array.isArray(content.regions)) {
    throw invalid(path, 'expected { "version": 1, "regions": [...] }');
  }
  if (content.regions.length > MAX_SKIPPED_REGIONS) {
    throw invalid(path, `${content.regions.length} regions, more than the ${MAX_SKIPPED_REGIONS} salvage ever records`);
  }
  const regions: SalvagedSpan[] = [];
  for (const [index, entry] of (content.regions as unknown[]).entries()) {
    const span = typeof entry === 'object' && entry !== null ? (entry as { from?: unknown; to?: unknown }) : {};
    const from = toPosition(span.from);
    const to = toPosition(span.to);
    if (from === undefined || to === undefined) {
      throw invalid(path, `region ${index} is not { "from": { "segmentId", "offset" }, "to": { "segmentId", "offset" } } with non-negative integers`);
    }
    const forward = to.segmentId > from.segmentId || (to.segmentId === from.segmentId && to.offset > from.offset);
    if (!forward) throw invalid(path, `region ${index} (${formatPosition(from)} .. ${formatPosition(to)}) does not go forward`);
    regions.push({ from, to });
  }
  return regions;
}

/**
 * Reads `salvaged.json` of the WAL directory `dir` (absolute), read-only. Returns `[]` when the
 * directory has none; throws {@link NoriCliError} (`ERR_BAD_SALVAGED`, `ERR_IO`) when it cannot
 * be used, including a file larger than `@nori/wal` ever writes (never read into memory then).
 */
export async function readSalvaged(dir: string): Promise<SalvagedSpan[]> {
  const path = join(dir, SALVAGED_FILE);
  let bytes: Uint8Array;
  try {
    // Checked before reading: a hostile multi-GB file must not be read into memory.
    const { size } = await stat(path);
    if (size > SKIPPED_REGIONS_MAX_BYTES) {
      throw invalid(path, `${size} bytes, more than the ${SKIPPED_REGIONS_MAX_BYTES} bytes of ${MAX_SKIPPED_REGIONS} regions`);
    }
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof NoriCliError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fsError(error, path);
  }
  return parseSalvaged(bytes, path);
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
