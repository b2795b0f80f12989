import { NodeFileStorage, type Storage } from '@nori/storage';
import type { CreatedChunk } from '../archiver/chunk-writer.js';
import { withRetry, type RetryContext } from '../archiver/retry.js';
import { MainThreadShipper, readRangeChunk, type ChunkRange, type ChunkShipper } from '../archiver/shipper.js';
import { chunkKey } from '../layout/index.js';
import { ArchiveError } from '../errors.js';
import type { ObjectStore } from '../types.js';
import type { WorkerHost } from './host.js';
import { workerHostOf } from './store.js';
import type { ShipArgs } from './protocol.js';

/**
 * Ships through an archive worker: the worker reads the segment bytes (from the WAL directory, a
 * `NodeFileStorage` root), computes the CRCs, encodes the chunk and creates it, one attempt per
 * request; retries with backoff stay here, so `onRetry`, jitter and the stop signal behave as on
 * the main thread. A WAL on another storage (e.g. `MemoryStorage`) cannot be opened by the worker:
 * its bytes are read here and copied over.
 */
export class WorkerShipper implements ChunkShipper {
  readonly mode = 'worker';
  readonly #root: string | undefined;

  constructor(
    private readonly host: WorkerHost,
    private readonly storage: Storage,
  ) {
    this.#root = storage instanceof NodeFileStorage ? storage.root : undefined;
  }

  async ship(range: ChunkRange, context: RetryContext): Promise<CreatedChunk> {
    const key = chunkKey(range.prefix, range.seq);
    const started = performance.now();
    const payload = this.#root === undefined ? await readRangeChunk(this.storage, range) : undefined;
    const args: ShipArgs = { range, root: this.#root, payload };
    let attempts = 0;
    const bytes = await withRetry(context, 'put', key, (attempt) => {
      attempts = attempt;
      return this.host.request<number>('ship', args, context.signal);
    });
    return { key, bytes, attempts, durationMs: performance.now() - started };
  }

  onFailure(listener: (error: ArchiveError) => void): () => void {
    return this.host.onExit(listener);
  }
}

/** Where an archiver ships: `auto` ships in the worker of a `WorkerObjectStore`, on the main thread otherwise. */
export type ShippingMode = 'auto' | 'worker' | 'main-thread';

/**
 * The shipper for `store`: a {@link WorkerShipper} when the store lives in a worker (unless
 * `main-thread` is asked for), else a {@link MainThreadShipper}. `worker` with a store that has no
 * worker is `ERR_INVALID_ARGUMENT`.
 */
export function chooseShipper(mode: ShippingMode, store: ObjectStore, storage: Storage): ChunkShipper {
  const host = workerHostOf(store);
  if (host === undefined && mode === 'worker') {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', "archiver option shipping: 'worker' needs a WorkerObjectStore (e.g. WorkerObjectStore.s3(config))");
  }
  return host !== undefined && mode !== 'main-thread' ? new WorkerShipper(host, storage) : new MainThreadShipper(storage, store);
}
