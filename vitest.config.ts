import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Test files share a worker's module graph instead of importing Fastify, TypeBox, the phone
    // tables and the sources again for every file: that import was most of the suite's time on two
    // cores (test/http + test/services under load: 264 s → 124 s wall, CPU 65 s → 28 s). Safe
    // because no test mocks modules or changes globals; each file opens its own harness and store.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only add contention on the shared PostgreSQL.
    maxWorkers: 2,
  },
});
