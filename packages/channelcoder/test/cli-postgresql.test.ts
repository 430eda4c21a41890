/**
 * `--storage postgresql://…` end to end: the built `channelcoder` executable, the real `claude` CLI, the mock
 * Anthropic API, and PostgreSQL through @channelcoder/storage-prisma's openPrismaSessionStorage (its bundled
 * PrismaClient, migrations applied on open). CI's server (CHANNELCODER_TEST_DATABASE_URL) when set, else a
 * private one started with @channelcoder/storage-prisma's test support; each run uses a schema of its own.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openPrismaSessionStorage } from '@channelcoder/storage-prisma';
import { freePort, type PostgresServer, startPostgresServer } from '@channelcoder/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

describe('channelcoder CLI on PostgreSQL (--storage postgresql://…?schema=…)', () => {
  let world: CliWorld;
  let server: PostgresServer | undefined;
  let url: string;
  const schema = `cc_cli_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

  beforeAll(async () => {
    let base = process.env.CHANNELCODER_TEST_DATABASE_URL;
    if (!base) {
      server = await startPostgresServer();
      base = server.url;
    }
    const withSchema = new URL(base);
    withSchema.searchParams.set('schema', schema);
    url = withSchema.toString();
    world = await startCliWorld();
  });
  afterAll(async () => {
    if (url && !server) {
      // On the shared server: remove what this run stored (the empty schema stays until the server goes).
      for (const name of ['pg-project'])
        await world?.cli(['session', 'remove', name, '--yes', '--storage', url]);
    }
    await world?.close();
    await server?.destroy();
  });

  it('run --session stores the session in PostgreSQL; session list shows it; --load-session continues it', async () => {
    const started = await world.cli(['run', 'Start project', '--session', 'pg-project', '--storage', url]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toBe('turn 1: Start project\n');
    expect(started.stderr).toBe('');
    // Nothing went to the default file storage.
    expect(existsSync(join(world.channelcoderHome, 'sessions', 'pg-project'))).toBe(false);

    const table = await world.cli(['session', 'list', '--storage', url]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+MESSAGES\s+LAST ACTIVE\s+COST\s+CLAUDE SESSION$/);
    expect(lines.find((line) => line.startsWith('pg-project '))).toMatch(/^pg-project\s+2\s+just now\s+\$/);

    const continued = await world.cli([
      'run',
      '-p',
      'Next step',
      '--load-session',
      'pg-project',
      '--storage',
      url,
    ]);
    expect(continued.code, continued.stderr).toBe(0);
    const listed = JSON.parse(
      (await world.cli(['session', 'list', '--json', '--storage', url])).stdout,
    ) as Array<{
      name: string;
      messageCount: number;
    }>;
    expect(listed.map((s) => [s.name, s.messageCount])).toEqual([['pg-project', 4]]);

    // Read back from PostgreSQL directly, in the schema the URL named.
    const opened = await openPrismaSessionStorage({ url, migrate: false });
    try {
      const state = await opened.storage.load('pg-project');
      expect(state.messages.map((m) => m.content)).toEqual([
        'Start project',
        'turn 1: Start project',
        'Next step',
        'turn 2: Next step',
      ]);
    } finally {
      await opened.close();
    }
  });

  it('a bad PostgreSQL URL is a usage error (2); an unreachable server a storage error (3)', async () => {
    const bad = await world.cli(['session', 'list', '--storage', 'postgresql://u@127.0.0.1/db?schema=a;b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a valid schema name');

    const down = `postgresql://postgres@127.0.0.1:${await freePort()}/postgres`;
    const unreachable = await world.cli(['session', 'list', '--storage', down]);
    expect(unreachable.code, unreachable.stderr).toBe(3);
    expect(unreachable.stderr).toContain('unavailable');
  });
});
