import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'channelcoder',
    include: ['test/**/*.test.ts'],
  },
});
