import { crc32c } from '@nori/codec';
import type { Position, Wal } from '@nori/wal';
import { ChunkKind, positionAfter, type ChunkHeader } from '../layout/index.js';
import { beginGeneration, ensureGenerationRecord } from './generation.js';
import { inspectArchive } from './inspect.js';
import { emit } from './observer.js';
import type { ResolvedArchiverOptions } from './options.js';
import type { RetryContext } from './retry.js';
import { readSegmentRange } from './segment-bytes.js';
import { readArchiveSideFile } from './side-file.js';
import { planStart } from './start-plan.js';

/** True when the local log holds data chunk `header`'s bytes (same range, same CRC32C). */
export async function localLogMatches(wal: Wal, header: ChunkHeader): Promise<boolean> {
  const segment = (await wal.segments()).find((s) => s.id === header.segmentId);
  if (segment === undefined || segment.size < header.offset + header.payloadLength) return false;
  const bytes = await readSegmentRange(wal.storage, header.segmentId, header.offset, header.payloadLength);
  return crc32c(bytes) >>> 0 === header.payloadCrc32c;
}

/** Where shipping starts: the generation, the next seq and the first local byte not yet archived. */
export interface OpenedGeneration {
  generation: number;
  nextSeq: number;
  cursor: Position;
}

/**
 * LAYOUT.md "Writing", steps 1-2: inspects the archive, then resumes this WAL's generation or
 * begins a new one. `snapshotStart` is the start of the oldest local segment (a new
 * generation's data begins with a snapshot of every local segment).
 */
export async function openGeneration(
  options: ResolvedArchiverOptions,
  context: RetryContext,
  writerId: string,
  snapshotStart: Position,
): Promise<OpenedGeneration> {
  const { store, prefix, wal, observer } = options;
  const tail = await inspectArchive(store, prefix, context);
  const side = await readArchiveSideFile(wal.storage);
  const plan = await planStart({ store, prefix, tail, side, takeover: options.takeover, context, localMatches: (header) => localLogMatches(wal, header) });
  if (plan.kind === 'resume') {
    await ensureGenerationRecord(store, prefix, plan.side, context);
    emit(observer, 'onGenerationResumed', { generation: plan.generation, nextSeq: plan.nextSeq });
    const cursor = plan.last.kind === ChunkKind.data ? positionAfter(plan.last) : snapshotStart;
    return { generation: plan.generation, nextSeq: plan.nextSeq, cursor };
  }
  const created = await beginGeneration(store, prefix, wal.storage, plan, { writerId, now: options.now }, context);
  const { generation, startSeq, parentGeneration, reason } = plan;
  emit(observer, 'onGenerationStarted', { generation, startSeq, parentGeneration, reason });
  emit(observer, 'onChunkShipped', { ...created, seq: startSeq, generation, kind: 'generation-start', segmentId: 0, offset: 0 });
  return { generation, nextSeq: startSeq + 1, cursor: snapshotStart };
}
