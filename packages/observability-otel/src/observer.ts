import {
  diag,
  metrics,
  trace,
  SpanStatusCode,
  type Attributes,
  type BatchObservableCallback,
  type Counter,
  type Meter,
  type MetricOptions,
  type Observable,
  type ObservableGauge,
  type ObservableUpDownCounter,
  type Tracer,
} from '@opentelemetry/api';
import type { RecoveryReport, WalObserver, WalStats } from '@nori/wal';
import { WAL_OBSERVER_METHODS } from './combine.js';
import { NoriOtelError } from './errors.js';
import {
  deepestErrorType,
  guardHandlers,
  hasMethod,
  INSTRUMENTATION_SCOPE,
  instrumentOptions as optionsFrom,
  invalid,
  isObject,
  nowMs,
  registerBatchCallback,
  rejectUnknownOptions,
  validateInstanceName,
} from './support.js';
import {
  FSYNC_DURATION_BUCKETS,
  GROUP_COMMIT_SIZE_BUCKETS,
  LEGACY_METRIC_NAMES_REMOVED_IN,
  NORI_WAL_ATTRIBUTES as A,
  NORI_WAL_LEGACY_METRIC_NAMES as L,
  NORI_WAL_LEGACY_METRICS,
  NORI_WAL_METRIC_NAMES as M,
  NORI_WAL_METRICS,
  NORI_WAL_SPAN_NAMES,
  RECOVERY_DURATION_BUCKETS,
} from './names.js';

export { INSTRUMENTATION_SCOPE } from './support.js';

/** Which spans to emit (kinds left out are off); `spans: true` means both. */
export interface OtelSpanSelection {
  /** One `nori.wal.recovery` span per recovery (cheap: once per open). */
  recovery?: boolean;
  /** One `nori.wal.fsync` span per fsync (can be thousands per second: sample accordingly). */
  fsync?: boolean;
}

/** Options of {@link createOtelObserver}. */
export interface OtelObserverOptions {
  /** Meter to create instruments on; default `metrics.getMeter('@nori/observability-otel')`. */
  meter?: Meter;
  /**
   * Tracer for the optional spans; default `trace.getTracer('@nori/observability-otel')` when
   * spans are enabled. Passing a tracer enables both spans unless `spans` says otherwise.
   */
  tracer?: Tracer;
  /**
   * Instance name set as the `nori.wal.name` attribute on every metric and span, so several
   * WALs in one process stay apart. 1-128 characters; default `default`.
   */
  walName?: string;
  /** Spans to emit: off by default (on by default when `tracer` is given). */
  spans?: boolean | OtelSpanSelection;
  /**
   * Also emit the 0.1 metric names (`nori.wal.segments`, `nori.wal.disk.usage`, ...: see
   * `NORI_WAL_LEGACY_METRICS`) next to the new ones, so dashboards and alerts built on them keep
   * working during the upgrade. Default `true` (with a `diag` warning when left unset); 0.3.0
   * removes the legacy names and then accepts only `false`. Set `false` once nothing reads them.
   */
  legacyMetricNames?: boolean;
}

/** What {@link OtelInstrumentation.attach} needs from a WAL: `Wal` satisfies it. */
export interface WalStatsSource {
  /** Current counters, read on every metrics collection. */
  stats(): WalStats;
  /** When `closed`, the gauges stop reporting this WAL. */
  readonly state?: string;
}

/** Handle returned by {@link OtelInstrumentation.attach}; detaching is idempotent. */
export interface WalAttachment extends Disposable {
  /** The attached WAL. */
  readonly wal: WalStatsSource;
  /** `true` until {@link WalAttachment.detach} is called. */
  readonly attached: boolean;
  /** Unregister the callbacks of `nori.wal.segment.count`, `nori.wal.segment.file.size` and `nori.wal.queue.size`. */
  detach(): void;
}

/** The adapter: an observer to hand to `Wal.open`, plus gauges bound with {@link attach}. */
export interface OtelInstrumentation {
  /** Pass as `observer` in the WAL config (or through `combineObservers`). */
  readonly observer: WalObserver;
  /** The `nori.wal.name` attribute value. */
  readonly walName: string;
  /**
   * Report `wal.stats()` through the observable instruments on every collection. One WAL at a
   * time: attaching again before detaching throws `ERR_ALREADY_ATTACHED`.
   *
   * @param wal - the opened WAL (anything with `stats()`)
   * @returns a handle whose `detach()` (or `using`) unregisters the callbacks
   */
  attach(wal: WalStatsSource): WalAttachment;
}

const OPTION_KEYS = new Set(['meter', 'tracer', 'walName', 'spans', 'legacyMetricNames']);
const SPAN_KEYS = new Set(['recovery', 'fsync']);
const CORRUPT_REASONS = new Set(['crc-mismatch', 'varint-overflow', 'invalid-compression', 'decompression-failed', 'too-large']);
const CORRUPTION_ACTIONS = new Set(['truncated', 'quarantined', 'skipped', 'failed']);

function resolveSpans(spans: unknown, tracerGiven: boolean): { recovery: boolean; fsync: boolean } {
  if (spans === undefined) return { recovery: tracerGiven, fsync: tracerGiven };
  if (typeof spans === 'boolean') return { recovery: spans, fsync: spans };
  if (!isObject(spans)) throw invalid('options.spans must be a boolean or { recovery?, fsync? }');
  for (const key of Object.keys(spans)) {
    if (!SPAN_KEYS.has(key)) throw invalid(`options.spans.${key} is not an option (use recovery, fsync)`);
  }
  const { recovery, fsync } = spans;
  if (recovery !== undefined && typeof recovery !== 'boolean') throw invalid('options.spans.recovery must be a boolean');
  if (fsync !== undefined && typeof fsync !== 'boolean') throw invalid('options.spans.fsync must be a boolean');
  return { recovery: recovery === true, fsync: fsync === true };
}

const ALL_WAL_METRICS = [...NORI_WAL_METRICS, ...NORI_WAL_LEGACY_METRICS];

function instrumentOptions(name: string, buckets?: readonly number[]): MetricOptions {
  return optionsFrom(ALL_WAL_METRICS, name, buckets);
}

/** The 0.1 instruments kept for one minor while `legacyMetricNames` is on. */
interface LegacyInstruments {
  readonly appendBytes: Counter;
  readonly recoveryTruncatedBytes: Counter;
  readonly segments: ObservableUpDownCounter;
  readonly diskUsage: ObservableUpDownCounter;
  readonly queueBytes: ObservableGauge;
}

function resolveLegacy(legacyMetricNames: unknown): boolean {
  if (legacyMetricNames === undefined) {
    // Dashboards on the old names keep working, but whoever watches OTel's diag log learns why.
    diag.warn(
      `${INSTRUMENTATION_SCOPE}: also emitting the deprecated 0.1 metric names (nori.wal.segments, nori.wal.disk.usage, ...); ` +
        `they go away in ${LEGACY_METRIC_NAMES_REMOVED_IN}: move dashboards to the new names and set legacyMetricNames: false`,
    );
    return true;
  }
  if (typeof legacyMetricNames !== 'boolean') throw invalid('options.legacyMetricNames must be a boolean');
  return legacyMetricNames;
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

/**
 * Create the OpenTelemetry adapter for one WAL: counters and histograms fed by the WAL's
 * observer events, observable instruments fed by `wal.stats()` once attached, and optional
 * spans. Only `@opentelemetry/api` is used, so without an SDK everything is a no-op.
 *
 * @example
 * ```ts
 * const otel = createOtelObserver({ walName: 'orders' });
 * const { wal } = await Wal.open({ dir: './wal', observer: otel.observer });
 * using _gauges = otel.attach(wal);
 * ```
 *
 * @param options - see {@link OtelObserverOptions}
 * @throws {@link NoriOtelError} `ERR_INVALID_OPTIONS` for unknown options or wrong types
 */
export function createOtelObserver(options: OtelObserverOptions = {}): OtelInstrumentation {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  rejectUnknownOptions(options, OPTION_KEYS);
  const { meter: givenMeter, tracer: givenTracer } = options;
  const walName = validateInstanceName('walName', options.walName ?? 'default');
  if (givenMeter !== undefined && !hasMethod(givenMeter, 'createCounter')) {
    throw invalid('options.meter must be an OpenTelemetry Meter');
  }
  if (givenTracer !== undefined && !hasMethod(givenTracer, 'startSpan')) {
    throw invalid('options.tracer must be an OpenTelemetry Tracer');
  }
  const spans = resolveSpans(options.spans, givenTracer !== undefined);
  const legacyOn = resolveLegacy(options.legacyMetricNames);
  const meter = givenMeter ?? metrics.getMeter(INSTRUMENTATION_SCOPE);
  const tracer = spans.recovery || spans.fsync ? (givenTracer ?? trace.getTracer(INSTRUMENTATION_SCOPE)) : undefined;

  const counter = (name: string) => meter.createCounter(name, instrumentOptions(name));
  const histogram = (name: string, buckets: readonly number[]) => meter.createHistogram(name, instrumentOptions(name, buckets));
  const appendRecords = counter(M.appendRecords);
  const appendSize = counter(M.appendSize);
  const fsyncDuration = histogram(M.fsyncDuration, FSYNC_DURATION_BUCKETS);
  const groupCommitSize = histogram(M.groupCommitSize, GROUP_COMMIT_SIZE_BUCKETS);
  const segmentRotations = counter(M.segmentRotations);
  const segmentDeletions = counter(M.segmentDeletions);
  const recoveryDuration = histogram(M.recoveryDuration, RECOVERY_DURATION_BUCKETS);
  const recoveryRecords = counter(M.recoveryRecords);
  const recoveryTruncatedSize = counter(M.recoveryTruncatedSize);
  const corruptions = counter(M.corruptions);
  const failures = counter(M.failures);
  const segmentCount = meter.createObservableUpDownCounter(M.segmentCount, instrumentOptions(M.segmentCount));
  const segmentFileSize = meter.createObservableUpDownCounter(M.segmentFileSize, instrumentOptions(M.segmentFileSize));
  const queueSize = meter.createObservableUpDownCounter(M.queueSize, instrumentOptions(M.queueSize));
  const legacy = legacyOn ? createLegacyInstruments(meter) : undefined;

  // Attribute sets are built once: the hot path (append, fsync) allocates nothing.
  const base: Attributes = Object.freeze({ [A.name]: walName });
  const single = Object.freeze({ ...base, [A.batch]: false });
  const batch = Object.freeze({ ...base, [A.batch]: true });
  const fsyncOk = Object.freeze({ ...base, [A.fsyncOutcome]: 'ok' });
  const fsyncError = Object.freeze({ ...base, [A.fsyncOutcome]: 'error' });
  const corruptionAttrs = new Map<string, Attributes>();
  const corruptionAttributes = (action: string, reason: string): Attributes => {
    const safeAction = CORRUPTION_ACTIONS.has(action) ? action : 'other';
    const safeReason = CORRUPT_REASONS.has(reason) ? reason : 'other';
    const key = `${safeAction}\u0000${safeReason}`;
    let attrs = corruptionAttrs.get(key);
    if (attrs === undefined) {
      attrs = Object.freeze({ ...base, [A.corruptionAction]: safeAction, [A.corruptionReason]: safeReason });
      corruptionAttrs.set(key, attrs);
    }
    return attrs;
  };

  const handlers: Required<WalObserver> = {
    onAppend(e) {
      const attrs = e.batch ? batch : single;
      appendRecords.add(e.records, attrs);
      appendSize.add(e.bytes, attrs);
      legacy?.appendBytes.add(e.bytes, attrs);
    },
    onFsync(e) {
      const attrs = e.ok ? fsyncOk : fsyncError;
      fsyncDuration.record(e.durationMs / 1000, attrs);
      groupCommitSize.record(e.records, attrs);
      if (tracer !== undefined && spans.fsync) {
        const end = nowMs();
        const span = tracer.startSpan(NORI_WAL_SPAN_NAMES.fsync, {
          startTime: end - e.durationMs,
          attributes: {
            ...attrs,
            'nori.wal.fsync.bytes': e.bytes,
            'nori.wal.fsync.records': e.records,
            'nori.wal.fsync.appends': e.appends,
          },
        });
        if (!e.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: 'fsync failed' });
        span.end(end);
      }
    },
    onSegmentRolled() {
      segmentRotations.add(1, base);
    },
    onSegmentDeleted() {
      segmentDeletions.add(1, base);
    },
    onRecovery(report) {
      recordRecovery(report);
    },
    onCorruption(e) {
      corruptions.add(1, corruptionAttributes(e.action, e.reason));
    },
    onFailed(e) {
      failures.add(1, { ...base, [A.errorType]: deepestErrorType(e.error) });
    },
  };

  const observer = guardHandlers<WalObserver>(handlers, WAL_OBSERVER_METHODS);

  function recordRecovery(report: RecoveryReport): void {
    const modeAttrs = { ...base, [A.recoveryMode]: report.mode };
    const tailAttrs = { ...modeAttrs, [A.recoveryTail]: report.tail };
    recoveryDuration.record(report.durationMs / 1000, tailAttrs);
    recoveryRecords.add(report.records, modeAttrs);
    // A read-only open (inspect, verify) only reports what it would truncate: nothing was removed.
    const readOnly = report.readOnly === true;
    if (!readOnly) {
      recoveryTruncatedSize.add(report.bytesTruncated, tailAttrs);
      legacy?.recoveryTruncatedBytes.add(report.bytesTruncated, tailAttrs);
    }
    if (tracer === undefined || !spans.recovery) return;
    const end = nowMs();
    const span = tracer.startSpan(NORI_WAL_SPAN_NAMES.recovery, {
      startTime: end - report.durationMs,
      attributes: {
        ...tailAttrs,
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
        'nori.wal.recovery.read_only': readOnly,
      },
    });
    for (const c of report.corruptions) {
      span.addEvent('nori.wal.corruption', {
        'nori.wal.segment.id': c.segmentId,
        'nori.wal.corruption.offset': c.offset,
        [A.corruptionReason]: c.reason,
      });
    }
    span.end(end);
  }

  const observables: Observable[] = [segmentCount, segmentFileSize, queueSize];
  if (legacy !== undefined) observables.push(legacy.segments, legacy.diskUsage, legacy.queueBytes);
  let current: WalAttachment | undefined;

  function attach(wal: WalStatsSource): WalAttachment {
    if (!hasMethod(wal, 'stats')) {
      throw new NoriOtelError('ERR_INVALID_ARGUMENT', 'attach(wal) needs an opened Wal (an object with stats())');
    }
    if (current !== undefined && current.attached) {
      throw new NoriOtelError(
        'ERR_ALREADY_ATTACHED',
        `a WAL is already attached to the instrumentation named "${walName}"; detach it first or create another instrumentation with its own walName`,
      );
    }
    const callback: BatchObservableCallback = (result) => {
      if (wal.state === 'closed') return;
      const stats = wal.stats();
      // diskBytes sums file lengths (the storage API has no allocated-block count): hence file.size.
      result.observe(segmentCount, stats.segments, base);
      result.observe(segmentFileSize, stats.diskBytes, base);
      result.observe(queueSize, stats.queuedBytes, base);
      if (legacy === undefined) return;
      result.observe(legacy.segments, stats.segments, base);
      result.observe(legacy.diskUsage, stats.diskBytes, base);
      result.observe(legacy.queueBytes, stats.queuedBytes, base);
    };
    const handle: WalAttachment = Object.assign(registerBatchCallback(meter, callback, observables), { wal });
    current = handle;
    return handle;
  }

  return { observer, walName, attach };
}
