import {
  metrics,
  trace,
  type Attributes,
  type BatchObservableCallback,
  type Meter,
  type MetricOptions,
  type Observable,
  type Tracer,
} from '@opentelemetry/api';
// Types only: the adapter never loads @nori/archive (nor the AWS SDK behind it) at runtime.
import type { ArchiverLag, ArchiverObserver, ArchiverStats, ChunkShippedEvent, GenerationReason } from '@nori/archive';
import { NoriOtelError } from './errors.js';
import {
  NORI_ARCHIVE_ATTRIBUTES as A,
  NORI_ARCHIVE_METRIC_NAMES as M,
  NORI_ARCHIVE_METRICS,
  NORI_ARCHIVE_SPAN_NAMES,
  SHIP_DURATION_BUCKETS,
} from './archiver-names.js';
import {
  attributeCache,
  guardHandlers,
  hasMethod,
  INSTRUMENTATION_SCOPE,
  instrumentOptions as optionsFrom,
  invalid,
  isObject,
  recordFinishedSpan,
  registerBatchCallback,
  outerErrorType,
  rejectUnknownOptions,
  validateInstanceName,
} from './support.js';

/** The event methods of `ArchiverObserver` (from `@nori/archive`). */
export const ARCHIVER_OBSERVER_METHODS = [
  'onGenerationStarted',
  'onGenerationResumed',
  'onChunkShipped',
  'onRetry',
  'onError',
  'onFenced',
  'onRemoteDurable',
] as const satisfies readonly (keyof ArchiverObserver)[];

/** Options of {@link createArchiverOtelObserver}. */
export interface ArchiverOtelOptions {
  /** Meter to create instruments on; default `metrics.getMeter('@nori/observability-otel')`. */
  meter?: Meter;
  /** Tracer for the chunk spans; default the global tracer when `spans` is on. Passing one turns spans on. */
  tracer?: Tracer;
  /** Value of `nori.archive.name` on every metric and span, 1-128 characters; default `default`. */
  archiverName?: string;
  /** One `nori.archive.chunk.ship` span per created chunk: off by default (on when `tracer` is given). */
  spans?: boolean;
}

/** What {@link ArchiverInstrumentation.attach} needs from an archiver: `Archiver` satisfies it. */
export interface ArchiverStatsSource {
  /** Counters and the archived position, read on every collection. */
  stats(): ArchiverStats;
  /** Shipping lag, read on every collection (it rejects once the archiver is fenced or failed). */
  lag(): Promise<ArchiverLag>;
  /** When `closed`, the gauges stop reporting this archiver. */
  readonly state?: string;
}

/** Handle returned by {@link ArchiverInstrumentation.attach}; detaching is idempotent. */
export interface ArchiverAttachment extends Disposable {
  /** The attached archiver. */
  readonly archiver: ArchiverStatsSource;
  /** `true` until {@link ArchiverAttachment.detach} is called. */
  readonly attached: boolean;
  /** Unregister the callbacks of the lag, position, generation and state instruments. */
  detach(): void;
}

/** The archiver adapter: an observer for `Archiver.start`, plus gauges bound with {@link attach}. */
export interface ArchiverInstrumentation {
  /** Pass as `observer` in the `Archiver.start` options. */
  readonly observer: ArchiverObserver;
  /** The `nori.archive.name` attribute value. */
  readonly archiverName: string;
  /**
   * Report `archiver.lag()` and `archiver.stats()` through the observable instruments on every
   * collection. One archiver at a time: attaching again before detaching throws `ERR_ALREADY_ATTACHED`.
   *
   * @param archiver - the started archiver
   * @returns a handle whose `detach()` (or `using`) unregisters the callbacks
   */
  attach(archiver: ArchiverStatsSource): ArchiverAttachment;
}

const OPTION_KEYS = new Set(['meter', 'tracer', 'archiverName', 'spans']);
const STORE_OPERATIONS = new Set(['put', 'get', 'head', 'list', 'delete']);
/** Values of `nori.archive.remote_durable.operation`. */
const REMOTE_DURABLE_OPERATIONS: ReadonlySet<string> = new Set(['append', 'appendBatch', 'waitArchived']);
/** `GENERATION_REASONS` of `@nori/archive`, repeated here because the adapter imports types only. */
const KNOWN_REASONS = ['new-log', 'diverged', 'takeover'] as const satisfies readonly GenerationReason[];
// Fails to compile when @nori/archive adds a reason this list lacks.
const ALL_REASONS_KNOWN: [GenerationReason] extends [(typeof KNOWN_REASONS)[number]] ? true : never = true;
const GENERATION_REASONS: ReadonlySet<string> = new Set(ALL_REASONS_KNOWN ? KNOWN_REASONS : []);

/** A generation reason as a bounded attribute value: one of `@nori/archive`'s reasons, else `other`. */
export function generationReasonOf(reason: string): string {
  return GENERATION_REASONS.has(reason) ? reason : OTHER;
}
/** Values of `nori.archive.archiver.state` (`ArchiverState` plus `closed`), each observed on every collection. */
const ARCHIVER_STATES = ['running', 'fenced', 'failed', 'closed'] as const;
/** `nori.archive.store.operation` of an error that names no store operation. */
const NO_OPERATION = 'none';
/** Value of a bounded attribute outside its known set. */
const OTHER = 'other';

function instrumentOptions(name: string, buckets?: readonly number[]): MetricOptions {
  return optionsFrom(NORI_ARCHIVE_METRICS, name, buckets);
}

function resolveOptions(options: ArchiverOtelOptions): { meter: Meter; tracer: Tracer | undefined; archiverName: string } {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  rejectUnknownOptions(options, OPTION_KEYS);
  const { meter, tracer, spans } = options;
  if (meter !== undefined && !hasMethod(meter, 'createCounter')) throw invalid('options.meter must be an OpenTelemetry Meter');
  if (tracer !== undefined && !hasMethod(tracer, 'startSpan')) throw invalid('options.tracer must be an OpenTelemetry Tracer');
  if (spans !== undefined && typeof spans !== 'boolean') throw invalid('options.spans must be a boolean');
  const archiverName = validateInstanceName('archiverName', options.archiverName ?? 'default');
  const spansOn = spans ?? tracer !== undefined;
  return {
    meter: meter ?? metrics.getMeter(INSTRUMENTATION_SCOPE),
    tracer: spansOn ? (tracer ?? trace.getTracer(INSTRUMENTATION_SCOPE)) : undefined,
    archiverName,
  };
}

function operationOf(op: unknown): string {
  if (op === undefined) return NO_OPERATION;
  return typeof op === 'string' && STORE_OPERATIONS.has(op) ? op : OTHER;
}

/**
 * Create the OpenTelemetry adapter for one archiver: counters and a histogram fed by its
 * observer events, gauges fed by `archiver.lag()` / `stats()` once attached, and optional
 * spans. `@nori/archive` is only a type import: this costs WAL-only users nothing.
 *
 * @example
 * ```ts
 * const otel = createArchiverOtelObserver({ archiverName: 'orders' });
 * const archiver = await Archiver.start(wal, { store, prefix: 'orders', observer: otel.observer });
 * using _gauges = otel.attach(archiver);
 * ```
 *
 * @param options - see {@link ArchiverOtelOptions}
 * @throws {@link NoriOtelError} `ERR_INVALID_OPTIONS` for unknown options or wrong types
 */
export function createArchiverOtelObserver(options: ArchiverOtelOptions = {}): ArchiverInstrumentation {
  const { meter, tracer, archiverName } = resolveOptions(options);
  const counter = (name: string) => meter.createCounter(name, instrumentOptions(name));
  const chunks = counter(M.chunks);
  const shipSize = counter(M.shipSize);
  const shipDuration = meter.createHistogram(M.shipDuration, instrumentOptions(M.shipDuration, SHIP_DURATION_BUCKETS));
  const storeRetries = counter(M.storeRetries);
  const failures = counter(M.failures);
  const fencings = counter(M.fencings);
  const generationStarts = counter(M.generationStarts);
  const generationResumes = counter(M.generationResumes);
  const remoteDurable = meter.createHistogram(M.remoteDurableDuration, instrumentOptions(M.remoteDurableDuration, SHIP_DURATION_BUCKETS));

  const base: Attributes = Object.freeze({ [A.name]: archiverName });
  const cached = attributeCache();
  const kindAttrs = (kind: string) => cached(`kind\u0000${kind}`, () => ({ ...base, [A.chunkKind]: kind }));
  const errorAttrs = (op: unknown, error: unknown) => {
    const operation = operationOf(op);
    const type = outerErrorType(error);
    return cached(`error\u0000${operation}\u0000${type}`, () => ({ ...base, [A.operation]: operation, [A.errorType]: type }));
  };

  const handlers: Required<ArchiverObserver> = {
    onGenerationStarted(e) {
      const reason = generationReasonOf(e.reason);
      generationStarts.add(
        1,
        cached(`reason\u0000${reason}`, () => ({ ...base, [A.generationReason]: reason })),
      );
    },
    onGenerationResumed() {
      generationResumes.add(1, base);
    },
    onChunkShipped(e) {
      const attrs = kindAttrs(e.kind);
      chunks.add(1, attrs);
      shipSize.add(e.bytes, attrs);
      shipDuration.record(e.durationMs / 1000, attrs);
      if (tracer !== undefined) recordShipSpan(tracer, e, attrs);
    },
    onRetry(e) {
      storeRetries.add(1, errorAttrs(e.op, e.error));
    },
    onError(e) {
      failures.add(1, errorAttrs(isObject(e.error) ? e.error['op'] : undefined, e.error));
    },
    onFenced() {
      fencings.add(1, base);
    },
    onRemoteDurable(e) {
      const operation = REMOTE_DURABLE_OPERATIONS.has(e.op) ? e.op : OTHER;
      const outcome = e.ok ? 'ok' : 'error';
      const attrs = cached(`durable\u0000${operation}\u0000${outcome}`, () => ({
        ...base,
        [A.remoteDurableOperation]: operation,
        [A.remoteDurableOutcome]: outcome,
      }));
      remoteDurable.record(e.durationMs / 1000, attrs);
    },
  };
  const observer = guardHandlers<ArchiverObserver>(handlers, ARCHIVER_OBSERVER_METHODS);
  return { observer, archiverName, attach: archiverGauges(meter, archiverName, base) };
}

function recordShipSpan(tracer: Tracer, e: ChunkShippedEvent, attrs: Attributes): void {
  const attributes = {
    ...attrs,
    'nori.archive.chunk.key': e.key,
    'nori.archive.chunk.seq': e.seq,
    'nori.archive.generation': e.generation,
    'nori.archive.chunk.segment_id': e.segmentId,
    'nori.archive.chunk.offset': e.offset,
    'nori.archive.chunk.bytes': e.bytes,
    'nori.archive.chunk.attempts': e.attempts,
  };
  recordFinishedSpan(tracer, NORI_ARCHIVE_SPAN_NAMES.ship, { durationMs: e.durationMs, attributes });
}

/** The `attach` function: one batch callback observing lag, position and generation. */
function archiverGauges(meter: Meter, archiverName: string, base: Attributes): (archiver: ArchiverStatsSource) => ArchiverAttachment {
  const gauge = (name: string) => meter.createObservableGauge(name, instrumentOptions(name));
  const lagSize = meter.createObservableUpDownCounter(M.lagSize, instrumentOptions(M.lagSize));
  const lagDuration = gauge(M.lagDuration);
  const positionSegment = gauge(M.positionSegment);
  const positionOffset = gauge(M.positionOffset);
  const generationNumber = gauge(M.generationNumber);
  const archiverCount = meter.createObservableUpDownCounter(M.archiverCount, instrumentOptions(M.archiverCount));
  const stateAttrs = new Map<string, Attributes>([...ARCHIVER_STATES, OTHER].map((state) => [state, Object.freeze({ ...base, [A.archiverState]: state })]));
  const observables: Observable[] = [lagSize, lagDuration, positionSegment, positionOffset, generationNumber, archiverCount];
  let current: ArchiverAttachment | undefined;

  return (archiver) => {
    if (!hasMethod(archiver, 'stats') || !hasMethod(archiver, 'lag')) {
      throw new NoriOtelError('ERR_INVALID_ARGUMENT', 'attach(archiver) needs a started Archiver (an object with stats() and lag())');
    }
    if (current?.attached === true) {
      throw new NoriOtelError(
        'ERR_ALREADY_ATTACHED',
        `an archiver is already attached to the instrumentation named "${archiverName}"; detach it first or create another instrumentation with its own archiverName`,
      );
    }
    const callback: BatchObservableCallback = async (result) => {
      // Every state every time: a stopped archiver's `running` series drops to 0 instead of freezing at 1.
      const state = stateAttrs.has(archiver.state ?? '') ? (archiver.state as string) : OTHER;
      for (const [name, attrs] of stateAttrs) result.observe(archiverCount, name === state ? 1 : 0, attrs);
      if (state === 'closed') return;
      const stats = archiver.stats();
      result.observe(positionSegment, stats.archivedPosition.segmentId, base);
      result.observe(positionOffset, stats.archivedPosition.offset, base);
      result.observe(generationNumber, stats.generation, base);
      // A fenced or failed archiver has no lag (lag() rejects): it is not observed; an SDK with
      // cumulative temporality repeats the last value, so read lag together with the state.
      const lag = await Promise.resolve()
        .then(() => archiver.lag())
        .catch(() => undefined);
      if (lag === undefined) return;
      result.observe(lagSize, lag.bytes, base);
      result.observe(lagDuration, lag.seconds, base);
    };
    const handle: ArchiverAttachment = Object.assign(registerBatchCallback(meter, callback, observables), { archiver });
    current = handle;
    return handle;
  };
}
