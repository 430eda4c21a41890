/**
 * Backend faults against a private PostgreSQL server (never the shared one): stopped, crashed mid-traffic,
 * hung. Calls fail with StorageUnavailableError instead of hanging (the pool gives up connecting after
 * `connectionTimeoutMillis`); after a restart the same storage works and every save that resolved is there.
 */

import { StorageUnavailableError } from '@channelcoder/session-core';
import { addMessages, makeState } from '@channelcoder/storage-conformance';
import { type PostgresServer, startPostgresServer } from '@channelcoder/testkit';
import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../generated/client-postgresql/client.js';
import { applyMigrations, PrismaSessionStorage } from '../src/index.js';
import { testPool } from './support/databases.js';

let server: PostgresServer;
let pool: pg.Pool;
let prisma: PrismaClient;
let storage: PrismaSessionStorage;

beforeAll(async () => {
  server = await startPostgresServer({ durable: true });
  pool = testPool(server.url, { connectionTimeoutMillis: 2000 });
  const adapter = new PrismaPg(pool, { onPoolError: () => {} });
  await applyMigrations(adapter);
  prisma = new PrismaClient({ adapter });
  storage = new PrismaSessionStorage({ prisma, transaction: { maxWait: 3000, timeout: 10000 } });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await server?.destroy();
});

async function expectUnavailable(call: Promise<unknown>): Promise<void> {
  const err = await call.then(
    () => new Error('the call resolved while PostgreSQL was down'),
    (e: unknown) => e,
  );
  expect(StorageUnavailableError.is(err), String(err)).toBe(true);
  expect((err as Error).message).toContain('Prisma');
}

describe('PostgreSQL stopped, then restarted', () => {
  it('fails every call with StorageUnavailableError while down, and works again after the restart', async () => {
    const kept = makeState({ messages: 3 });
    await storage.save(kept, 'before-the-outage');
    await server.stop('fast');

    const pending = structuredClone(kept);
    addMessages(pending, 2);
    await expectUnavailable(storage.save(pending, 'before-the-outage'));
    expect(pending.revision).toBe(1);
    await expectUnavailable(storage.load('before-the-outage'));
    await expectUnavailable(storage.list());
    await expectUnavailable(storage.exists('before-the-outage'));
    await expectUnavailable(storage.remove('before-the-outage'));

    await server.start();
    const loaded = await storage.load('before-the-outage');
    expect(loaded.revision).toBe(1);
    expect(loaded.messages).toHaveLength(3);
    await storage.save(pending, 'before-the-outage');
    expect((await storage.load('before-the-outage')).messages).toHaveLength(5);
  });

  it('keeps every save that resolved when the server crashes in the middle of traffic', async () => {
    const states = Array.from({ length: 40 }, () => makeState({ messages: 2 }));
    const resolved = new Map<string, number>();
    const outcomes = Promise.allSettled(
      states.map(async (state, i) => {
        const name = `crash-${i}`;
        for (let round = 0; round < 5; round++) {
          addMessages(state, 1);
          await storage.save(state, name);
          resolved.set(name, state.revision);
        }
      }),
    );
    // Crash (SIGQUIT: no shutdown checkpoint) once some saves have resolved and others are in flight.
    while (resolved.size < 5) await new Promise((r) => setTimeout(r, 5));
    await server.stop('immediate');
    const settled = await outcomes;
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    for (const err of failures) expect(StorageUnavailableError.is(err), String(err)).toBe(true);

    await server.start();
    expect(resolved.size).toBeGreaterThan(0);
    for (const [name, revision] of resolved) {
      const stored = await storage.load(name);
      // A save whose commit reached the server before the crash may have stored one revision more.
      expect(stored.revision).toBeGreaterThanOrEqual(revision);
      expect(stored.messages).toHaveLength(2 + stored.revision);
    }
    const listed = await storage.list({ prefix: 'crash-' });
    expect(listed.every((info) => info.error === undefined)).toBe(true);
  });

  it('gives up on a server that accepts no connections (hung postmaster) instead of waiting forever', async () => {
    const pid = server.pid!;
    const freshPool = testPool(server.url, { connectionTimeoutMillis: 1500 });
    const fresh = new PrismaClient({ adapter: new PrismaPg(freshPool, { onPoolError: () => {} }) });
    process.kill(pid, 'SIGSTOP');
    try {
      const hung = new PrismaSessionStorage({ prisma: fresh, transaction: { maxWait: 2000 } });
      await expectUnavailable(hung.list());
      await expectUnavailable(hung.save(makeState(), 'never-stored'));
    } finally {
      process.kill(pid, 'SIGCONT');
      await fresh.$disconnect();
      await freshPool.end();
    }
    expect(await storage.exists('never-stored')).toBe(false);
  });
});
