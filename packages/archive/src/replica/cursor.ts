import { comparePositions, formatPosition, type Position } from '@nori/wal';
import type { ArchivedEntry } from './records.js';
import { emit } from '../archiver/observer.js';
import { ArchiveError } from '../errors.js';
import {
  ChunkKind,
  checkContinuity,
  decodeGenerationStart,
  endOf,
  type Chunk,
  type ChunkEnd,
  type ChunkHeader,
  type GenerationStartPayload,
} from '../layout/index.js';
import { HistoryCheck, SegmentDigests } from './history.js';
import type { ReplicaObserver } from './observer.js';
import type { ReplicaPosition } from './options.js';
import { chunkRecords } from './records.js';
import type { StartPoint } from './start.js';

/**
 * A record as a replica yields it: a `@nori/wal` `WalEntry` without `index` (sequence numbers come from
 * the primary's `index.json`, which is not archived) plus where it came from in the archive.
 */
export interface ReplicaEntry extends ArchivedEntry {
  /** The generation whose chunk held it. */
  generation: number;
  /** Seq of that chunk. */
  seq: number;
  /** Just past this record: pass it as `follow({ from })` to continue after it. */
  next: ReplicaPosition;
}

function corrupt(key: string, message: string): ArchiveError {
  return new ArchiveError('ERR_ARCHIVE_CORRUPT', `chunk ${key}: ${message}`, { key });
}

function invalidFrom(from: Position, message: string): ArchiveError {
  return new ArchiveError('ERR_INVALID_ARGUMENT', `follow from ${formatPosition(from)}: ${message}`);
}

/**
 * The state of one follow: which generation it reads, where the log ends (continuity), what it
 * remembers of the history (segment digests), and the position before which nothing is yielded.
 * `apply` turns each verified chunk, in seq order, into the records to yield.
 */
export class FollowCursor {
  private generation: number;
  private end: ChunkEnd | undefined;
  private readonly digests = new SegmentDigests();
  /** A newer generation being compared with the history up to `end` (the replica's log end then). */
  private check: { history: HistoryCheck; event: GenerationStartPayload & { generation: number; seq: number }; end: Position } | undefined;
  private readonly startSeq: number;
  /** Records before it are not yielded (`from`, then the end of an older generation). */
  private skipBelow: Position | undefined;
  private readonly namedGeneration: number | undefined;
  /** Just past the last yielded record. */
  position: ReplicaPosition | undefined;

  constructor(
    start: StartPoint,
    from: ReplicaPosition | undefined,
    private readonly observer: ReplicaObserver | undefined,
  ) {
    this.generation = start.generation;
    this.end = start.end;
    this.startSeq = start.seq;
    this.skipBelow = from === undefined ? undefined : { segmentId: from.segmentId, offset: from.offset };
    this.namedGeneration = from?.generation;
    this.position = from === undefined ? undefined : { ...from };
  }

  /** Verifies chunk `key` against the log so far, then yields its records not yielded before. */
  *apply(chunk: Chunk, key: string): Generator<ReplicaEntry, void, undefined> {
    const { header } = chunk;
    if (header.generation < this.generation) throw corrupt(key, `generation ${header.generation} after generation ${this.generation}`);
    if (header.kind === ChunkKind.generationStart) {
      this.startGeneration(chunk, key);
      return;
    }
    if (header.generation > this.generation) throw corrupt(key, `generation ${header.generation} begins without a generation-start chunk`);
    checkContinuity(this.end, header, key);
    let newFrom = 0;
    // While a new generation is compared with the history, the check judges where it ends.
    if (this.check === undefined) this.checkSkipTarget(header);
    else {
      const at = this.check.history.check(key, header.segmentId, header.offset, chunk.payload);
      if (at === undefined) {
        this.end = endOf(header);
        return;
      }
      newFrom = at;
      emit(this.observer, 'onGenerationChanged', { ...this.check.event, verified: this.check.history.verified });
      this.check = undefined;
    }
    this.digests.add(header.segmentId, header.offset + newFrom, chunk.payload.subarray(newFrom));
    this.end = endOf(header);
    // Every record of the chunk verifies before the first one is yielded.
    const entries = [...chunkRecords(header, chunk.payload, key)];
    for (const entry of entries) {
      if (entry.position.offset - header.offset < newFrom || this.skipped(entry)) continue;
      const next = { segmentId: entry.position.segmentId, offset: entry.position.offset + entry.size, generation: this.generation };
      this.position = next;
      yield { ...entry, generation: this.generation, seq: header.seq, next: { ...next } };
    }
  }

  /** True for a record before `skipBelow`; a record spanning it means `from` was not a boundary. */
  private skipped(entry: ArchivedEntry): boolean {
    const skip = this.skipBelow;
    if (skip === undefined || comparePositions(entry.position, skip) >= 0) return false;
    if (entry.position.segmentId === skip.segmentId && entry.position.offset + entry.size > skip.offset) {
      throw invalidFrom(skip, `not a record boundary (the record at ${formatPosition(entry.position)} spans it)`);
    }
    return true;
  }

  /** A segment ended before `from`'s offset in it: `from` was not a position of this log. */
  private checkSkipTarget(header: ChunkHeader): void {
    const { skipBelow: skip, end } = this;
    if (skip === undefined || end === undefined || header.segmentId === end.segmentId) return;
    if (skip.segmentId === end.segmentId && skip.offset > end.offset) {
      throw invalidFrom(skip, `segment ${end.segmentId} of generation ${this.generation} ends at offset ${end.offset}`);
    }
  }

  /** A generation-start chunk: the first chunk read, or a newer generation (takeover, promotion). */
  private startGeneration(chunk: Chunk, key: string): void {
    const { header } = chunk;
    const start = decodeGenerationStart(chunk.payload, key);
    const event = { generation: header.generation, seq: header.seq, ...start };
    if (header.generation === this.generation) {
      if (header.seq !== this.startSeq) throw corrupt(key, `a second generation-start chunk of generation ${header.generation}`);
      emit(this.observer, 'onGenerationChanged', { ...event, verified: false });
      return;
    }
    const { end, skipBelow } = this;
    const before = this.generation;
    // A generation that started but never reached the replica's position passes its check on.
    const endPosition = this.check?.end ?? (end === undefined ? undefined : { segmentId: end.segmentId, offset: end.offset });
    this.generation = header.generation;
    this.end = undefined;
    this.check = undefined;
    if (endPosition === undefined) {
      emit(this.observer, 'onGenerationChanged', { ...event, verified: false });
      return;
    }
    if (skipBelow !== undefined && comparePositions(endPosition, skipBelow) < 0) {
      if (this.namedGeneration === before) {
        throw new ArchiveError(
          'ERR_REPLICA_DIVERGED',
          `chunk ${key}: generation ${before} ended at ${formatPosition(endPosition)}, before the replica's position ${formatPosition(skipBelow)}`,
          { key },
        );
      }
      // Nothing yielded yet to compare with: follow the new generation from `from`.
      emit(this.observer, 'onGenerationChanged', { ...event, verified: false });
      return;
    }
    this.check = { history: new HistoryCheck(header.generation, this.digests, endPosition), event, end: endPosition };
    // The new generation's bytes up to `end` must be the ones read; the digests stay valid after.
    this.skipBelow = endPosition;
  }
}
