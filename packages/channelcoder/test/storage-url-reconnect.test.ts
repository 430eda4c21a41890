/**
 * A storage opened from a URL survives a backend restart: while the server is down each call fails with
 * the adapter's typed StorageUnavailableError (no hang, no untyped client error), and once it is back the
 * SAME storage object works again without being reopened. Real servers, stopped and started by PID.
 */
import { randomUUID } from 'node:crypto';
import { createSessionState, type SessionStorage, StorageUnavailableError } from '@channelcoder/session-core';
import {
  type PostgresServer,
  type PrivateRedis,
  startPostgresServer,
  startPrivateRedis,
} from '@channelcoder/testkit';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openStorageUrl } from '../src/storage-url/open.js';

vi.setConfig({ testTimeout: 120_000 });

async function roundTrip(storage: SessionStorage, name: string, revision: number): Promise<void> {
  const state = createSessionState({ name });
  state.revision = revision;
  await storage.save(state, name);
  expect((await storage.load(name)).revision).toBe(revision + 1);
}

async function untilBack(storage: SessionStorage, name: string): Promise<number> {
  // The client reconnects on its own schedule; calls fail typed until it has.
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      await storage.load(name);
      return attempts;
    } catch (err) {
      expect(StorageUnavailableError.is(err), String(err)).toBe(true);
      if (attempts > 60) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

describe('Redis storage opened from a URL', () => {
  let redis: PrivateRedis | undefined;
  afterAll(async () => {
    await redis?.destroy();
  });

  it('fails typed while Redis is down and works again after a restart, same object', async () => {
    redis = await startPrivateRedis({ appendOnly: true });
    const opened = await openStorageUrl(`${redis.url}?prefix=reconnect:`, { timeoutMs: 1000 });
    try {
      await roundTrip(opened.storage, 'r', 0);
      await redis.stop();
      const down = await opened.storage.load('r').catch((e: unknown) => e);
      expect(StorageUnavailableError.is(down)).toBe(true);
      // Well past the point where the old client gave up for good (4 reconnect attempts).
      await new Promise((r) => setTimeout(r, 3000));
      await redis.start();
      await untilBack(opened.storage, 'r');
      await roundTrip(opened.storage, 'r', 1);
    } finally {
      await opened.close();
    }
  });
});

describe('PostgreSQL storage opened from a URL', () => {
  let server: PostgresServer | undefined;
  afterAll(async () => {
    await server?.destroy();
  });

  it('fails typed while PostgreSQL is down and works again after a restart, same object', async () => {
    // Durable settings: an immediate stop must not lose the commit made just before it.
    server = await startPostgresServer({ durable: true });
    const url = new URL(server.url);
    url.searchParams.set('schema', `cc_reconnect_${randomUUID().replaceAll('-', '').slice(0, 8)}`);
    const opened = await openStorageUrl(url.toString(), { timeoutMs: 2000 });
    try {
      await roundTrip(opened.storage, 'p', 0);
      await server.stop('immediate');
      const down = await opened.storage.load('p').catch((e: unknown) => e);
      expect(StorageUnavailableError.is(down)).toBe(true);
      await server.start();
      await untilBack(opened.storage, 'p');
      await roundTrip(opened.storage, 'p', 1);
    } finally {
      await opened.close();
    }
  });
});
