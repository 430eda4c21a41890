import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'storage-file',
    include: ['test/**/*.test.ts'],
  },
});
