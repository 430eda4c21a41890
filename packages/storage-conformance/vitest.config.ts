import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'storage-conformance',
    include: ['test/**/*.test.ts'],
  },
});
