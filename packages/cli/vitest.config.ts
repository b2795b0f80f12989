import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      // The end-to-end tests spawn the built binary; build it (and its dependencies) first.
      globalSetup: ['test/global-setup.ts'],
    },
  }),
);
