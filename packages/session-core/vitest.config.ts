import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'session-core',
    include: ['test/**/*.test.ts'],
  },
});
