/**
 * OpenTelemetry metrics and spans for the nori WAL and its archiver: hand
 * `createOtelObserver().observer` to `Wal.open` (and `createArchiverOtelObserver().observer` to
 * `Archiver.start`, `createReplicaOtelObserver().observer` to `openReplica`), attach the WAL
 * (archiver, replica) for the gauges, and scrape or export with any
 * OpenTelemetry SDK.
 *
 * @packageDocumentation
 */
export { NoriOtelError, type NoriOtelErrorCode } from './errors.js';
export {
  NORI_WAL_ATTRIBUTES,
  NORI_WAL_METRIC_NAMES,
  NORI_WAL_METRICS,
  NORI_WAL_LEGACY_METRIC_NAMES,
  NORI_WAL_LEGACY_METRICS,
  LEGACY_METRIC_NAMES_REMOVED_IN,
  NORI_WAL_SPAN_NAMES,
  FSYNC_DURATION_BUCKETS,
  GROUP_COMMIT_SIZE_BUCKETS,
  RECOVERY_DURATION_BUCKETS,
  prometheusName,
  type NoriWalInstrumentKind,
  type NoriWalMetricDescriptor,
  type NoriWalLegacyMetricDescriptor,
} from './names.js';
export {
  createOtelObserver,
  INSTRUMENTATION_SCOPE,
  type OtelInstrumentation,
  type OtelObserverOptions,
  type OtelSpanSelection,
  type WalAttachment,
  type WalStatsSource,
} from './observer.js';
export { combineObservers, WAL_OBSERVER_METHODS } from './combine.js';
export { NORI_ARCHIVE_ATTRIBUTES, NORI_ARCHIVE_METRIC_NAMES, NORI_ARCHIVE_METRICS, NORI_ARCHIVE_SPAN_NAMES, SHIP_DURATION_BUCKETS } from './archiver-names.js';
export {
  ARCHIVER_OBSERVER_METHODS,
  createArchiverOtelObserver,
  type ArchiverAttachment,
  type ArchiverInstrumentation,
  type ArchiverOtelOptions,
  type ArchiverStatsSource,
} from './archiver-observer.js';
export { NORI_REPLICA_ATTRIBUTES, NORI_REPLICA_METRIC_NAMES, NORI_REPLICA_METRICS } from './replica-names.js';
export {
  createReplicaOtelObserver,
  REPLICA_OBSERVER_METHODS,
  type ReplicaAttachment,
  type ReplicaInstrumentation,
  type ReplicaLagSource,
  type ReplicaOtelOptions,
} from './replica-observer.js';
