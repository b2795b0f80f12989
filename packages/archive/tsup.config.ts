import { defineConfig } from 'tsup';

export default defineConfig({
  // archive-worker: the worker thread's entry, loaded by URL beside the bundle (src/worker/spawn.ts).
  entry: ['src/index.ts', 'src/conformance.ts', 'src/archive-worker.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
});
