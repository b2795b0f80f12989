import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// The shared `module` condition makes Node load OpenTelemetry's bundler-only `build/esm` (its
// imports have no file extensions); resolve OTel through its Node entry points instead.
const conditions = ['@nori/source', 'import', 'node', 'default'];
const merged = mergeConfig(sharedConfig, defineConfig({}));

export default defineConfig({
  ...merged,
  resolve: { ...merged.resolve, conditions },
  ssr: { ...merged.ssr, resolve: { ...merged.ssr?.resolve, conditions, externalConditions: conditions } },
});
