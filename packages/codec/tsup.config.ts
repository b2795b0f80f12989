import { defineConfig } from 'tsup';

export default defineConfig({
  // browser.ts: the `browser` export condition (static pure-JS codecs); self-contained, no chunks.
  entry: ['src/index.ts', 'src/browser.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  // import.meta.url (used to locate optional native addons) in the CommonJS build
  shims: true,
});
