import { metrics, type Attributes, type BatchObservableCallback, type Meter, type MetricOptions, type Observable } from '@opentelemetry/api';
// Types only: the adapter never loads @nori/archive (nor the AWS SDK behind it) at runtime.
import type { ReplicaLag, ReplicaObserver } from '@nori/archive';
import { generationReasonOf } from './archiver-observer.js';
import { NoriOtelError } from './errors.js';
import { NORI_REPLICA_ATTRIBUTES as A, NORI_REPLICA_METRIC_NAMES as M, NORI_REPLICA_METRICS } from './replica-names.js';
import {
  attributeCache,
  guardHandlers,
  hasMethod,
  INSTRUMENTATION_SCOPE,
  instrumentOptions as optionsFrom,
  invalid,
  outerErrorType,
  registerBatchCallback,
  rejectUnknownOptions,
  validateInstanceName,
} from './support.js';

/** The event methods of `ReplicaObserver` (from `@nori/archive`). */
export const REPLICA_OBSERVER_METHODS = ['onChunkApplied', 'onGenerationChanged', 'onRetry', 'onPoll'] as const satisfies readonly (keyof ReplicaObserver)[];

/** Options of {@link createReplicaOtelObserver}. */
export interface ReplicaOtelOptions {
  /** Meter to create instruments on; default `metrics.getMeter('@nori/observability-otel')`. */
  meter?: Meter;
  /** Value of `nori.replica.name` on every metric, 1-128 characters; default `default`. */
  replicaName?: string;
}

/** What {@link ReplicaInstrumentation.attach} needs from a replica: `Replica` satisfies it. */
export interface ReplicaLagSource {
  /** Lag as of the replica's last listing, read on every collection. */
  lag(): Promise<ReplicaLag>;
  /** When `true`, the gauges stop reporting this replica. */
  readonly closed?: boolean;
}

/** Handle returned by {@link ReplicaInstrumentation.attach}; detaching is idempotent. */
export interface ReplicaAttachment extends Disposable {
  /** The attached replica. */
  readonly replica: ReplicaLagSource;
  /** `true` until {@link ReplicaAttachment.detach} is called. */
  readonly attached: boolean;
  /** Unregister the callback of the lag instruments. */
  detach(): void;
}

/** The replica adapter: an observer for `openReplica`, plus lag gauges bound with {@link attach}. */
export interface ReplicaInstrumentation {
  /** Pass as `observer` in the `openReplica` options. */
  readonly observer: ReplicaObserver;
  /** The `nori.replica.name` attribute value. */
  readonly replicaName: string;
  /**
   * Report `replica.lag()` (seconds, chunks, bytes) through the observable instruments on every
   * collection. One replica at a time: attaching again before detaching throws `ERR_ALREADY_ATTACHED`.
   *
   * @param replica - the opened replica
   * @returns a handle whose `detach()` (or `using`) unregisters the callback
   */
  attach(replica: ReplicaLagSource): ReplicaAttachment;
}

const OPTION_KEYS = new Set(['meter', 'replicaName']);
/** Operations a replica retries: store reads, and `follow` for a chunk fetch while following. */
const REPLICA_OPERATIONS: ReadonlySet<string> = new Set(['get', 'head', 'list', 'follow']);
/** Values of `nori.replica.poll.result`. */
const POLL_FOUND_CHUNKS = 'new-chunks';
const POLL_CAUGHT_UP = 'caught-up';
/** Value of a bounded attribute outside its known set. */
const OTHER = 'other';

function instrumentOptions(name: string): MetricOptions {
  return optionsFrom(NORI_REPLICA_METRICS, name);
}

function resolveOptions(options: ReplicaOtelOptions): { meter: Meter; replicaName: string } {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  rejectUnknownOptions(options, OPTION_KEYS);
  const { meter } = options;
  if (meter !== undefined && !hasMethod(meter, 'createCounter')) throw invalid('options.meter must be an OpenTelemetry Meter');
  const replicaName = validateInstanceName('replicaName', options.replicaName ?? 'default');
  return { meter: meter ?? metrics.getMeter(INSTRUMENTATION_SCOPE), replicaName };
}

/**
 * Create the OpenTelemetry adapter for one replica reader: counters fed by its observer events
 * (chunks, records and bytes applied, generation changes, polls, retries) and lag gauges fed by
 * `replica.lag()` once attached. `@nori/archive` is only a type import.
 *
 * @example
 * ```ts
 * const otel = createReplicaOtelObserver({ replicaName: 'orders-eu' });
 * await using replica = openReplica({ store, prefix: 'orders', observer: otel.observer });
 * using _gauges = otel.attach(replica);
 * ```
 *
 * @param options - see {@link ReplicaOtelOptions}
 * @throws {@link NoriOtelError} `ERR_INVALID_OPTIONS` for unknown options or wrong types
 */
export function createReplicaOtelObserver(options: ReplicaOtelOptions = {}): ReplicaInstrumentation {
  const { meter, replicaName } = resolveOptions(options);
  const counter = (name: string) => meter.createCounter(name, instrumentOptions(name));
  const chunks = counter(M.chunks);
  const records = counter(M.records);
  const applySize = counter(M.applySize);
  const generationChanges = counter(M.generationChanges);
  const polls = counter(M.polls);
  const storeRetries = counter(M.storeRetries);

  const base: Attributes = Object.freeze({ [A.name]: replicaName });
  const cached = attributeCache();
  const handlers: Required<ReplicaObserver> = {
    onChunkApplied(e) {
      const attrs = cached(`kind\u0000${e.kind}`, () => ({ ...base, [A.chunkKind]: e.kind }));
      chunks.add(1, attrs);
      applySize.add(e.bytes, attrs);
      if (e.records > 0) records.add(e.records, base);
    },
    onGenerationChanged(e) {
      const reason = generationReasonOf(e.reason);
      const verified = e.verified === true;
      generationChanges.add(
        1,
        cached(`gen\u0000${reason}\u0000${verified}`, () => ({ ...base, [A.generationReason]: reason, [A.generationVerified]: verified })),
      );
    },
    onPoll(e) {
      const result = e.chunks > 0 ? POLL_FOUND_CHUNKS : POLL_CAUGHT_UP;
      polls.add(
        1,
        cached(`poll\u0000${result}`, () => ({ ...base, [A.pollResult]: result })),
      );
    },
    onRetry(e) {
      const operation = REPLICA_OPERATIONS.has(e.op) ? e.op : OTHER;
      const type = outerErrorType(e.error);
      storeRetries.add(
        1,
        cached(`retry\u0000${operation}\u0000${type}`, () => ({ ...base, [A.operation]: operation, [A.errorType]: type })),
      );
    },
  };
  const observer = guardHandlers<ReplicaObserver>(handlers, REPLICA_OBSERVER_METHODS);
  return { observer, replicaName, attach: replicaGauges(meter, replicaName, base) };
}

/** The `attach` function: one batch callback observing the three lag instruments. */
function replicaGauges(meter: Meter, replicaName: string, base: Attributes): (replica: ReplicaLagSource) => ReplicaAttachment {
  const lagDuration = meter.createObservableGauge(M.lagDuration, instrumentOptions(M.lagDuration));
  const lagChunkCount = meter.createObservableUpDownCounter(M.lagChunkCount, instrumentOptions(M.lagChunkCount));
  const lagSize = meter.createObservableUpDownCounter(M.lagSize, instrumentOptions(M.lagSize));
  const observables: Observable[] = [lagDuration, lagChunkCount, lagSize];
  let current: ReplicaAttachment | undefined;

  return (replica) => {
    if (!hasMethod(replica, 'lag')) throw new NoriOtelError('ERR_INVALID_ARGUMENT', 'attach(replica) needs a Replica (an object with lag())');
    if (current?.attached === true) {
      throw new NoriOtelError(
        'ERR_ALREADY_ATTACHED',
        `a replica is already attached to the instrumentation named "${replicaName}"; detach it first or create another instrumentation with its own replicaName`,
      );
    }
    const callback: BatchObservableCallback = async (result) => {
      if (replica.closed === true) return;
      // A store error while reading the newest chunk's header: nothing observed this collection.
      const lag = await Promise.resolve()
        .then(() => replica.lag())
        .catch(() => undefined);
      if (lag === undefined) return;
      result.observe(lagDuration, lag.seconds, base);
      result.observe(lagChunkCount, lag.chunks, base);
      result.observe(lagSize, lag.bytes, base);
    };
    const handle: ReplicaAttachment = Object.assign(registerBatchCallback(meter, callback, observables), { replica });
    current = handle;
    return handle;
  };
}
