import { Worker } from 'node:worker_threads';
import type { WorkerBoot } from './protocol.js';

/** True when this module runs from its TypeScript sources (tests, benchmarks), not from `dist/`. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * Starts the archive worker thread. From `dist/` it is `archive-worker.js` beside the bundle;
 * from the sources the worker needs a TypeScript loader of its own (module hooks of the parent
 * are not inherited on Node 20), so it registers tsx, the workspace's dev loader, first.
 */
export function spawnArchiveWorker(boot: WorkerBoot): Worker {
  if (!FROM_SOURCE) return new Worker(new URL('./archive-worker.js', import.meta.url), { workerData: boot });
  const entry = new URL('../archive-worker.ts', import.meta.url).href;
  // Not the parent's `--import tsx` (the bootstrap registers it); its CPU profiling flags, so a
  // profiled benchmark gets the worker's profile too.
  const profiling = process.execArgv.filter((flag) => flag.startsWith('--cpu-prof'));
  return new Worker(new URL('./source-bootstrap.mjs', import.meta.url), {
    workerData: { ...boot, entry },
    execArgv: ['--conditions=@nori/source', ...profiling],
  });
}
