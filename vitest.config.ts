import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here: more workers than that only adds contention for PostgreSQL and bcrypt.
    maxWorkers: 2,
    // Files in one worker share its process and module cache: each file importing the whole app
    // again was a third of the suite's time. Every file has its own database (or schema), and
    // test/architecture/shared-workers.test.ts keeps out what would carry over (mocks, env writes).
    isolate: false,
    reporters: ['default'],
  },
});
