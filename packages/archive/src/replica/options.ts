import type { Position } from '@nori/wal';
import { DEFAULT_RETRY_INITIAL_MS, DEFAULT_RETRY_MAX_MS, type RetryOptions } from '../archiver/options.js';
import { ArchiveError } from '../errors.js';
import { validatePrefix } from '../keys.js';
import type { ObjectStore } from '../types.js';
import type { ReplicaObserver } from './observer.js';

/** Default {@link ReplicaOptions.pollIntervalMs}: look for new chunks every second. */
export const DEFAULT_POLL_INTERVAL_MS = 1000;
/** Default {@link ReplicaOptions.prefetch}: chunk reads in flight while catching up. */
export const DEFAULT_REPLICA_PREFETCH = 4;

/**
 * Where a replica stands: just past the last record it yielded, in `generation`. Pass it back as
 * `follow({ from })` to continue without a record yielded twice.
 */
export interface ReplicaPosition extends Position {
  /**
   * The generation the position belongs to. With it, a restart checks that the history it
   * continues is that generation's (or agrees with it); without it, the newest generation is read.
   */
  generation?: number | undefined;
}

/** Options of {@link openReplica}. */
export interface ReplicaOptions {
  /** Where the archive lives. */
  store: ObjectStore;
  /** Archive prefix (LAYOUT.md `P`); may be empty. */
  prefix: string;
  /** How often a caught-up replica lists the store for new chunks. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Chunk reads in flight while catching up (>= 1). Default 4. */
  prefetch?: number;
  /** Backoff of retried store calls (`ERR_UNAVAILABLE`, `ERR_TIMEOUT`): retried forever. */
  retry?: RetryOptions;
  /** Event hooks (metrics, logs). */
  observer?: ReplicaObserver;
  /** Closes the replica when it fires. */
  signal?: AbortSignal;
}

/** Options of {@link Replica.follow}. */
export interface FollowOptions {
  /**
   * First position to yield (a record boundary), e.g. the `next` of the last entry handled. Default:
   * the start of the newest generation's retained log.
   */
  from?: ReplicaPosition;
  /** Ends the iteration cleanly (no error), like `wal.read`'s signal. */
  signal?: AbortSignal;
}

/** Options after defaults and validation. */
export interface ResolvedReplicaOptions {
  store: ObjectStore;
  prefix: string;
  pollIntervalMs: number;
  prefetch: number;
  retry: Required<RetryOptions>;
  observer: ReplicaObserver | undefined;
}

function invalid(message: string): ArchiveError {
  return new ArchiveError('ERR_INVALID_ARGUMENT', message);
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(`replica option ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** Applies defaults; `ERR_INVALID_ARGUMENT` naming the bad option. */
export function resolveReplicaOptions(options: ReplicaOptions): ResolvedReplicaOptions {
  if (typeof options !== 'object' || options === null) throw invalid('replica options must be an object');
  const store = options.store as Partial<ObjectStore> | undefined;
  if (typeof store?.get !== 'function' || typeof store.list !== 'function') throw invalid('replica option store must be an ObjectStore');
  if (typeof options.prefix !== 'string') throw invalid('replica option prefix must be a string');
  validatePrefix(options.prefix);
  const retry = options.retry ?? {};
  const initialDelayMs = positiveInteger('retry.initialDelayMs', retry.initialDelayMs, DEFAULT_RETRY_INITIAL_MS);
  const maxDelayMs = positiveInteger('retry.maxDelayMs', retry.maxDelayMs, Math.max(DEFAULT_RETRY_MAX_MS, initialDelayMs));
  if (maxDelayMs < initialDelayMs) throw invalid('replica option retry.maxDelayMs must be >= retry.initialDelayMs');
  return {
    store: options.store,
    prefix: options.prefix,
    pollIntervalMs: positiveInteger('pollIntervalMs', options.pollIntervalMs, DEFAULT_POLL_INTERVAL_MS),
    prefetch: positiveInteger('prefetch', options.prefetch, DEFAULT_REPLICA_PREFETCH),
    retry: { initialDelayMs, maxDelayMs, random: retry.random ?? Math.random },
    observer: options.observer,
  };
}

/** Checks a `from` position; `ERR_INVALID_ARGUMENT` when it is not one. */
export function checkFrom(from: ReplicaPosition | undefined): void {
  if (from === undefined) return;
  const ok = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
  if (typeof from !== 'object' || from === null || !ok(from.segmentId) || !ok(from.offset))
    throw invalid('follow option from must be { segmentId, offset, generation? }');
  if (from.generation !== undefined && !(ok(from.generation) && from.generation >= 1))
    throw invalid('follow option from.generation must be a positive integer');
}
