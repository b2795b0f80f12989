import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Chunks, so that cli.ts's dynamic import of the commands stays lazy in dist/ (cold start).
  splitting: true,
});
