import { removeFileDurably, removeStaleTmp, tmpNameOf, writeFileAtomically } from '@nori/storage';
import type { Storage } from '@nori/storage';
import { WalError, errorCode } from './errors.js';
import { formatPosition, isPosition } from './position.js';
import type { Position } from './types.js';
import { readWholeFile } from './segment-io.js';

/**
 * Side file listing the regions salvage recovery skipped (never inside segments). Every later
 * open, in any mode, jumps over them instead of treating them as new damage.
 */
export const SKIPPED_REGIONS_FILE = 'salvaged.json';
/** Temporary name of {@link SKIPPED_REGIONS_FILE} while it is rewritten (tmp + fsync + rename). */
export const SKIPPED_REGIONS_TMP = tmpNameOf(SKIPPED_REGIONS_FILE);

/**
 * A damaged region skipped by salvage. Within one segment (`from.segmentId === to.segmentId`):
 * bytes `[from.offset, to.offset)`. Across segments: the segment `from.segmentId` ends (for
 * readers) at `from.offset`, and the segments between the two ids may be missing.
 */
export interface SkippedSpan {
  from: Position;
  to: Position;
}

interface FileContent {
  version: 1;
  regions: SkippedSpan[];
}

/**
 * Most regions the side file lists: salvage refuses to record more (a log that damaged is copied
 * out with `nori-wal dump`, not patched in place), so a larger file is not one nori wrote.
 */
export const MAX_SKIPPED_REGIONS = 10_000;

/** Encoded bytes of the widest possible region (every position field at its largest). */
function widestRegionBytes(): number {
  const widest: SkippedSpan = {
    from: { segmentId: Number.MAX_SAFE_INTEGER, offset: Number.MAX_SAFE_INTEGER },
    to: { segmentId: Number.MAX_SAFE_INTEGER, offset: Number.MAX_SAFE_INTEGER },
  };
  return encodeSkippedRegions([widest, widest]).length - encodeSkippedRegions([widest]).length;
}

/** Largest side file the writer produces ({@link MAX_SKIPPED_REGIONS} of the widest regions). */
export const SKIPPED_REGIONS_MAX_BYTES = encodeSkippedRegions([]).length + MAX_SKIPPED_REGIONS * widestRegionBytes();

function invalid(message: string): WalError {
  return new WalError(
    'ERR_CORRUPTION',
    `${SKIPPED_REGIONS_FILE} is invalid (${message}); it lists regions salvage recovery skipped: restore it or move the directory's records to a fresh log`,
  );
}

/** Canonical key of a span (dedupe and comparison). */
export function spanKey(span: SkippedSpan): string {
  return `${span.from.segmentId}:${span.from.offset}-${span.to.segmentId}:${span.to.offset}`;
}

/**
 * Parses the side file's bytes (`{ "version": 1, "regions": [{ "from", "to" }] }`): positions are
 * non-negative integers and every region goes forward. The one parser of the file (recovery and
 * the CLI). Returns the regions, or the problem found (one short phrase).
 */
export function parseSkippedRegions(bytes: Uint8Array): { regions: SkippedSpan[] } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { problem: 'not JSON' };
  }
  const content = parsed as Partial<FileContent> | null;
  if (typeof content !== 'object' || content === null || content.version !== 1 || !Array.isArray(content.regions)) {
    return { problem: 'expected { "version": 1, "regions": [...] }' };
  }
  if (content.regions.length > MAX_SKIPPED_REGIONS) {
    return { problem: `${content.regions.length} regions, more than the ${MAX_SKIPPED_REGIONS} salvage ever records` };
  }
  const regions: SkippedSpan[] = [];
  for (const [index, region] of (content.regions as unknown[]).entries()) {
    const span = region as Partial<SkippedSpan> | null;
    if (typeof span !== 'object' || span === null || !isPosition(span.from) || !isPosition(span.to)) {
      return { problem: `region ${index} is not { "from": { "segmentId", "offset" }, "to": { "segmentId", "offset" } } with non-negative integers` };
    }
    const from = { segmentId: span.from.segmentId, offset: span.from.offset };
    const to = { segmentId: span.to.segmentId, offset: span.to.offset };
    const forward = to.segmentId > from.segmentId || (to.segmentId === from.segmentId && to.offset > from.offset);
    if (!forward) return { problem: `region ${index} (${formatPosition(from)} .. ${formatPosition(to)}) does not go forward` };
    regions.push({ from, to });
  }
  return { regions };
}

/** Parses the side file's bytes. @throws WalError `ERR_CORRUPTION` if it is not a valid list. */
export function decodeSkippedRegions(bytes: Uint8Array): SkippedSpan[] {
  const parsed = parseSkippedRegions(bytes);
  if ('problem' in parsed) throw invalid(parsed.problem);
  return parsed.regions;
}

/** Encodes the side file (stable, human-readable). */
export function encodeSkippedRegions(regions: readonly SkippedSpan[]): Uint8Array {
  const content: FileContent = { version: 1, regions: regions.map((r) => ({ from: { ...r.from }, to: { ...r.to } })) };
  return new TextEncoder().encode(`${JSON.stringify(content, null, 2)}\n`);
}

/**
 * Reads the known skipped regions (empty when the side file is absent). `invalid` makes the error
 * thrown for an invalid file from the problem found (the CLI names the path and its own advice).
 * @throws WalError `ERR_CORRUPTION` naming the file when it is invalid or larger than
 *   {@link SKIPPED_REGIONS_MAX_BYTES} (then nothing is read into memory).
 */
export async function readSkippedRegions(storage: Storage, options: { invalid?: (problem: string) => Error } = {}): Promise<SkippedSpan[]> {
  const refuse = options.invalid ?? invalid;
  let file;
  try {
    file = await storage.open(SKIPPED_REGIONS_FILE, { readOnly: true });
  } catch (error) {
    if (errorCode(error) === 'ERR_NOT_FOUND') return [];
    throw error;
  }
  try {
    const size = await file.size();
    if (size > SKIPPED_REGIONS_MAX_BYTES) {
      throw refuse(`${size} bytes, more than the ${SKIPPED_REGIONS_MAX_BYTES} bytes of ${MAX_SKIPPED_REGIONS} regions`);
    }
    const parsed = parseSkippedRegions(await readWholeFile(file));
    if ('problem' in parsed) throw refuse(parsed.problem);
    return parsed.regions;
  } finally {
    await file.close();
  }
}

/**
 * Replaces the side file crash-safely: written to a temporary name and fsynced, renamed over the
 * old one, then the directory is fsynced. An empty list removes the file (durably). After a crash
 * at any step the file holds either the old list or the new one, never a mix.
 */
export async function writeSkippedRegions(storage: Storage, regions: readonly SkippedSpan[]): Promise<void> {
  if (regions.length === 0) return removeFileDurably(storage, SKIPPED_REGIONS_FILE);
  return writeFileAtomically(storage, SKIPPED_REGIONS_FILE, encodeSkippedRegions(regions));
}

/** Removes a temporary side file left by a crash during {@link writeSkippedRegions}. */
export function removeStaleSkippedTmp(storage: Storage): Promise<void> {
  return removeStaleTmp(storage, SKIPPED_REGIONS_FILE);
}
