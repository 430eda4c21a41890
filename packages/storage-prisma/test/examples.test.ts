/** Runs the files under examples/ (the README's code) against real databases. */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeState } from '@channelcoder/storage-conformance';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { main as openUrlExample } from '../examples/open-url.js';
import { main as postgresExample } from '../examples/postgresql.js';
import { removeIdleSessions } from '../examples/retention.js';
import { main as sqliteExample } from '../examples/sqlite.js';
import { PrismaSessionStorage } from '../src/index.js';
import { postgresDatabase, sqliteDatabase, type TestDatabase, testPool } from './support/databases.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0)) await clean();
});

it('examples/postgresql.ts migrates, saves, loads and lists', async () => {
  const schema = `ex_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  cleanups.push(async () => {
    const admin = testPool(inject('databaseUrl'));
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });
  const { loaded, newest } = await postgresExample(inject('databaseUrl'), schema);
  expect(loaded.revision).toBe(1);
  expect(loaded.messages.map((m) => m.content)).toEqual(['Why was I charged twice?']);
  expect(newest.map((i) => [i.name, i.tags])).toEqual([['support-ticket-42', ['support']]]);
});

it('examples/open-url.ts opens PostgreSQL from a URL with ?schema=, saves and lists', async () => {
  const schema = `ex_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  cleanups.push(async () => {
    const admin = testPool(inject('databaseUrl'));
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });
  const url = new URL(inject('databaseUrl'));
  url.searchParams.set('schema', schema);
  const sessions = await openUrlExample(url.toString());
  expect(sessions.map((s) => s.name)).toEqual(['deploy-bot']);
  // The tables went into the schema the URL named.
  const admin = testPool(inject('databaseUrl'));
  cleanups.push(() => admin.end());
  const { rows } = await admin.query(`SELECT name FROM "${schema}".channelcoder_sessions`);
  expect(rows).toEqual([{ name: 'deploy-bot' }]);
});

it('examples/sqlite.ts works on a new SQLite file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cc-prisma-example-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const sessions = await sqliteExample(`file:${join(dir, 'sessions.db')}`);
  expect(sessions.map((s) => s.name)).toEqual(['nightly-report']);
});

describe.each([
  ['postgresql', () => postgresDatabase(inject('databaseUrl'))],
  ['sqlite', () => sqliteDatabase()],
] as const)('examples/retention.ts on %s', (_kind, open) => {
  it('removes the sessions idle before the cutoff with their messages, and keeps the rest', async () => {
    const db: TestDatabase = await open();
    cleanups.push(() => db.destroy());
    const storage = new PrismaSessionStorage({ prisma: db.prisma });
    const cutoff = new Date(Date.UTC(2026, 5, 1));
    await storage.save(makeState({ messages: 4, lastActive: new Date(Date.UTC(2026, 0, 1)) }), 'stale');
    await storage.save(makeState({ messages: 4, lastActive: new Date(Date.UTC(2026, 8, 1)) }), 'fresh');
    expect(await removeIdleSessions(db.prisma, cutoff)).toBe(1);
    expect((await storage.list()).map((i) => i.name)).toEqual(['fresh']);
    expect(await db.prisma.channelCoderMessage.count({ where: { sessionName: 'stale' } })).toBe(0);
    expect(await db.prisma.channelCoderMessage.count({ where: { sessionName: 'fresh' } })).toBe(4);
  });
});
