import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'e2e',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Each test drives the real claude binary several times.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
