import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: {
    // examples/ import the package by its published name; in tests that is this package's source.
    alias: { '@channelcoder/storage-redis': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    name: 'storage-redis',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
