import { comparePositions, formatPosition, type Position } from '@nori/wal';
import { ArchiveError } from '../errors.js';
import { chunkKey } from '../layout/keys.js';
import type { ArchiveCatalog, GenerationInfo } from '../read/catalog.js';

/** What a restore targets: a position, a time, or (neither) the end of the generation. */
export interface RestoreTarget {
  to?: Position | undefined;
  toTime?: Date | undefined;
  generation?: number | undefined;
}

/** The chunk range one restore reads. */
export interface RestorePlan {
  generation: GenerationInfo;
  /** First seq to read (LAYOUT.md "Reading": the retention marker raised to the generation's start). */
  startSeq: number;
  /** Last seq of the generation. */
  endSeq: number;
  /** Bytes of the listed chunk objects in `[startSeq, endSeq]` (for progress). */
  objectBytes: number;
}

function fail(code: 'ERR_NO_GENERATION' | 'ERR_TARGET_UNREACHABLE' | 'ERR_INVALID_ARGUMENT', message: string): ArchiveError {
  return new ArchiveError(code, message);
}

/** True when the generation's first retained data chunk was cut at or before `time`. */
function hasDataAt(generation: GenerationInfo, time: Date): boolean {
  return generation.firstDataCreatedAt !== undefined && generation.firstDataCreatedAt.getTime() <= time.getTime();
}

/** The generation a restore reads: the requested one, else the newest one live at `toTime`, else the newest. */
function chooseGeneration(catalog: ArchiveCatalog, target: RestoreTarget): GenerationInfo {
  const { generations, prefix } = catalog;
  if (generations.length === 0) throw fail('ERR_NO_GENERATION', `no chunks under archive prefix "${prefix}"`);
  if (target.generation !== undefined) {
    const found = generations.find((g) => g.generation === target.generation);
    const known = generations.map((g) => g.generation).join(', ');
    if (found === undefined) throw fail('ERR_NO_GENERATION', `generation ${target.generation} is not in archive "${prefix}" (it holds ${known})`);
    return found;
  }
  if (target.toTime !== undefined) {
    // The generation whose data existed then: a generation whose snapshot was not shipped yet
    // (only its start chunk) did not hold the log at that time; its parent did.
    const time = target.toTime;
    const live = generations.filter((g) => hasDataAt(g, time)).at(-1);
    if (live === undefined) throw fail('ERR_TARGET_UNREACHABLE', `no generation of archive "${prefix}" held data at ${time.toISOString()}`);
    return live;
  }
  return generations[generations.length - 1] as GenerationInfo;
}

/** Where the restore starts: the generation's start, or the retention marker inside it. */
function startOf(catalog: ArchiveCatalog, generation: GenerationInfo): number {
  if (generation.startSeq !== undefined) return Math.max(catalog.trimmedBelow, generation.startSeq);
  if (generation.firstSeq === catalog.trimmedBelow) return generation.firstSeq;
  // Neither an index record nor the start chunk, and not trimmed: the chunk before it is the hole.
  const before = generation.firstSeq - 1;
  if (catalog.chunks.some((chunk) => chunk.seq === before)) {
    throw new ArchiveError(
      'ERR_ARCHIVE_CORRUPT',
      `chunk ${chunkKey(catalog.prefix, generation.firstSeq)}: generation ${generation.generation} begins without a generation-start chunk`,
      {
        key: chunkKey(catalog.prefix, generation.firstSeq),
      },
    );
  }
  return before;
}

/** Throws `ERR_TARGET_UNREACHABLE` when `to` lies outside the generation's archived range. */
function checkPositionTarget(generation: GenerationInfo, to: Position): void {
  const { firstPosition, endPosition } = generation;
  if (firstPosition === undefined || endPosition === undefined) {
    throw fail('ERR_TARGET_UNREACHABLE', `generation ${generation.generation} holds no data yet; cannot restore to ${formatPosition(to)}`);
  }
  if (comparePositions(to, firstPosition) < 0 || comparePositions(to, endPosition) > 0) {
    throw fail(
      'ERR_TARGET_UNREACHABLE',
      `position ${formatPosition(to)} is outside generation ${generation.generation}'s archived range ${formatPosition(firstPosition)}..${formatPosition(endPosition)}`,
    );
  }
}

/** Picks the generation and the chunk range of a restore, refusing unreachable targets. */
export function planRestore(catalog: ArchiveCatalog, target: RestoreTarget): RestorePlan {
  if (target.to !== undefined && target.toTime !== undefined) throw fail('ERR_INVALID_ARGUMENT', 'restore takes `to` or `toTime`, not both');
  if (target.toTime !== undefined && Number.isNaN(target.toTime.getTime())) throw fail('ERR_INVALID_ARGUMENT', 'toTime is an invalid Date');
  const generation = chooseGeneration(catalog, target);
  if (target.to !== undefined) checkPositionTarget(generation, target.to);
  if (target.toTime !== undefined && !hasDataAt(generation, target.toTime)) {
    throw fail('ERR_TARGET_UNREACHABLE', `generation ${generation.generation} shipped no data at or before ${target.toTime.toISOString()}`);
  }
  const index = catalog.generations.indexOf(generation);
  const next = catalog.generations[index + 1];
  const startSeq = startOf(catalog, generation);
  // Up to the next generation's first chunk: a hole at the boundary is this restore's problem too.
  const endSeq = next === undefined ? generation.lastSeq : Math.max(generation.lastSeq, next.firstSeq - 1);
  const objectBytes = catalog.chunks.filter((c) => c.seq >= startSeq && c.seq <= endSeq).reduce((sum, c) => sum + c.size, 0);
  return { generation, startSeq, endSeq, objectBytes };
}

/** The first seq in `[plan.startSeq, plan.endSeq]` the listing lacks, if any. */
export function firstMissingSeq(catalog: ArchiveCatalog, plan: RestorePlan): number | undefined {
  const present = new Set(catalog.chunks.map((chunk) => chunk.seq));
  for (let seq = plan.startSeq; seq <= plan.endSeq; seq++) if (!present.has(seq)) return seq;
  return undefined;
}
