import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start git servers and child processes; the machines have 2 cores.
    testTimeout: 20000,
    hookTimeout: 30000,
  },
});
