import { ArchiveError } from '../errors.js';
import type { MemoryObjectFault } from '../memory/faults.js';
import type { CorruptOptions, MemoryObjectStoreOptions } from '../memory/store.js';
import type { S3ObjectStoreConfig } from '../s3/config.js';
import type { CallOptions, GetOptions, GetResult, ListOptions, ObjectInfo, ObjectStore, ObjectSummary, PutOptions } from '../types.js';
import { WorkerHost } from './host.js';
import type { WorkerPriority, WorkerStoreSpec } from './protocol.js';

/** Keys fetched per round trip while listing through the worker. */
const LIST_BATCH = 1000;

/** Options of the worker thread of a {@link WorkerObjectStore}. */
export interface WorkerObjectStoreOptions {
  /**
   * `background` (default): the thread runs at a lower priority (Linux: nice +10 for it alone), so
   * on a machine without an idle core the thread that runs the WAL gets the CPU first and the
   * archive lag grows before appends slow down. `normal`: the same priority as the process.
   */
  priority?: WorkerPriority | undefined;
}

const hosts = new WeakMap<ObjectStore, WorkerHost>();

/** The worker behind `store` when it is a {@link WorkerObjectStore} (the archiver ships through it). */
export function workerHostOf(store: ObjectStore): WorkerHost | undefined {
  return hosts.get(store);
}

/** The call options that cross the thread boundary (the signal stays here and aborts by message). */
function plain<T extends CallOptions>(options: T): Omit<T, 'signal'> {
  const { signal: _signal, ...rest } = options;
  return rest;
}

/**
 * An {@link ObjectStore} that lives in a `worker_threads` worker: a `MemoryObjectStore` or an
 * `S3ObjectStore` built there from plain data. Every call is forwarded to it (same results, same
 * `ArchiveError` codes). An `Archiver` given one ships through the worker: reading segment bytes,
 * CRC32C, chunk encoding and the store's I/O run there, and the thread that runs the WAL only
 * decides what to ship and hears back what was archived.
 *
 * The thread keeps the process alive only while a call waits. `close()` (or `await using`)
 * terminates it. If it exits or crashes, every pending and later call rejects with
 * `ERR_WORKER_EXITED` (an archiver shipping through it fails with that error).
 *
 * ```ts
 * await using store = WorkerObjectStore.s3({ bucket: 'wal-archive', endpoint, forcePathStyle: true });
 * const archiver = await Archiver.start(wal, { store, prefix: 'orders' }); // ships in the worker
 * ```
 */
export class WorkerObjectStore implements ObjectStore, AsyncDisposable {
  readonly #host: WorkerHost;
  /** What the worker holds. */
  readonly spec: WorkerStoreSpec;

  private constructor(spec: WorkerStoreSpec, options: WorkerObjectStoreOptions) {
    this.spec = spec;
    this.#host = new WorkerHost({ spec, priority: options.priority ?? 'background' });
    hosts.set(this, this.#host);
  }

  /**
   * A `MemoryObjectStore` in a worker (tests, benchmarks): same options, faults and `corrupt`,
   * its contents read back through this object (`get`, `list`, `keys`).
   */
  static memory(options: MemoryObjectStoreOptions = {}, worker: WorkerObjectStoreOptions = {}): WorkerObjectStore {
    return new WorkerObjectStore({ kind: 'memory', options }, worker);
  }

  /**
   * An `S3ObjectStore` built in the worker from `config`. The config must be plain data: static
   * `credentials` or none (the worker runs the AWS provider chain itself, with this process's
   * environment); not a `client` nor a credentials provider function (`ERR_CONFIG`: use an
   * `S3ObjectStore` on the main thread for those).
   */
  static s3(config: S3ObjectStoreConfig, worker: WorkerObjectStoreOptions = {}): WorkerObjectStore {
    if (config.client !== undefined || typeof config.credentials === 'function') {
      throw new ArchiveError('ERR_CONFIG', 'invalid WorkerObjectStore.s3 config: client and credential provider functions cannot move to a worker thread');
    }
    return new WorkerObjectStore({ kind: 's3', config }, worker);
  }

  /** Resolves once the worker thread has exited (after `close()` or a crash). */
  get exited(): Promise<void> {
    return this.#host.exited;
  }

  put(key: string, bytes: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    return this.#host.request('put', { key, bytes, options: plain(options) }, options.signal);
  }

  get(key: string, options: GetOptions = {}): Promise<GetResult> {
    return this.#host.request('get', { key, options: plain(options) }, options.signal);
  }

  head(key: string, options: CallOptions = {}): Promise<ObjectInfo> {
    return this.#host.request('head', { key }, options.signal);
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<ObjectSummary> {
    let startAfter = options.startAfter;
    for (;;) {
      const page = await this.#host.request<ObjectSummary[]>('list', { prefix, startAfter, limit: LIST_BATCH }, options.signal);
      yield* page;
      if (page.length < LIST_BATCH) return;
      startAfter = page[page.length - 1]?.key;
    }
  }

  delete(key: string, options: CallOptions = {}): Promise<void> {
    return this.#host.request('delete', { key }, options.signal);
  }

  /** Memory stores: arms a fault (see `MemoryObjectStore.injectFault`); in effect for every later call. */
  injectFault(fault: MemoryObjectFault): Promise<void> {
    return this.#host.request('injectFault', { fault });
  }

  /** Memory stores: disarms every fault. */
  clearFaults(): Promise<void> {
    return this.#host.request('clearFaults', {});
  }

  /** Memory stores: flips one bit of a stored object (see `MemoryObjectStore.corrupt`). */
  corrupt(key: string, options: CorruptOptions = {}): Promise<void> {
    return this.#host.request('corrupt', { key, options });
  }

  /** Memory stores: every key, sorted as `list` returns them. */
  keys(): Promise<string[]> {
    return this.#host.request('keys', {});
  }

  /** Terminates the worker thread (a memory store's objects are gone); later calls reject with `ERR_CLOSED`. Idempotent. */
  close(): Promise<void> {
    return this.#host.close();
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
