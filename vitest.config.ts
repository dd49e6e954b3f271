import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Files share two cores, one PostgreSQL and one Redis; two at a time keeps timings honest.
    maxWorkers: 2,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        // Reviews run against a dedicated cluster with planted problems (scripts/target-cluster.sh).
        test: {
          name: 'analyses',
          include: ['test/integration/analyses/**/*.test.ts'],
          globalSetup: ['test/helpers/target-cluster-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: ['test/integration/analyses/**'],
          globalSetup: ['test/helpers/global-setup.ts'],
          setupFiles: ['test/helpers/isolated-service-db.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
