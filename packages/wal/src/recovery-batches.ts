import type { Storage } from '@nori/storage';
import { BATCH_INTENT_FILE, type BatchExtent } from './batch-intent.js';
import type { RecoveryExecutor } from './recovery-executor.js';
import type { RecoveredSegment } from './recovery-types.js';
import { segmentName } from './segment-name.js';
import { scanRegion, truncateDurably } from './segment-io.js';
import type { SegmentScanner } from './segment-scanner.js';
import type { RecoveryReport } from './types.js';

/** What rolling back partial batches works on. */
export interface BatchRollback {
  storage: Storage;
  scanner: SegmentScanner;
  executor: RecoveryExecutor;
  report: RecoveryReport;
  /** The recovered segments, in log order (updated in place). */
  segments: RecoveredSegment[];
  readOnly: boolean;
}

/**
 * A multi-record batch whose extent (from `batches.intent`) is only partly present is cut back to
 * its start; then the intent file is emptied (a writable open).
 */
export async function rollBackPartialBatches(context: BatchRollback, intent: { extents: readonly BatchExtent[]; size: number }): Promise<void> {
  const { extents } = intent;
  // Latest extents first: rolling one back may expose an earlier partial one.
  for (let i = extents.length - 1; i >= 0; i--) {
    const extent = extents[i];
    // Usually the last segment, but a rotation creates the next (empty) segment while the old
    // one's fsync runs: a crash then leaves the partial batch in the one before the last.
    const segment = context.segments.find((s) => s.id === extent?.segmentId);
    if (extent === undefined || segment === undefined) continue;
    if (segment.size <= extent.start || segment.size >= extent.end) continue;
    const file = await context.storage.open(segmentName(segment.id), { readOnly: context.readOnly });
    try {
      const partial = await scanRegion(context.scanner, file, extent.start, segment.size);
      context.report.records -= partial.records;
      segment.records -= partial.records;
      context.report.bytesTruncated += segment.size - extent.start;
      context.report.batchesRolledBack++;
      // Zeros may only follow the data of the last segment; an earlier one is cut to length.
      const last = segment === context.segments[context.segments.length - 1];
      segment.fileSize = await context.executor.cut(file, { from: extent.start, end: segment.size, fileSize: segment.fileSize, last });
      segment.size = extent.start;
    } finally {
      await file.close();
    }
  }
  if (context.readOnly || intent.size === 0) return;
  const file = await context.storage.open(BATCH_INTENT_FILE);
  try {
    await truncateDurably(file, 0);
  } finally {
    await file.close();
  }
}
