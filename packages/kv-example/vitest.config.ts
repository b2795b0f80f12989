import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      // Builds the package and its dependencies once, for the CLI end-to-end tests.
      globalSetup: ['test/global-setup.ts'],
    },
  }),
);
