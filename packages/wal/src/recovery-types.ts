import { WalError } from './errors.js';
import type { SealedEntry } from './sealed-segments.js';
import type { Samples } from './sequence-index.js';
import type { SkippedRegion } from './recovery-regions.js';
import type { SkippedSpan } from './skipped-regions.js';
import type { RecoveryMode, RecoveryReport, WalObserver } from './types.js';

/** A segment as recovery left it. */
export interface RecoveredSegment {
  id: number;
  /** Logical size: bytes of valid records (readers never read past it). */
  size: number;
  /** Length of the file on disk (may include a preallocated zero tail). */
  fileSize: number;
  /** Valid records recovery counted in it (skipped regions excluded). */
  records: number;
  /**
   * The segment holds bytes salvage skipped: nothing may be appended to it (a writable open starts
   * the next segment instead), so a tool that truncates at the damage (Rust nori-wal) can only
   * cut records that the full copy salvage made in `quarantine/` also holds.
   */
  sealed: boolean;
  /**
   * The sparse index's samples recovery's walk took (indexes counted from 0 at the segment's first
   * record); undefined when the segment was not walked whole (sampled on first use instead).
   */
  samples?: Samples | undefined;
}

/** Everything `Wal.open` needs from recovery. */
export interface RecoveryResult {
  report: RecoveryReport;
  segments: RecoveredSegment[];
  /** Salvage: damaged regions inside segments, by segment id, that readers jump over. */
  skips: Map<number, SkippedRegion[]>;
  /** Skipped regions in effect (known ones still present plus new ones), in log order. */
  regions: SkippedSpan[];
  /** Regions this recovery's salvage found (their bytes get a copy in `quarantine/`). */
  freshRegions: SkippedSpan[];
  /** True when `regions` differs from what `salvaged.json` holds (it must be rewritten before the log grows). */
  regionsChanged: boolean;
  /** Entries of `sealed.log` still true after recovery; `changed`: the file must be rewritten to them. */
  sealed: { entries: SealedEntry[]; changed: boolean; exists: boolean };
}

/** Recovery options (resolved config subset). */
export interface RecoveryOptions {
  mode: RecoveryMode;
  /**
   * Largest record recovery reads ({@link MAX_RECORD_SIZE_LIMIT} for `Wal.open`): `maxRecordSize`
   * only limits what is written, so a log written with a larger limit (or by Rust) opens whole.
   */
  readLimit: number;
  readOnly: boolean;
  /** Keep a zero-filled tail of the last segment as preallocated space. */
  keepZeroTail: boolean;
  /** Most regions salvage records (default {@link MAX_SKIPPED_REGIONS}; lower in tests). */
  maxSkippedRegions?: number;
  observer: WalObserver | undefined;
  /**
   * Checked before each segment: recovery stops with `ERR_ABORTED`. Every step recovery takes is
   * crash-safe on its own, so stopping between segments leaves what a crash there would leave.
   */
  signal?: AbortSignal | undefined;
}

/** The report of a recovery that has found nothing yet. */
export function emptyReport(options: Pick<RecoveryOptions, 'mode' | 'readOnly'>): RecoveryReport {
  return {
    mode: options.mode,
    records: 0,
    segments: 0,
    bytesScanned: 0,
    bytesTruncated: 0,
    tail: 'none',
    corruptions: [],
    quarantined: [],
    skipped: [],
    batchesRolledBack: 0,
    lastPosition: { segmentId: 0, offset: 0 },
    durationMs: 0,
    readOnly: options.readOnly,
  };
}

/** A record above the read limit whose bytes are all present: too large to read, not damaged (never quarantined). */
export function tooLargeError(name: string, record: { offset: number; claimed: number; limit: number }): WalError {
  return new WalError(
    'ERR_RECORD_TOO_LARGE',
    `${name} holds a record of ${record.claimed} bytes at offset ${record.offset}, above the ${record.limit}-byte limit nori reads ` +
      `(MAX_RECORD_SIZE_LIMIT; raising maxRecordSize does not help); nothing was modified: read it with a tool without that limit, ` +
      `or open with recovery 'salvage' to skip it`,
  );
}

/**
 * The sealed rule: nothing is appended to a segment salvage sealed (new records would land behind
 * skipped bytes), so the next append goes to the next segment.
 */
export function appendsToNextSegment(last: Pick<RecoveredSegment, 'sealed'> | undefined): boolean {
  return last?.sealed === true;
}
