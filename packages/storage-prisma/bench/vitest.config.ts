import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `pnpm bench`: runs bench/*.bench.ts once against local PostgreSQL (CHANNELCODER_TEST_DATABASE_URL, else a
// private server) and prints the figures. Ratios are measured within one run.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['bench/**/*.bench.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    reporters: ['default'],
  },
});
