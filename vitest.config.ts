import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          setupFiles: ['test/helpers/isolated-service-db.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Files share two cores, one PostgreSQL and one Redis; two at a time keeps timings honest.
          maxWorkers: 2,
        },
      },
    ],
  },
});
