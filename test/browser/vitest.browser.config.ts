import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The headless-browser check of GraphiQL, kept out of the default `vitest run` (it needs Chromium):
//   npx vitest run --config test/browser/vitest.browser.config.ts
// It shares the integration tests' PostgreSQL setup, so paths are relative to the repository root.
export default defineConfig({
  root: resolve(dirname(fileURLToPath(import.meta.url)), '../..'),
  resolve: {
    // Vite would give src/ graphql's ESM build (index.mjs) while graphql-yoga, loaded by Node, gets the
    // CommonJS one: two GraphQLError classes, so yoga answers the server's own 401 as a masked 500
    // "Unexpected error.". Under Node/tsx both get index.js; make the tests match production.
    alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
  },
  test: {
    name: 'browser',
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
