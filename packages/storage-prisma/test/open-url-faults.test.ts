/**
 * openPrismaSessionStorage() on a private PostgreSQL server (never the shared one) that goes away: the pool
 * the storage owns loses its idle connections, which must neither crash the process (an unhandled pool
 * `error` event) nor break the storage: calls fail with StorageUnavailableError while the server is down and
 * work again after it is back; close() ends every connection, whatever calls the storage made.
 */
import { createSessionState, type SessionState, StorageUnavailableError } from '@channelcoder/session-core';
import { newMessageId } from '@channelcoder/session-core/storage-kit';
import { type PostgresServer, startPostgresServer } from '@channelcoder/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPrismaSessionStorage } from '../src/index.js';

let server: PostgresServer;
let url: string;

beforeAll(async () => {
  server = await startPostgresServer({ durable: true });
  const withSchema = new URL(server.url);
  withSchema.searchParams.set('schema', 'faults');
  url = withSchema.toString();
  // Migrate once; the tests below open with migrate: false, so only the storage's own pool connects.
  const opened = await openPrismaSessionStorage({ url });
  await opened.close();
});

afterAll(async () => {
  await server?.destroy();
});

function conversation(name: string): SessionState {
  const state = createSessionState({ name });
  for (const [role, content] of [
    ['user', 'Where is the invoice?'],
    ['assistant', 'In the billing folder.'],
  ] as const) {
    state.messages.push({ id: newMessageId(), role, content, timestamp: new Date(), sessionId: '' });
  }
  return state;
}

/**
 * The connections other than the asking one that are open to the server's database. Asked on a client of its
 * own whose `end()` resolves once its connection is closed (a pool's `end()` resolves earlier, and the server
 * stopping right after would then end that connection under it).
 */
async function otherConnections(): Promise<number> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}

/** Lets the pool's sockets see the server go (their `error` events fire on the next turns of the loop). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('openPrismaSessionStorage when PostgreSQL goes away', () => {
  it('leaves no connection open after a migrating open and close()', async () => {
    const opened = await openPrismaSessionStorage({ url });
    await opened.close();
    expect(await otherConnections()).toBe(0);
  });

  it('survives idle connections dropped by a stopped server, fails calls while down, works after the restart', async () => {
    const opened = await openPrismaSessionStorage({ url, migrate: false });
    try {
      const kept = conversation('kept');
      await opened.storage.save(kept, 'kept');
      // Loads and listings run on the pool the storage owns: its idle connections stay open.
      expect((await opened.storage.load('kept')).messages).toHaveLength(2);
      expect((await opened.storage.list()).map((info) => info.name)).toEqual(['kept']);
      expect(await otherConnections()).toBeGreaterThan(0);

      await server.stop('fast');
      await settle();
      const down = await opened.storage.load('kept').then(
        () => new Error('the load resolved while PostgreSQL was down'),
        (err: unknown) => err,
      );
      expect(StorageUnavailableError.is(down), String(down)).toBe(true);

      await server.start();
      expect((await opened.storage.load('kept')).messages).toHaveLength(2);
      expect((await opened.storage.list()).map((info) => info.name)).toEqual(['kept']);
    } finally {
      await opened.close();
    }
  });

  it('survives the server going while only loads and listings have run (the client never connected)', async () => {
    const opened = await openPrismaSessionStorage({ url, migrate: false });
    try {
      expect((await opened.storage.load('kept')).messages).toHaveLength(2);
      await opened.storage.list();
      await server.stop('fast');
      await settle();
      await server.start();
      expect((await opened.storage.list()).map((info) => info.name)).toEqual(['kept']);
    } finally {
      await opened.close();
    }
  });

  it('close() ends every connection of a storage that only loaded and listed', async () => {
    const opened = await openPrismaSessionStorage({ url, migrate: false });
    await opened.storage.list();
    await opened.storage.exists('kept');
    await opened.storage.load('kept');
    await opened.close();
    expect(await otherConnections()).toBe(0);
    // Nothing of the closed storage is left to notice the server going.
    await server.stop('fast');
    await settle();
    await server.start();
  });
});
