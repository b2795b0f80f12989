import { comparePositions, formatPosition } from '@nori/wal';
import { ArchiveError } from '../errors.js';
import { endOf, type ChunkEnd, type ChunkHeader } from '../layout/index.js';
import { listGenerations, type ArchiveCatalog, type GenerationInfo } from '../read/catalog.js';
import { fetchChunkHeader } from '../read/chunk-fetch.js';
import { planRestore } from '../restore/plan.js';
import type { ObjectStore } from '../types.js';
import type { ReplicaPosition } from './options.js';

/** Where a follow begins reading. */
export interface StartPoint {
  /** First seq to read. */
  seq: number;
  /** The generation being followed (0: the archive is empty so far). */
  generation: number;
  /** End of the log just before `seq` (continuity); undefined: the next data chunk starts a segment. */
  end: ChunkEnd | undefined;
}

function trimmed(message: string): ArchiveError {
  return new ArchiveError('ERR_REPLICA_TRIMMED', message);
}

/** The generation a follow reads: the one `from` names, else the newest. */
function chooseGeneration(catalog: ArchiveCatalog, from: ReplicaPosition | undefined): GenerationInfo {
  const { generations, prefix } = catalog;
  const wanted = from?.generation;
  const newest = generations.at(-1) as GenerationInfo;
  if (wanted === undefined) return newest;
  const found = generations.find((g) => g.generation === wanted);
  if (found !== undefined) return found;
  if (wanted < (generations[0] as GenerationInfo).generation) {
    throw trimmed(
      `generation ${wanted} of archive "${prefix}" was deleted by retention; follow without from.generation to accept generation ${newest.generation}'s history`,
    );
  }
  throw new ArchiveError('ERR_NO_GENERATION', `generation ${wanted} is not in archive "${prefix}"`);
}

/** First seq in `[lo, hi)` whose chunk lies in segment `segmentId` or later (a binary search on headers). */
async function firstChunkInSegment(
  store: ObjectStore,
  prefix: string,
  range: { lo: number; hi: number },
  segmentId: number,
  signal?: AbortSignal,
): Promise<{ seq: number; before: ChunkHeader | undefined }> {
  let { lo, hi } = range;
  let before: ChunkHeader | undefined;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const header = await fetchChunkHeader(store, prefix, mid, signal);
    if (header.segmentId >= segmentId) hi = mid;
    else {
      lo = mid + 1;
      before = header;
    }
  }
  return { seq: lo, before };
}

/**
 * Finds where a follow from `from` starts (LAYOUT.md "Reading"): in the chosen generation, the
 * chunk that begins `from`'s segment (so the replica reads that segment from offset 0 and can
 * compare it with a later generation's snapshot), or the generation's end when it has not reached
 * that segment yet.
 * @throws ArchiveError `ERR_REPLICA_TRIMMED` (the position or generation was deleted by
 *   retention), `ERR_NO_GENERATION`, store errors.
 */
export async function findStart(store: ObjectStore, prefix: string, from: ReplicaPosition | undefined, signal?: AbortSignal): Promise<StartPoint> {
  const catalog = await listGenerations({ store, prefix, signal });
  if (catalog.generations.length === 0) return { seq: catalog.trimmedBelow, generation: 0, end: undefined };
  const generation = chooseGeneration(catalog, from);
  const plan = planRestore(catalog, { generation: generation.generation });
  const start: StartPoint = { seq: plan.startSeq, generation: generation.generation, end: undefined };
  const { firstPosition, endPosition } = generation;
  if (from === undefined) return start;
  if (firstPosition === undefined || endPosition === undefined) return { ...start, seq: generation.lastSeq + 1 };
  if (comparePositions(from, firstPosition) < 0) {
    throw trimmed(
      `position ${formatPosition(from)} lies before ${formatPosition(firstPosition)}, the first position generation ${generation.generation} of archive "${prefix}" still holds`,
    );
  }
  const firstData = plan.startSeq === generation.startSeq ? plan.startSeq + 1 : plan.startSeq;
  const found = await firstChunkInSegment(store, prefix, { lo: firstData, hi: generation.lastSeq + 1 }, from.segmentId, signal);
  if (found.seq <= generation.lastSeq) return { ...start, seq: found.seq };
  return { ...start, seq: found.seq, end: found.before === undefined ? undefined : endOf(found.before) };
}
