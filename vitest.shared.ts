import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings: workspace packages resolve to their TypeScript sources through the
 * `@nori/source` export condition, so tests never run against a stale `dist/`.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@nori/source', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@nori/source', 'node', 'import', 'default'] } },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
