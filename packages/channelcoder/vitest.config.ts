import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'channelcoder',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
