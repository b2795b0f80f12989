import type { ChunkEvent, RetryEvent } from '../archiver/observer.js';
import type { GenerationReason } from '../layout/index.js';

/** A chunk the replica read, verified and applied (its records were yielded or skipped). */
export interface ChunkAppliedEvent extends ChunkEvent {
  /** Records yielded from it. */
  records: number;
  /** When the primary's archiver cut it (ms since the epoch). */
  createdAt: number;
}

/** The replica moved on to a newer generation. */
export interface GenerationChangedEvent {
  generation: number;
  /** Seq of its generation-start chunk. */
  seq: number;
  parentGeneration: number | null;
  reason: GenerationReason;
  /**
   * `true` once its bytes were found equal to everything the replica had read up to its position;
   * `false` when there was nothing yielded to compare with (it is followed from there).
   */
  verified: boolean;
}

/**
 * Event hooks of a {@link Replica}. Every method is optional; a hook that throws is ignored (one
 * process warning).
 */
export interface ReplicaObserver {
  onChunkApplied?(e: ChunkAppliedEvent): void;
  onGenerationChanged?(e: GenerationChangedEvent): void;
  /** A retryable store error; the replica backs off and retries. */
  onRetry?(e: RetryEvent): void;
  /** A poll found `chunks` new chunks (0: caught up). */
  onPoll?(e: { chunks: number; newestSeq: number | undefined }): void;
}
