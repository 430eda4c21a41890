import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'session-core',
    include: ['test/**/*.test.ts'],
    // Runner and session tests start processes (a fake CLI, the real claude binary): room for slow CI.
    testTimeout: 30_000,
  },
});
