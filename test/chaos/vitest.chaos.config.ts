import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// Same single copy of graphql as the main config (see vitest.config.ts).
const graphql = createRequire(import.meta.url).resolve('graphql');

// The crash trials: their own run (a CI step of their own), one file, trials one after another.
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphql }] },
  test: {
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
