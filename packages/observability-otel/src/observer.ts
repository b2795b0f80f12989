import { diag, metrics, trace, type BatchObservableCallback, type Meter, type Observable, type Tracer } from '@opentelemetry/api';
import type { RecoveryReport, WalObserver, WalStats } from '@nori/wal';
import { WAL_OBSERVER_METHODS } from './combine.js';
import { NoriOtelError } from './errors.js';
import { LEGACY_METRIC_NAMES_REMOVED_IN, NORI_WAL_ATTRIBUTES as A } from './names.js';
import {
  deepestErrorType,
  guardHandlers,
  hasMethod,
  INSTRUMENTATION_SCOPE,
  invalid,
  isObject,
  registerBatchCallback,
  rejectUnknownOptions,
  validateInstanceName,
} from './support.js';
import { createWalInstruments, walAttributeSets, type WalAttributeSets, type WalInstruments } from './wal-instruments.js';
import { recordFsyncSpan, recordRecoverySpan } from './wal-spans.js';

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

/** The checked options, with defaults filled in. */
interface AdapterSettings {
  readonly walName: string;
  readonly meter: Meter;
  /** Set only when some span kind is on. */
  readonly recoveryTracer: Tracer | undefined;
  readonly fsyncTracer: Tracer | undefined;
  readonly legacy: boolean;
}

/** Checks `options` (`ERR_INVALID_OPTIONS` on anything unknown or mistyped) and fills defaults. */
function resolveSettings(options: OtelObserverOptions): AdapterSettings {
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
  const legacy = resolveLegacy(options.legacyMetricNames);
  const tracer = spans.recovery || spans.fsync ? (givenTracer ?? trace.getTracer(INSTRUMENTATION_SCOPE)) : undefined;
  return {
    walName,
    meter: givenMeter ?? metrics.getMeter(INSTRUMENTATION_SCOPE),
    recoveryTracer: spans.recovery ? tracer : undefined,
    fsyncTracer: spans.fsync ? tracer : undefined,
    legacy,
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
  const settings = resolveSettings(options);
  const instruments = createWalInstruments(settings.meter, { legacy: settings.legacy });
  const attrs = walAttributeSets(settings.walName);
  const observer = guardHandlers<WalObserver>(walHandlers(settings, instruments, attrs), WAL_OBSERVER_METHODS);
  return { observer, walName: settings.walName, attach: statsAttacher(settings, instruments, attrs) };
}

/** The observer's handlers: each records its event on the instruments (and a span when on). */
function walHandlers(settings: AdapterSettings, m: WalInstruments, attrs: WalAttributeSets): Required<WalObserver> {
  const { base } = attrs;
  return {
    onAppend(e) {
      const set = e.batch ? attrs.batch : attrs.single;
      m.appendRecords.add(e.records, set);
      m.appendSize.add(e.bytes, set);
      m.legacy?.appendBytes.add(e.bytes, set);
    },
    onFsync(e) {
      const set = e.ok ? attrs.fsyncOk : attrs.fsyncError;
      m.fsyncDuration.record(e.durationMs / 1000, set);
      m.groupCommitSize.record(e.records, set);
      if (settings.fsyncTracer !== undefined) recordFsyncSpan(settings.fsyncTracer, e, set);
    },
    onSegmentRolled() {
      m.segmentRotations.add(1, base);
    },
    onSegmentDeleted() {
      m.segmentDeletions.add(1, base);
    },
    onRecovery(report) {
      recordRecovery(settings, m, base, report);
    },
    onCorruption(e) {
      m.corruptions.add(1, attrs.corruption(e.action, e.reason));
    },
    onFailed(e) {
      m.failures.add(1, { ...base, [A.errorType]: deepestErrorType(e.error) });
    },
  };
}

function recordRecovery(settings: AdapterSettings, m: WalInstruments, base: WalAttributeSets['base'], report: RecoveryReport): void {
  const modeAttrs = { ...base, [A.recoveryMode]: report.mode };
  const tailAttrs = { ...modeAttrs, [A.recoveryTail]: report.tail };
  m.recoveryDuration.record(report.durationMs / 1000, tailAttrs);
  m.recoveryRecords.add(report.records, modeAttrs);
  // A read-only open (inspect, verify) only reports what it would truncate: nothing was removed.
  if (report.readOnly !== true) {
    m.recoveryTruncatedSize.add(report.bytesTruncated, tailAttrs);
    m.legacy?.recoveryTruncatedBytes.add(report.bytesTruncated, tailAttrs);
  }
  if (settings.recoveryTracer !== undefined) recordRecoverySpan(settings.recoveryTracer, report, tailAttrs);
}

/** `attach(wal)`: reports `wal.stats()` through the observable instruments, one WAL at a time. */
function statsAttacher(settings: AdapterSettings, m: WalInstruments, attrs: WalAttributeSets): (wal: WalStatsSource) => WalAttachment {
  const { base } = attrs;
  const observables: Observable[] = [m.segmentCount, m.segmentFileSize, m.queueSize];
  const legacy = m.legacy;
  if (legacy !== undefined) observables.push(legacy.segments, legacy.diskUsage, legacy.queueBytes);
  let current: WalAttachment | undefined;
  return (wal) => {
    if (!hasMethod(wal, 'stats')) {
      throw new NoriOtelError('ERR_INVALID_ARGUMENT', 'attach(wal) needs an opened Wal (an object with stats())');
    }
    if (current !== undefined && current.attached) {
      throw new NoriOtelError(
        'ERR_ALREADY_ATTACHED',
        `a WAL is already attached to the instrumentation named "${settings.walName}"; detach it first or create another instrumentation with its own walName`,
      );
    }
    const callback: BatchObservableCallback = (result) => {
      if (wal.state === 'closed') return;
      const stats = wal.stats();
      // diskBytes sums file lengths (the storage API has no allocated-block count): hence file.size.
      result.observe(m.segmentCount, stats.segments, base);
      result.observe(m.segmentFileSize, stats.diskBytes, base);
      result.observe(m.queueSize, stats.queuedBytes, base);
      if (legacy === undefined) return;
      result.observe(legacy.segments, stats.segments, base);
      result.observe(legacy.diskUsage, stats.diskBytes, base);
      result.observe(legacy.queueBytes, stats.queuedBytes, base);
    };
    current = Object.assign(registerBatchCallback(settings.meter, callback, observables), { wal });
    return current;
  };
}
