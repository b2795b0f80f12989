/**
 * Metric and attribute names, units and bucket advice. Names follow the OpenTelemetry semantic
 * convention naming guide: dot-separated singular namespaces, units only in `unit` (UCUM), never
 * in the name; counts of things as `<entity>.count` UpDownCounters; amounts in bytes as `.size`;
 * counters of discrete events pluralized (`{record}`, `{failure}`); never keys or values as
 * attributes.
 */

/** The kinds of OpenTelemetry instruments this package creates. */
export type NoriWalInstrumentKind = 'counter' | 'histogram' | 'observable-up-down-counter' | 'observable-gauge';

/** Describes one metric emitted by the adapter (used by the README, the dashboard and tests). */
export interface NoriWalMetricDescriptor {
  /** OpenTelemetry metric name, e.g. `nori.wal.append.records`. */
  readonly name: string;
  /** Instrument kind. */
  readonly kind: NoriWalInstrumentKind;
  /** UCUM unit (`By`, `s`, or an annotation like `{record}`). */
  readonly unit: string;
  /** Description exported with the metric. */
  readonly description: string;
  /** Attribute keys the adapter sets on this metric (all low-cardinality). */
  readonly attributes: readonly string[];
}

/** Attribute keys. All of them take values from small, fixed sets (plus the WAL's name). */
export const NORI_WAL_ATTRIBUTES = {
  /** User-supplied instance name (`walName` option); default `default`. */
  name: 'nori.wal.name',
  /** `true` for `appendBatch`, `false` for single appends. */
  batch: 'nori.wal.batch',
  /** `ok` or `error`. */
  fsyncOutcome: 'nori.wal.fsync.outcome',
  /** `truncated`, `quarantined`, `skipped` or `failed` (anything else is reported as `other`). */
  corruptionAction: 'nori.wal.corruption.action',
  /** A codec corruption reason (`crc-mismatch`, ...) or `other`. */
  corruptionReason: 'nori.wal.corruption.reason',
  /** Recovery mode (`tolerate-tail`, `point-in-time`, `strict`, `salvage`). */
  recoveryMode: 'nori.wal.recovery.mode',
  /** How the log ended on recovery (`clean`, `torn`, `zero-filled`, `none`). */
  recoveryTail: 'nori.wal.recovery.tail',
  /** OpenTelemetry's standard `error.type`: the error's `code` (e.g. `EIO`), else its name. */
  errorType: 'error.type',
} as const;

/** Metric names, keyed by a short identifier. */
export const NORI_WAL_METRIC_NAMES = {
  appendRecords: 'nori.wal.append.records',
  appendSize: 'nori.wal.append.size',
  fsyncDuration: 'nori.wal.fsync.duration',
  groupCommitSize: 'nori.wal.group_commit.size',
  segmentRotations: 'nori.wal.segment.rotations',
  segmentDeletions: 'nori.wal.segment.deletions',
  segmentCount: 'nori.wal.segment.count',
  segmentFileSize: 'nori.wal.segment.file.size',
  queueSize: 'nori.wal.queue.size',
  recoveryDuration: 'nori.wal.recovery.duration',
  recoveryRecords: 'nori.wal.recovery.records',
  recoveryTruncatedSize: 'nori.wal.recovery.truncated.size',
  corruptions: 'nori.wal.corruptions',
  failures: 'nori.wal.failures',
} as const;

/** The release that drops the legacy metric names (`legacyMetricNames: false` stays accepted). */
export const LEGACY_METRIC_NAMES_REMOVED_IN = '0.3.0';

/**
 * Names of 0.1, still emitted next to their replacements while `legacyMetricNames` is on.
 *
 * @deprecated use {@link NORI_WAL_METRIC_NAMES}; removed in {@link LEGACY_METRIC_NAMES_REMOVED_IN}.
 */
export const NORI_WAL_LEGACY_METRIC_NAMES = {
  appendBytes: 'nori.wal.append.bytes',
  segments: 'nori.wal.segments',
  diskUsage: 'nori.wal.disk.usage',
  queueBytes: 'nori.wal.queue.bytes',
  recoveryTruncatedBytes: 'nori.wal.recovery.truncated_bytes',
} as const;

/** A legacy metric: emitted with the same value and attributes as the metric replacing it. */
export interface NoriWalLegacyMetricDescriptor extends NoriWalMetricDescriptor {
  /** Name of the metric in {@link NORI_WAL_METRICS} that replaces it. */
  readonly replacedBy: string;
}

/** Span names (only emitted when spans are enabled). */
export const NORI_WAL_SPAN_NAMES = {
  recovery: 'nori.wal.recovery',
  fsync: 'nori.wal.fsync',
} as const;

/**
 * Bucket advice for `nori.wal.fsync.duration` in seconds: 50 us to 1 s, roughly 1-2.5-5 per
 * decade (fdatasync on an SSD is ~0.2 ms; a stalled disk shows up in the upper buckets).
 */
export const FSYNC_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
]);

/** Bucket advice for `nori.wal.group_commit.size` (records made durable by one fsync). */
export const GROUP_COMMIT_SIZE_BUCKETS: readonly number[] = Object.freeze([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536]);

/** Bucket advice for `nori.wal.recovery.duration` in seconds: 1 ms to 2 min. */
export const RECOVERY_DURATION_BUCKETS: readonly number[] = Object.freeze([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120]);

const A = NORI_WAL_ATTRIBUTES;
const M = NORI_WAL_METRIC_NAMES;
const L = NORI_WAL_LEGACY_METRIC_NAMES;

/** Every metric the adapter emits, with kind, unit, description and attribute keys. */
export const NORI_WAL_METRICS: readonly NoriWalMetricDescriptor[] = Object.freeze([
  { name: M.appendRecords, kind: 'counter', unit: '{record}', description: 'Records appended to the WAL.', attributes: [A.name, A.batch] },
  { name: M.appendSize, kind: 'counter', unit: 'By', description: 'Encoded bytes appended to the WAL.', attributes: [A.name, A.batch] },
  { name: M.fsyncDuration, kind: 'histogram', unit: 's', description: 'Duration of WAL fsync (fdatasync) calls.', attributes: [A.name, A.fsyncOutcome] },
  {
    name: M.groupCommitSize,
    kind: 'histogram',
    unit: '{record}',
    description: 'Records made durable by one fsync (group commit size).',
    attributes: [A.name, A.fsyncOutcome],
  },
  { name: M.segmentRotations, kind: 'counter', unit: '{segment}', description: 'Segments rolled over because the active one was full.', attributes: [A.name] },
  { name: M.segmentDeletions, kind: 'counter', unit: '{segment}', description: 'Segments deleted by garbage collection.', attributes: [A.name] },
  { name: M.segmentCount, kind: 'observable-up-down-counter', unit: '{segment}', description: 'Segment files of the WAL.', attributes: [A.name] },
  {
    name: M.segmentFileSize,
    kind: 'observable-up-down-counter',
    unit: 'By',
    description: 'Total length of the WAL segment files (apparent size, preallocated space included), not the blocks allocated on disk.',
    attributes: [A.name],
  },
  {
    name: M.queueSize,
    kind: 'observable-up-down-counter',
    unit: 'By',
    description: 'Bytes accepted but not yet handed to storage (backpressure queue).',
    attributes: [A.name],
  },
  {
    name: M.recoveryDuration,
    kind: 'histogram',
    unit: 's',
    description: 'Duration of WAL recovery on open.',
    attributes: [A.name, A.recoveryMode, A.recoveryTail],
  },
  { name: M.recoveryRecords, kind: 'counter', unit: '{record}', description: 'Records found by WAL recovery.', attributes: [A.name, A.recoveryMode] },
  {
    name: M.recoveryTruncatedSize,
    kind: 'counter',
    unit: 'By',
    description: 'Torn or zero-filled tail bytes removed by WAL recovery.',
    attributes: [A.name, A.recoveryMode, A.recoveryTail],
  },
  {
    name: M.corruptions,
    kind: 'counter',
    unit: '{corruption}',
    description: 'Corruptions detected in the WAL, by the action taken.',
    attributes: [A.name, A.corruptionAction, A.corruptionReason],
  },
  { name: M.failures, kind: 'counter', unit: '{failure}', description: 'Times the WAL entered the failed state.', attributes: [A.name, A.errorType] },
] as const satisfies readonly NoriWalMetricDescriptor[]);

function legacy(name: string, replacedBy: string, kind: NoriWalInstrumentKind): NoriWalLegacyMetricDescriptor {
  const current = NORI_WAL_METRICS.find((d) => d.name === replacedBy);
  if (current === undefined) throw new Error(`internal: ${replacedBy} missing from NORI_WAL_METRICS`);
  const description = `Deprecated, removed in ${LEGACY_METRIC_NAMES_REMOVED_IN}: use ${replacedBy} (same value).`;
  return Object.freeze({ ...current, name, kind, description, replacedBy });
}

/**
 * The 0.1 metrics still emitted while `legacyMetricNames` is on (the default until
 * {@link LEGACY_METRIC_NAMES_REMOVED_IN}), each with the same value, unit and attributes as its
 * replacement and its 0.1 instrument kind (`nori.wal.queue.bytes` stays a gauge).
 *
 * @deprecated migrate dashboards and alerts to {@link NORI_WAL_METRICS}.
 */
export const NORI_WAL_LEGACY_METRICS: readonly NoriWalLegacyMetricDescriptor[] = Object.freeze([
  legacy(L.appendBytes, M.appendSize, 'counter'),
  legacy(L.segments, M.segmentCount, 'observable-up-down-counter'),
  legacy(L.diskUsage, M.segmentFileSize, 'observable-up-down-counter'),
  legacy(L.queueBytes, M.queueSize, 'observable-gauge'),
  legacy(L.recoveryTruncatedBytes, M.recoveryTruncatedSize, 'counter'),
]);

/**
 * The name a metric gets from `@opentelemetry/exporter-prometheus` (0.2xx): dots become
 * underscores and monotonic counters gain `_total` (no unit suffix is added). Histograms are
 * exposed as `<name>_bucket`, `<name>_sum` and `<name>_count`.
 *
 * @param descriptor - one entry of {@link NORI_WAL_METRICS} or `NORI_ARCHIVE_METRICS`
 * @returns e.g. `nori_wal_append_records_total`
 */
export function prometheusName(descriptor: Pick<NoriWalMetricDescriptor, 'name' | 'kind'>): string {
  const base = descriptor.name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_{2,}/g, '_');
  return descriptor.kind === 'counter' && !base.endsWith('_total') ? `${base}_total` : base;
}
