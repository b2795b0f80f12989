import { WalError } from './errors.js';
import type { Position } from './types.js';

/**
 * Bytes between two sampled records of the sparse index: a point read scans at most this much
 * (plus the record itself) from the nearest sample. 8 KiB: 16 bytes of memory per 8 KiB of log
 * (2 MiB per GiB), a point read of 16 KiB.
 */
export const SPARSE_INDEX_STRIDE = 8 * 1024;
/** Memory of one sample of the sparse index: an index and an offset (two doubles). */
export const SAMPLE_BYTES = 16;
/** Largest sequence number: JS numbers are exact up to 2^53 - 1. */
export const MAX_INDEX = Number.MAX_SAFE_INTEGER;

/** Samples of one segment's records: parallel arrays, offsets increasing. */
export interface Samples {
  indexes: number[];
  offsets: number[];
}

/** Scans `[0, end)` of a segment whose first record has index `firstIndex`, sampling every `stride` bytes. */
export type Sampler = (segmentId: number, end: number, firstIndex: number) => Promise<Samples>;

/**
 * The sampling rule of the sparse index: record `index` at `offset` is sampled when it starts at
 * or after `nextSampleAt`. Returns where the next sample may start (no allocation unless it samples).
 */
export function sampleRecord(samples: Samples, nextSampleAt: number, index: number, offset: number): number {
  if (offset < nextSampleAt) return nextSampleAt;
  samples.indexes.push(index);
  samples.offsets.push(offset);
  return offset + SPARSE_INDEX_STRIDE;
}

/** Samples one segment's records as a scan goes by them, in order, from its first record. */
export class SegmentSampler {
  /** Samples so far; `indexes` count from the `first` given to the constructor. */
  readonly samples: Samples = { indexes: [], offsets: [] };
  private sampleFrom = 0;

  /** `first`: the index of the first record noted (0 to count records within the segment). */
  constructor(private next: number) {}

  /** The next record of the segment starts at `offset`. */
  note(offset: number): void {
    this.sampleFrom = sampleRecord(this.samples, this.sampleFrom, this.next++, offset);
  }

  /**
   * For a scan's hot loop, which counts records itself: records starting at or after this offset
   * are sampled (then {@link SegmentSampler.take} them).
   */
  get nextSampleAt(): number {
    return this.sampleFrom;
  }

  /**
   * Samples the record at `offset` (at or after {@link SegmentSampler.nextSampleAt}), the `nth`
   * (from 0) of the run since the last {@link SegmentSampler.advance}; returns the new `nextSampleAt`.
   */
  take(nth: number, offset: number): number {
    this.sampleFrom = sampleRecord(this.samples, this.sampleFrom, this.next + nth, offset);
    return this.sampleFrom;
  }

  /** The current run saw `records` records (each `note`d or counted by the scan). */
  advance(records: number): void {
    this.next += records;
  }
}

/** A segment recovery found: where its records end, how many, and (when its scan sampled them) its samples. */
export interface RecoveredSamples {
  id: number;
  firstIndex: number;
  records: number;
  /** Logical size: appended records go after it. */
  size: number;
  /**
   * Samples recovery's scan took, their `indexes` counted from 0 at the segment's first record
   * (samples past `size` or `records` are dropped: recovery may have cut the segment after its
   * scan). Undefined: sampled on the first lookup that needs it.
   */
  samples?: Samples | undefined;
}

interface SegmentIndex {
  id: number;
  firstIndex: number;
  /** Records counted in the segment. */
  count: number;
  samples: Samples;
  /** Next record at or after this offset is sampled. */
  nextSampleAt: number;
  /** `[0, headEnd)` was recovered, not appended: sampled on the first lookup in it (0 = nothing left). */
  headEnd: number;
  /** Records in `[0, headEnd)`. */
  headRecords: number;
  building: Promise<void> | undefined;
}

/** A sample at or before the wanted record: where a bounded scan starts. */
export interface Sample {
  segmentId: number;
  offset: number;
  index: number;
}

function outOfRange(index: number, last: number): WalError {
  return new WalError('ERR_INDEX_OUT_OF_RANGE', `index ${index} is past the last record (lastIndex ${last})`);
}

/** Index of the last element of `sorted` that is <= `value` (-1 if none). */
function floorOf(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= value) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Recovery's samples (counted from 0) as indexes, without those past the segment's recovered end. */
function toIndexes(counted: Samples, segment: { firstIndex: number; records: number; size: number }): Samples {
  let keep = 0;
  while (keep < counted.offsets.length && (counted.offsets[keep] as number) < segment.size && (counted.indexes[keep] as number) < segment.records) keep++;
  return { indexes: counted.indexes.slice(0, keep).map((n) => n + segment.firstIndex), offsets: counted.offsets.slice(0, keep) };
}

/**
 * Sequence numbers of the log: the first index of every segment, the `truncateBefore` mark and a
 * sparse in-memory index (one sampled record per {@link SPARSE_INDEX_STRIDE} bytes per segment)
 * that turns an index or a position into a bounded scan. Appended records are sampled as they are
 * written, recovered ones during recovery's scan (or, when that scan did not sample a segment,
 * on the first lookup that needs it).
 */
export class SequenceIndex {
  private readonly segments: SegmentIndex[] = [];
  private next: number;
  private mark: number;

  constructor(
    private readonly sampler: Sampler,
    nextIndex: number,
    truncatedBefore: number,
  ) {
    this.next = nextIndex;
    this.mark = truncatedBefore;
  }

  /** The index the next appended record gets. */
  get nextIndex(): number {
    return this.next;
  }

  /** Index of the last record (`firstIndex - 1` when the log holds none). */
  get lastIndex(): number {
    return this.next - 1;
  }

  /** Index of the first readable record: the oldest segment's first, or the `truncateBefore` mark. */
  get firstIndex(): number {
    return Math.min(this.next, Math.max(this.mark, this.segments[0]?.firstIndex ?? this.next));
  }

  /** The persisted `truncateBefore` mark. */
  get truncatedBefore(): number {
    return this.mark;
  }

  /** Raises the mark (records below it are gone for readers). */
  setTruncatedBefore(index: number): void {
    this.mark = Math.max(this.mark, index);
  }

  /**
   * Adds a recovered segment (ids in increasing order) with the samples recovery took, or to be
   * sampled on the first lookup that needs it.
   */
  addRecovered(segment: RecoveredSamples): void {
    const { id, firstIndex, records, size } = segment;
    const samples = segment.samples === undefined ? undefined : toIndexes(segment.samples, { firstIndex, records, size });
    this.segments.push({
      id,
      firstIndex,
      count: records,
      samples: samples ?? { indexes: [], offsets: [] },
      nextSampleAt: size,
      headEnd: samples === undefined ? size : 0,
      headRecords: records,
      building: undefined,
    });
  }

  /** A new empty segment whose first record will get `firstIndex`. */
  addSegment(id: number, firstIndex: number): void {
    this.segments.push({
      id,
      firstIndex,
      count: 0,
      samples: { indexes: [], offsets: [] },
      nextSampleAt: 0,
      headEnd: 0,
      headRecords: 0,
      building: undefined,
    });
  }

  /** First index of segment `id` (undefined when it is not part of the log). */
  firstIndexOf(id: number): number | undefined {
    return this.find(id)?.firstIndex;
  }

  /** Records one appended record at `offset` of segment `id`; returns its index. */
  noteAppend(id: number, offset: number): number {
    const index = this.next++;
    const segment = this.segments[this.segments.length - 1];
    if (segment === undefined || segment.id !== id) return index;
    segment.count++;
    segment.nextSampleAt = sampleRecord(segment.samples, segment.nextSampleAt, index, offset);
    return index;
  }

  /** Forgets a segment deleted by GC. */
  removeSegment(id: number): void {
    const at = this.segments.findIndex((s) => s.id === id);
    if (at >= 0) this.segments.splice(at, 1);
  }

  /**
   * The log now ends with record `index`, whose successor was at `cut` (the segment there is kept,
   * cut to that offset; later ones are gone).
   */
  cutAfter(index: number, cut: Position): void {
    while (this.segments.length > 0 && (this.segments[this.segments.length - 1] as SegmentIndex).id > cut.segmentId) this.segments.pop();
    const segment = this.segments[this.segments.length - 1];
    if (segment !== undefined) {
      segment.count = index + 1 - segment.firstIndex;
      const keep = floorOf(segment.samples.indexes, index) + 1;
      segment.samples.indexes.length = keep;
      segment.samples.offsets.length = keep;
      segment.headEnd = Math.min(segment.headEnd, cut.offset);
      segment.headRecords = Math.min(segment.headRecords, segment.count);
      segment.nextSampleAt = keep === 0 ? segment.headEnd : Math.max(cut.offset, (segment.samples.offsets[keep - 1] as number) + SPARSE_INDEX_STRIDE);
    }
    this.next = index + 1;
  }

  /** The sample nearest before record `index`. @throws WalError for an index outside the log. */
  async sampleForIndex(index: number): Promise<Sample> {
    if (index < this.firstIndex) {
      throw new WalError('ERR_INDEX_TRUNCATED', `index ${index} was truncated: the first record is ${this.firstIndex}`);
    }
    if (index > this.lastIndex) throw outOfRange(index, this.lastIndex);
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.segments[mid] as SegmentIndex).firstIndex <= index) lo = mid;
      else hi = mid - 1;
    }
    // Empty segments share their first index with the next one: take the one holding the record.
    while (lo < this.segments.length - 1 && (this.segments[lo] as SegmentIndex).count === 0) lo++;
    const segment = this.segments[lo] as SegmentIndex;
    await this.build(segment);
    const at = floorOf(segment.samples.indexes, index);
    return at < 0
      ? { segmentId: segment.id, offset: 0, index: segment.firstIndex }
      : { segmentId: segment.id, offset: segment.samples.offsets[at] as number, index: segment.samples.indexes[at] as number };
  }

  /** The sample nearest before `position` (undefined when its segment is not part of the log). */
  async sampleForPosition(position: Position): Promise<Sample | undefined> {
    const segment = this.find(position.segmentId);
    if (segment === undefined) return undefined;
    await this.build(segment);
    const at = floorOf(segment.samples.offsets, position.offset);
    return at < 0
      ? { segmentId: segment.id, offset: 0, index: segment.firstIndex }
      : { segmentId: segment.id, offset: segment.samples.offsets[at] as number, index: segment.samples.indexes[at] as number };
  }

  /**
   * The not yet sampled recovered head of segment `id`: where it ends and the index of the record
   * there (undefined once sampled, or for a segment that was never recovered).
   */
  unsampledHead(id: number): { end: number; nextIndex: number } | undefined {
    const segment = this.find(id);
    if (segment === undefined || segment.headEnd === 0) return undefined;
    return { end: segment.headEnd, nextIndex: segment.firstIndex + segment.headRecords };
  }

  /** Samples held (16 bytes each: an index and an offset). */
  get sampleCount(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.samples.indexes.length;
    return total;
  }

  private find(id: number): SegmentIndex | undefined {
    return this.segments.find((s) => s.id === id);
  }

  /** Samples the recovered head of a segment once (concurrent lookups share the scan). */
  private build(segment: SegmentIndex): Promise<void> {
    if (segment.headEnd === 0) return Promise.resolve();
    segment.building ??= this.sampler(segment.id, segment.headEnd, segment.firstIndex).then(
      (head) => {
        // A truncateAfter during the scan may have cut the head shorter.
        const keep = floorOf(head.offsets, segment.headEnd - 1) + 1;
        segment.samples.indexes = head.indexes.slice(0, keep).concat(segment.samples.indexes);
        segment.samples.offsets = head.offsets.slice(0, keep).concat(segment.samples.offsets);
        segment.headEnd = 0;
        segment.building = undefined;
      },
      (error: unknown) => {
        segment.building = undefined;
        throw error;
      },
    );
    return segment.building;
  }
}
