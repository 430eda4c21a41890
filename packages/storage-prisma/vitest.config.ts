import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  // Examples import the package by its name, as a user would; tests run them against the source.
  resolve: {
    alias: { '@channelcoder/storage-prisma': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    name: 'storage-prisma',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
