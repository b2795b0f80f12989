import { SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';
import type { RecoveryReport, WalObserver } from '@nori/wal';
import { NORI_WAL_ATTRIBUTES as A, NORI_WAL_SPAN_NAMES } from './names.js';
import { recordFinishedSpan } from './support.js';

/** What the WAL reports about one fsync. */
export type FsyncEvent = Parameters<NonNullable<WalObserver['onFsync']>>[0];

/** One `nori.wal.fsync` span, ending now and lasting the fsync's duration. */
export function recordFsyncSpan(tracer: Tracer, e: FsyncEvent, attrs: Attributes): void {
  const attributes = { ...attrs, 'nori.wal.fsync.bytes': e.bytes, 'nori.wal.fsync.records': e.records, 'nori.wal.fsync.appends': e.appends };
  recordFinishedSpan(tracer, NORI_WAL_SPAN_NAMES.fsync, { durationMs: e.durationMs, attributes }, (span) => {
    if (!e.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: 'fsync failed' });
  });
}

/** One `nori.wal.recovery` span with the report's figures and one event per corruption. */
export function recordRecoverySpan(tracer: Tracer, report: RecoveryReport, attrs: Attributes): void {
  const attributes: Attributes = {
    ...attrs,
    'nori.wal.recovery.records': report.records,
    'nori.wal.recovery.segments': report.segments,
    'nori.wal.recovery.bytes_scanned': report.bytesScanned,
    'nori.wal.recovery.truncated_bytes': report.bytesTruncated,
    'nori.wal.recovery.corruptions': report.corruptions.length,
    'nori.wal.recovery.quarantined': report.quarantined.length,
    'nori.wal.recovery.skipped_regions': report.skipped.length,
    'nori.wal.recovery.batches_rolled_back': report.batchesRolledBack,
    'nori.wal.recovery.last_segment_id': report.lastPosition.segmentId,
    'nori.wal.recovery.last_offset': report.lastPosition.offset,
    'nori.wal.recovery.read_only': report.readOnly === true,
  };
  recordFinishedSpan(tracer, NORI_WAL_SPAN_NAMES.recovery, { durationMs: report.durationMs, attributes }, (span) => {
    for (const c of report.corruptions) {
      span.addEvent('nori.wal.corruption', { 'nori.wal.segment.id': c.segmentId, 'nori.wal.corruption.offset': c.offset, [A.corruptionReason]: c.reason });
    }
  });
}
