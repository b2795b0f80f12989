import type { GenerationReason } from '../layout/index.js';

/** Which chunk an archiver or replica event is about. */
export interface ChunkEvent {
  key: string;
  seq: number;
  generation: number;
  kind: 'data' | 'generation-start';
  /** Data chunks: the segment and offset of the payload (generation-start: 0, 0). */
  segmentId: number;
  offset: number;
  /** Payload bytes. */
  bytes: number;
}

/** A chunk the archiver created (its put succeeded, or a lost response was resolved as ours). */
export interface ChunkShippedEvent extends ChunkEvent {
  /** Attempts it took (1 = no retry). */
  attempts: number;
  /** From the first attempt to the acknowledged put. */
  durationMs: number;
}

/** A retryable store failure; the call is retried after `delayMs`. */
export interface RetryEvent {
  /** The store operation that failed (`put`, `get`, `list`...). */
  op: string;
  key: string | undefined;
  /** The failed attempt (1-based). */
  attempt: number;
  delayMs: number;
  error: Error;
}

/** A remote-durable call settled: how long the caller waited for its records to be in the store. */
export interface RemoteDurableEvent {
  /** The archiver method: `append`, `appendBatch` or `waitArchived`. */
  op: 'append' | 'appendBatch' | 'waitArchived';
  /** Records the call covered (1 for `append` and `waitArchived`). */
  records: number;
  /** From the call to its settlement: WAL append and fsync, shipping, and waiting for a shared PUT. */
  durationMs: number;
  /** `false` when it rejected (fenced, failed, closed, aborted, bad argument, WAL error). */
  ok: boolean;
}

/**
 * Event hooks of an {@link Archiver}, shaped for metrics and tracing (OpenTelemetry later).
 * Every method is optional; a hook that throws is ignored (one process warning).
 */
export interface ArchiverObserver {
  /** A generation started (new log, diverged local log, or takeover). */
  onGenerationStarted?(e: { generation: number; startSeq: number; parentGeneration: number | null; reason: GenerationReason }): void;
  /** The archiver resumed its own generation after a restart. */
  onGenerationResumed?(e: { generation: number; nextSeq: number }): void;
  /** A chunk was created in the store. */
  onChunkShipped?(e: ChunkShippedEvent): void;
  /** A retryable store error; shipping backs off and retries (the WAL keeps appending). */
  onRetry?(e: RetryEvent): void;
  /** A non-retryable error stopped the archiver (it is now `failed`). */
  onError?(e: { error: Error }): void;
  /** Another writer took the prefix: the archiver stopped for good with `ERR_FENCED`. */
  onFenced?(e: { error: Error; key: string | undefined }): void;
  /** A remote-durable `append`, `appendBatch` or `waitArchived` resolved or rejected. */
  onRemoteDurable?(e: RemoteDurableEvent): void;
}

const warned = new WeakSet<object>();

/** The event argument of hook `K` of observer type `O`. */
type EventOf<O, K extends keyof O> = Required<O>[K] extends (event: infer E) => void ? E : never;

/**
 * Calls hook `name` of `observer` (an archiver's, a replica's...) with `event`, isolated: a
 * throwing hook never breaks shipping or following.
 */
export function emit<O extends object, K extends keyof O & string>(observer: O | undefined, name: K, event: EventOf<O, K>): void {
  const fn = observer?.[name] as ((event: unknown) => void) | undefined;
  if (observer === undefined || typeof fn !== 'function') return;
  try {
    fn.call(observer, event);
  } catch (error) {
    if (!warned.has(observer)) {
      warned.add(observer);
      process.emitWarning(`@nori/archive observer ${name} threw (ignored): ${String(error)}`, 'NoriArchiveObserverWarning');
    }
  }
}
