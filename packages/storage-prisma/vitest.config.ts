import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'storage-prisma',
    include: ['test/**/*.test.ts'],
  },
});
