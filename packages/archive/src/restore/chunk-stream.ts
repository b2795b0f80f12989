import type { Chunk } from '../layout/chunk.js';
import { fetchChunk } from '../read/chunk-fetch.js';
import type { ObjectStore } from '../types.js';

/** Chunks fetched ahead of the one being written unless configured. */
export const DEFAULT_PREFETCH = 4;

/** Options of {@link streamChunks}. */
export interface ChunkStreamOptions {
  store: ObjectStore;
  prefix: string;
  fromSeq: number;
  toSeq: number;
  /** Chunks in flight at most (>= 1): memory is bounded by this many chunk objects. */
  prefetch: number;
  signal?: AbortSignal | undefined;
}

/**
 * Yields the verified chunks `fromSeq..toSeq` in seq order, keeping up to `prefetch` reads in
 * flight. Stopping the iteration early (or an error) aborts the reads still in flight.
 */
export async function* streamChunks(options: ChunkStreamOptions): AsyncGenerator<Chunk> {
  const { store, prefix, fromSeq, toSeq, prefetch } = options;
  const controller = new AbortController();
  const stop = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted === true) stop();
  const inFlight: Promise<Chunk>[] = [];
  let next = fromSeq;
  const fill = (): void => {
    while (next <= toSeq && inFlight.length < prefetch) {
      const read = fetchChunk(store, prefix, next++, controller.signal);
      // Rejections are seen when the read is awaited in order; until then they are not unhandled.
      read.catch(() => undefined);
      inFlight.push(read);
    }
  };
  try {
    fill();
    while (inFlight.length > 0) {
      const chunk = await (inFlight.shift() as Promise<Chunk>);
      fill();
      yield chunk;
    }
  } finally {
    controller.abort();
    options.signal?.removeEventListener('abort', stop);
  }
}
