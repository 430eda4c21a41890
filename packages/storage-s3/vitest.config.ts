import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: {
    // Examples import the package by its published name; tests run them against the source.
    alias: { '@channelcoder/storage-s3': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    name: 'storage-s3',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
