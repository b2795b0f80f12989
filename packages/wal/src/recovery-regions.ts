import { WalError } from './errors.js';
import { segmentName } from './segment-name.js';
import { MAX_SKIPPED_REGIONS, SKIPPED_REGIONS_FILE, spanKey, type SkippedSpan } from './skipped-regions.js';

/** A region salvage recovery skipped inside a segment. */
export interface SkippedRegion {
  from: number;
  to: number;
}

/**
 * The skipped regions of one recovery: those `salvaged.json` lists (`known`) and those in effect
 * after it (known ones met again, and new ones salvage found), with the readers' per-segment map.
 */
export class RegionLedger {
  /** Regions in effect after this recovery (honoured known ones and new ones), in log order. */
  readonly effective: SkippedSpan[] = [];
  /** Regions this recovery's salvage found (their bytes get a copy in `quarantine/`). */
  readonly fresh: SkippedSpan[] = [];
  /** Damaged regions inside segments, by segment id, that readers jump over. */
  readonly skips = new Map<number, SkippedRegion[]>();
  private readonly effectiveKeys = new Set<string>();

  constructor(
    /** Regions listed in `salvaged.json`. */
    readonly known: readonly SkippedSpan[],
    private readonly max: number = MAX_SKIPPED_REGIONS,
  ) {}

  /**
   * Adds a region to the effective list (and the readers' skip map). Returns false when it was
   * already there.
   * @throws WalError `ERR_CORRUPTION` when more than `max` regions would be listed.
   */
  add(span: SkippedSpan, how: { fresh: boolean }): boolean {
    const key = spanKey(span);
    if (this.effectiveKeys.has(key)) return false;
    if (this.effective.length >= this.max) {
      throw new WalError(
        'ERR_CORRUPTION',
        `salvage found more than ${this.max} damaged regions (next one in ${segmentName(span.from.segmentId)} at offset ` +
          `${span.from.offset}): too damaged to list in ${SKIPPED_REGIONS_FILE}; nothing was recorded. Copy the readable ` +
          `records out with "nori-wal dump" instead`,
      );
    }
    this.effectiveKeys.add(key);
    this.effective.push(span);
    if (how.fresh) this.fresh.push(span);
    if (span.from.segmentId === span.to.segmentId) {
      const { segmentId } = span.from;
      const list = this.skips.get(segmentId) ?? [];
      list.push({ from: span.from.offset, to: span.to.offset });
      this.skips.set(segmentId, list);
    }
    return true;
  }

  /** A gap in segment ids that a known cross-segment region (already honoured) explains. */
  knownGap(previous: number, next: number): boolean {
    return this.known.some((r) => r.from.segmentId === previous && r.to.segmentId === next && this.effectiveKeys.has(spanKey(r)));
  }

  /** Known regions inside segment `id` that still fit its `fileSize` bytes, in order. */
  inside(id: number, fileSize: number): SkippedSpan[] {
    return this.known.filter((r) => r.from.segmentId === id && r.to.segmentId === id && r.to.offset <= fileSize).sort((a, b) => a.from.offset - b.from.offset);
  }

  /** Known regions that start in segment `id` (within its `fileSize` bytes) and run into a later one. */
  cuts(id: number, fileSize: number): SkippedSpan[] {
    return this.known.filter((r) => r.from.segmentId === id && r.to.segmentId > id && r.from.offset <= fileSize);
  }

  /** True when the regions in effect differ from what `salvaged.json` holds (it must be rewritten). */
  changed(): boolean {
    const knownKeys = new Set(this.known.map(spanKey));
    return knownKeys.size !== this.effectiveKeys.size || [...knownKeys].some((key) => !this.effectiveKeys.has(key));
  }
}
