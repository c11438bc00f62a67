import { defineConfig } from 'vitest/config';

// `npm run bench` runs the benchmarks that need the TypeScript test doubles through vitest.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench-run.ts'],
    testTimeout: 120000,
    reporters: ['default'],
  },
});
