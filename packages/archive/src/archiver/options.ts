import type { Wal } from '@nori/wal';
import { ArchiveError } from '../errors.js';
import { validatePrefix } from '../keys.js';
import type { ObjectStore } from '../types.js';
import type { ShippingMode } from '../worker/shipper.js';
import type { ArchiverObserver } from './observer.js';

/** Default {@link ArchiverOptions.intervalMs}: ship the durable tail every second. */
export const DEFAULT_INTERVAL_MS = 1000;
/** Default {@link ArchiverOptions.maxBytes}: ship early once 8 MiB are durable but not archived. */
export const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** Default {@link ArchiverOptions.maxChunkBytes}: larger ranges are split at record boundaries. */
export const DEFAULT_MAX_CHUNK_BYTES = 64 * 1024 * 1024;
/** Default {@link RetryOptions.initialDelayMs}. */
export const DEFAULT_RETRY_INITIAL_MS = 100;
/** Default {@link RetryOptions.maxDelayMs}. */
export const DEFAULT_RETRY_MAX_MS = 30_000;

/** Backoff of retried store calls: `initialDelayMs * 2^(attempt-1)`, capped, with full jitter. */
export interface RetryOptions {
  /** First delay (before jitter). Default 100 ms. */
  initialDelayMs?: number;
  /** Cap of the delay. Default 30 s. */
  maxDelayMs?: number;
  /**
   * Uniform random number in [0, 1) for the jitter; inject a seeded one in tests. Default
   * `Math.random`.
   */
  random?: () => number;
}

/** Options of {@link Archiver.start}. */
export interface ArchiverOptions {
  /** Where the archive lives. */
  store: ObjectStore;
  /** Archive prefix inside the store (LAYOUT.md `P`); may be empty. */
  prefix: string;
  /** Ship the durable tail this often. Default 1000 ms. */
  intervalMs?: number;
  /** Ship at once when this many durable bytes wait to be archived. Default 8 MiB. */
  maxBytes?: number;
  /**
   * Largest chunk payload: a longer durable range (a whole sealed segment, a large tail) is cut at
   * record boundaries into several chunks. A single record larger than this is one chunk of its
   * own size. Default 64 MiB.
   */
  maxChunkBytes?: number;
  /**
   * Start a new generation over another primary's archive (fencing it) instead of failing with
   * `ERR_FENCED`. Default false.
   */
  takeover?: boolean;
  /** Retry backoff of store calls. */
  retry?: RetryOptions;
  /** Event hooks (metrics, tracing, logs). */
  observer?: ArchiverObserver;
  /** Aborts `Archiver.start` (`ERR_ABORTED`); the running archiver does not watch it. */
  signal?: AbortSignal;
  /** Clock in milliseconds since the epoch (chunk `createdAt`, lag). Default `Date.now`. */
  now?: () => number;
  /**
   * Which thread does the per-byte work of shipping (segment reads, CRC32C, chunk encoding, the
   * store's I/O). `auto` (default): the worker thread of a `WorkerObjectStore`, else the thread
   * that runs the WAL. `worker`: the store must be a `WorkerObjectStore` (`ERR_INVALID_ARGUMENT`
   * otherwise). `main-thread`: here, even for a `WorkerObjectStore` (every call a round trip).
   */
  shipping?: 'auto' | 'worker' | 'main-thread';
}

/** Options after defaults and validation. */
export interface ResolvedArchiverOptions {
  wal: Wal;
  store: ObjectStore;
  prefix: string;
  intervalMs: number;
  maxBytes: number;
  maxChunkBytes: number;
  takeover: boolean;
  retry: Required<RetryOptions>;
  observer: ArchiverObserver | undefined;
  signal: AbortSignal | undefined;
  now: () => number;
  shipping: ShippingMode;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', `archiver option ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function isStore(value: unknown): value is ObjectStore {
  const store = value as Partial<ObjectStore> | null;
  return typeof store === 'object' && store !== null && typeof store.put === 'function' && typeof store.get === 'function' && typeof store.list === 'function';
}

function shippingMode(value: unknown): ShippingMode {
  if (value === undefined) return 'auto';
  if (value === 'auto' || value === 'worker' || value === 'main-thread') return value;
  throw new ArchiveError('ERR_INVALID_ARGUMENT', `archiver option shipping must be 'auto', 'worker' or 'main-thread', got ${JSON.stringify(value)}`);
}

/** Applies defaults; `ERR_INVALID_ARGUMENT` naming the bad option. */
export function resolveArchiverOptions(wal: Wal, options: ArchiverOptions): ResolvedArchiverOptions {
  const candidate = wal as Partial<Wal> | null | undefined;
  if (typeof candidate?.retain !== 'function' || typeof candidate.segments !== 'function') {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', 'Archiver.start needs an open @nori/wal Wal');
  }
  if (typeof options !== 'object' || options === null) throw new ArchiveError('ERR_INVALID_ARGUMENT', 'archiver options must be an object');
  if (!isStore(options.store)) throw new ArchiveError('ERR_INVALID_ARGUMENT', 'archiver option store must be an ObjectStore');
  if (typeof options.prefix !== 'string') throw new ArchiveError('ERR_INVALID_ARGUMENT', 'archiver option prefix must be a string');
  validatePrefix(options.prefix);
  const retry = options.retry ?? {};
  const initialDelayMs = positiveInteger('retry.initialDelayMs', retry.initialDelayMs, DEFAULT_RETRY_INITIAL_MS);
  const maxDelayMs = positiveInteger('retry.maxDelayMs', retry.maxDelayMs, Math.max(DEFAULT_RETRY_MAX_MS, initialDelayMs));
  if (maxDelayMs < initialDelayMs) throw new ArchiveError('ERR_INVALID_ARGUMENT', 'archiver option retry.maxDelayMs must be >= retry.initialDelayMs');
  return {
    wal,
    store: options.store,
    prefix: options.prefix,
    intervalMs: positiveInteger('intervalMs', options.intervalMs, DEFAULT_INTERVAL_MS),
    maxBytes: positiveInteger('maxBytes', options.maxBytes, DEFAULT_MAX_PENDING_BYTES),
    maxChunkBytes: positiveInteger('maxChunkBytes', options.maxChunkBytes, DEFAULT_MAX_CHUNK_BYTES),
    takeover: options.takeover === true,
    retry: { initialDelayMs, maxDelayMs, random: retry.random ?? Math.random },
    observer: options.observer,
    signal: options.signal,
    now: options.now ?? Date.now,
    shipping: shippingMode(options.shipping),
  };
}
