import type { Attributes, Counter, Histogram, Meter, MetricOptions, ObservableGauge, ObservableUpDownCounter } from '@opentelemetry/api';
import { instrumentOptions as optionsFrom } from './support.js';
import {
  FSYNC_DURATION_BUCKETS,
  GROUP_COMMIT_SIZE_BUCKETS,
  NORI_WAL_ATTRIBUTES as A,
  NORI_WAL_LEGACY_METRIC_NAMES as L,
  NORI_WAL_LEGACY_METRICS,
  NORI_WAL_METRIC_NAMES as M,
  NORI_WAL_METRICS,
  RECOVERY_DURATION_BUCKETS,
} from './names.js';

const ALL_WAL_METRICS = [...NORI_WAL_METRICS, ...NORI_WAL_LEGACY_METRICS];
const CORRUPT_REASONS = new Set(['crc-mismatch', 'varint-overflow', 'invalid-compression', 'decompression-failed', 'too-large']);
const CORRUPTION_ACTIONS = new Set(['truncated', 'quarantined', 'skipped', 'failed']);

function instrumentOptions(name: string, buckets?: readonly number[]): MetricOptions {
  return optionsFrom(ALL_WAL_METRICS, name, buckets);
}

/** The 0.1 instruments kept for one minor while `legacyMetricNames` is on. */
export interface LegacyInstruments {
  readonly appendBytes: Counter;
  readonly recoveryTruncatedBytes: Counter;
  readonly segments: ObservableUpDownCounter;
  readonly diskUsage: ObservableUpDownCounter;
  readonly queueBytes: ObservableGauge;
}

/** Every instrument of one WAL adapter (`legacy` only while the 0.1 names are on). */
export interface WalInstruments {
  readonly appendRecords: Counter;
  readonly appendSize: Counter;
  readonly fsyncDuration: Histogram;
  readonly groupCommitSize: Histogram;
  readonly segmentRotations: Counter;
  readonly segmentDeletions: Counter;
  readonly recoveryDuration: Histogram;
  readonly recoveryRecords: Counter;
  readonly recoveryTruncatedSize: Counter;
  readonly corruptions: Counter;
  readonly failures: Counter;
  readonly segmentCount: ObservableUpDownCounter;
  readonly segmentFileSize: ObservableUpDownCounter;
  readonly queueSize: ObservableUpDownCounter;
  readonly legacy: LegacyInstruments | undefined;
}

function createLegacyInstruments(meter: Meter): LegacyInstruments {
  return {
    appendBytes: meter.createCounter(L.appendBytes, instrumentOptions(L.appendBytes)),
    recoveryTruncatedBytes: meter.createCounter(L.recoveryTruncatedBytes, instrumentOptions(L.recoveryTruncatedBytes)),
    segments: meter.createObservableUpDownCounter(L.segments, instrumentOptions(L.segments)),
    diskUsage: meter.createObservableUpDownCounter(L.diskUsage, instrumentOptions(L.diskUsage)),
    queueBytes: meter.createObservableGauge(L.queueBytes, instrumentOptions(L.queueBytes)),
  };
}

/** Creates the WAL's instruments on `meter`, the 0.1 names too when `legacy` is set. */
export function createWalInstruments(meter: Meter, how: { legacy: boolean }): WalInstruments {
  const counter = (name: string): Counter => meter.createCounter(name, instrumentOptions(name));
  const histogram = (name: string, buckets: readonly number[]): Histogram => meter.createHistogram(name, instrumentOptions(name, buckets));
  const upDown = (name: string): ObservableUpDownCounter => meter.createObservableUpDownCounter(name, instrumentOptions(name));
  return {
    appendRecords: counter(M.appendRecords),
    appendSize: counter(M.appendSize),
    fsyncDuration: histogram(M.fsyncDuration, FSYNC_DURATION_BUCKETS),
    groupCommitSize: histogram(M.groupCommitSize, GROUP_COMMIT_SIZE_BUCKETS),
    segmentRotations: counter(M.segmentRotations),
    segmentDeletions: counter(M.segmentDeletions),
    recoveryDuration: histogram(M.recoveryDuration, RECOVERY_DURATION_BUCKETS),
    recoveryRecords: counter(M.recoveryRecords),
    recoveryTruncatedSize: counter(M.recoveryTruncatedSize),
    corruptions: counter(M.corruptions),
    failures: counter(M.failures),
    segmentCount: upDown(M.segmentCount),
    segmentFileSize: upDown(M.segmentFileSize),
    queueSize: upDown(M.queueSize),
    legacy: how.legacy ? createLegacyInstruments(meter) : undefined,
  };
}

/**
 * The attribute sets of one WAL, built once so the hot path (append, fsync) allocates nothing;
 * corruption sets are made on first use per (action, reason), unknown values folded into `other`.
 */
export interface WalAttributeSets {
  readonly base: Attributes;
  readonly single: Attributes;
  readonly batch: Attributes;
  readonly fsyncOk: Attributes;
  readonly fsyncError: Attributes;
  corruption(action: string, reason: string): Attributes;
}

/** The attribute sets of the WAL named `walName`. */
export function walAttributeSets(walName: string): WalAttributeSets {
  const base: Attributes = Object.freeze({ [A.name]: walName });
  const corruptionSets = new Map<string, Attributes>();
  return {
    base,
    single: Object.freeze({ ...base, [A.batch]: false }),
    batch: Object.freeze({ ...base, [A.batch]: true }),
    fsyncOk: Object.freeze({ ...base, [A.fsyncOutcome]: 'ok' }),
    fsyncError: Object.freeze({ ...base, [A.fsyncOutcome]: 'error' }),
    corruption(action, reason) {
      const safeAction = CORRUPTION_ACTIONS.has(action) ? action : 'other';
      const safeReason = CORRUPT_REASONS.has(reason) ? reason : 'other';
      const key = `${safeAction}\u0000${safeReason}`;
      let attrs = corruptionSets.get(key);
      if (attrs === undefined) {
        attrs = Object.freeze({ ...base, [A.corruptionAction]: safeAction, [A.corruptionReason]: safeReason });
        corruptionSets.set(key, attrs);
      }
      return attrs;
    },
  };
}
