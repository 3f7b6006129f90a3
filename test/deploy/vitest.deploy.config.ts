import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The Dockerfile's steps replayed in a bare folder (npm ci, build, production install, start), kept out of
// the default `vitest run` because it installs packages: npm run test:deploy.
export default defineConfig({
  root: resolve(dirname(fileURLToPath(import.meta.url)), '../..'),
  test: {
    name: 'deploy',
    include: ['test/deploy/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
