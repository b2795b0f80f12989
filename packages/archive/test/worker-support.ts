import { afterAll } from 'vitest';
import { WorkerObjectStore, type MemoryObjectStoreOptions } from '../src/index.js';
import type { WorkerHost } from '../src/worker/host.js';
import { workerHostOf } from '../src/worker/store.js';

/** The worker behind a {@link WorkerObjectStore}. */
export function hostOf(store: WorkerObjectStore): WorkerHost {
  const host = workerHostOf(store);
  if (host === undefined) throw new Error('not a WorkerObjectStore');
  return host;
}

/**
 * One worker thread for a whole test file (starting one from the TypeScript sources loads tsx in
 * it and takes a second or two on the busy 2-core machine): `fresh(options)` empties it, as a new
 * `WorkerObjectStore.memory(options)` would be. Closed after the file.
 */
export function sharedWorkerStore(): { fresh: (options?: MemoryObjectStoreOptions) => Promise<WorkerObjectStore> } {
  let store: WorkerObjectStore | undefined;
  afterAll(async () => {
    await store?.close();
  });
  return {
    fresh: async (options = {}) => {
      store ??= WorkerObjectStore.memory();
      await hostOf(store).request('reset', { options });
      return store;
    },
  };
}

/** Resolves true once `promise` settles, false after `ms` (a leak check that cannot hang). */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
