/**
 * Generates the test PrismaClients (when their inputs changed) and provides a PostgreSQL URL: CI's
 * CHANNELCODER_TEST_DATABASE_URL when set, else a private server started here and stopped at teardown.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type PostgresServer, startPostgresServer } from '@channelcoder/testkit';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL('../../scripts/generate-clients.mjs', import.meta.url))],
    {
      stdio: 'inherit',
    },
  );
  let server: PostgresServer | undefined;
  let url = process.env.CHANNELCODER_TEST_DATABASE_URL;
  if (!url) {
    server = await startPostgresServer();
    url = server.url;
  }
  project.provide('databaseUrl', url);
  return async () => {
    await server?.destroy();
  };
}
