// The sealed journal's browser benchmark (issue 35), apart from the test suite:
//   TEST_DATABASE_URL=postgres://… npx vitest run --config bench/sealed-journal.vitest.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['bench/sealed-journal.bench.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
