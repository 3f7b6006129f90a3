import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// graphql must be one copy: vitest would hand src/ the ESM build while graphql-yoga, loaded by Node,
// gets the CommonJS one, and two GraphQLError classes turn expected errors into masked 500s.
const graphql = createRequire(import.meta.url).resolve('graphql');

// Two projects: pure unit tests need nothing; integration tests share one PostgreSQL server
// (embedded unless DATABASE_URL is set), started once by the global setup.
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphql }] },
  test: {
    // Vitest's default on 2 cores is one worker (cores - 1), but the integration files mostly wait on the
    // database, the simulator's delays and sockets: two at a time cut the suite from ~9.3 to ~7 minutes on
    // the 2-core CI machine (all 930 tests passing both ways), keeping CI well under its 30 minutes. Set
    // here, not per project: projects with different worker counts must each be given a group order.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
    ],
  },
});
