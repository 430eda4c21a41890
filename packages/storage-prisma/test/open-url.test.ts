/**
 * openPrismaSessionStorage(): a storage from nothing but a URL, through the client this package generates
 * at build time. PostgreSQL on the shared test server (a fresh schema per test), SQLite in a temp file.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSessionState,
  InvalidArgumentError,
  type SessionState,
  StorageUnavailableError,
} from '@channelcoder/session-core';
import { newMessageId } from '@channelcoder/session-core/storage-kit';
import { freePort } from '@channelcoder/testkit';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { importDriver, PrismaDriverNotInstalledError } from '../src/drivers.js';
import { openPrismaSessionStorage, PrismaUrlError } from '../src/index.js';
import { testPool } from './support/databases.js';

const MIGRATIONS = [
  '20261121000000_channelcoder_sessions',
  '20261121010000_channelcoder_transcripts',
  '20261202000000_channelcoder_leases',
  '20261202010000_channelcoder_transcript_uuids',
  '20261202020000_channelcoder_search',
  '20261202030000_channelcoder_search_cost',
  '20261203000000_channelcoder_trash',
  '20261204000000_channelcoder_search_nul',
  '20261205000000_channelcoder_search_fast',
  '20261205010000_channelcoder_project_key',
];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

function schemaName(): string {
  return `open_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** A schema name on the shared server, dropped after the test; `url` selects it with `?schema=`. */
function freshSchema(): { schema: string; url: string } {
  const schema = schemaName();
  const base = inject('databaseUrl');
  cleanups.push(async () => {
    const pool = testPool(base);
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  return { schema, url: url.toString() };
}

async function tablesIn(schema: string): Promise<string[]> {
  const pool = testPool(inject('databaseUrl'));
  try {
    const { rows } = await pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    return rows.map((r) => r.table_name);
  } finally {
    await pool.end();
  }
}

function conversation(name: string): SessionState {
  const state = createSessionState({ name, tags: ['url'] });
  for (const [role, content] of [
    ['user', 'Where is the invoice?'],
    ['assistant', 'In the billing folder.'],
  ] as const) {
    state.messages.push({ id: newMessageId(), role, content, timestamp: new Date(), sessionId: '' });
  }
  return state;
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('openPrismaSessionStorage on PostgreSQL', () => {
  it('opens from a URL, migrates the ?schema= schema, saves, loads, lists and closes', async () => {
    const { schema, url } = freshSchema();
    const opened = await openPrismaSessionStorage({ url });
    cleanups.push(() => opened.close());
    expect(opened.migration?.applied).toEqual(MIGRATIONS);
    expect(await tablesIn(schema)).toEqual([
      '_prisma_migrations',
      'channelcoder_leases',
      'channelcoder_messages',
      'channelcoder_sessions',
      'channelcoder_transcript_lines',
      'channelcoder_trash',
    ]);

    const { storage } = opened;
    await storage.save(conversation('invoice-help'));
    const loaded = await storage.load('invoice-help');
    expect(loaded.messages.map((m) => m.content)).toEqual([
      'Where is the invoice?',
      'In the billing folder.',
    ]);
    expect(loaded.revision).toBe(1);
    expect((await storage.list()).map((s) => [s.name, s.messageCount])).toEqual([['invoice-help', 2]]);
    expect(typeof storage.appendTranscript).toBe('function');
    // Its client runs on a pg Pool the storage reaches, so loads and appends run there as prepared statements.
    const pool = (storage as unknown as { pool?: { ended?: boolean } }).pool;
    expect(pool).toBeDefined();
    await storage.appendTranscript?.('invoice-help', 'c1', [{ type: 'user', uuid: 'u1' }], 0);
    expect(await storage.loadTranscript?.('invoice-help', 'c1')).toEqual([{ type: 'user', uuid: 'u1' }]);

    await opened.close();
    await opened.close();
    expect(pool?.ended).toBe(true);
    // The client is gone: calls fail instead of quietly opening a new pool.
    expect(StorageUnavailableError.is(await errorOf(storage.list()))).toBe(true);
    expect(StorageUnavailableError.is(await errorOf(storage.load('invoice-help')))).toBe(true);
  });

  it('a second open applies nothing and sees what the first stored (storage.close() closes too)', async () => {
    const { url } = freshSchema();
    const first = await openPrismaSessionStorage({ url, poolSize: 2 });
    await first.storage.save(conversation('shared'));
    await first.storage.close();
    expect(StorageUnavailableError.is(await errorOf(first.storage.exists('shared')))).toBe(true);

    const second = await openPrismaSessionStorage({ url });
    cleanups.push(() => second.close());
    expect(second.migration).toEqual({ provider: 'postgresql', applied: [], alreadyApplied: MIGRATIONS });
    expect(await second.storage.exists('shared')).toBe(true);
  });

  it('the schema option overrides ?schema=, and migrate: false leaves the database alone', async () => {
    const { schema: chosen } = freshSchema();
    const { schema: inUrl, url } = freshSchema();
    const opened = await openPrismaSessionStorage({ url, schema: chosen });
    cleanups.push(() => opened.close());
    await opened.storage.save(conversation('in-chosen'));
    expect(await tablesIn(chosen)).toContain('channelcoder_sessions');
    expect(await tablesIn(inUrl)).toEqual([]);

    const unmigrated = await openPrismaSessionStorage({ url, migrate: false });
    cleanups.push(() => unmigrated.close());
    expect(unmigrated.migration).toBeUndefined();
    // No tables in that schema: the call fails (a database error, not "unavailable"), nothing is created.
    const err = await errorOf(unmigrated.storage.list());
    expect(StorageUnavailableError.is(err)).toBe(false);
    expect(await tablesIn(inUrl)).toEqual([]);
  });

  it('fails with StorageUnavailableError when nothing listens at the URL', async () => {
    const url = `postgresql://postgres@127.0.0.1:${await freePort()}/postgres`;
    const err = await errorOf(openPrismaSessionStorage({ url }));
    expect(StorageUnavailableError.is(err)).toBe(true);

    const lazy = await openPrismaSessionStorage({ url, migrate: false });
    cleanups.push(() => lazy.close());
    expect(StorageUnavailableError.is(await errorOf(lazy.storage.list()))).toBe(true);
  });

  it('gives up on a server that accepts connections but never answers, after the connect timeout', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    );
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    // connect_timeout in the URL, as Prisma reads it (seconds).
    const url = `postgresql://postgres@127.0.0.1:${port}/postgres?connect_timeout=1`;
    const err = await errorOf(openPrismaSessionStorage({ url }));
    expect(StorageUnavailableError.is(err), String(err)).toBe(true);
    expect(sockets.size).toBeGreaterThan(0);
  });
});

describe('openPrismaSessionStorage on SQLite (file: URLs)', () => {
  it('opens, migrates, saves, loads, lists and closes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cc-prisma-open-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const url = `file:${join(dir, 'sessions.db')}`;
    const opened = await openPrismaSessionStorage({ url });
    cleanups.push(() => opened.close());
    expect(opened.migration).toEqual({ provider: 'sqlite', applied: MIGRATIONS, alreadyApplied: [] });
    await opened.storage.save(conversation('nightly'));
    expect((await opened.storage.load('nightly')).messages).toHaveLength(2);
    expect((await opened.storage.list()).map((s) => s.name)).toEqual(['nightly']);
    await opened.close();

    const again = await openPrismaSessionStorage({ url });
    cleanups.push(() => again.close());
    expect(again.migration?.applied).toEqual([]);
    expect(await again.storage.exists('nightly')).toBe(true);
  });
});

describe('openPrismaSessionStorage refuses what it cannot open', () => {
  it.each([
    ['an empty URL', { url: '' }, /it is empty/],
    ['an unsupported scheme', { url: 'mysql://root@localhost/app' }, /the scheme "mysql:" is not supported/],
    ['a malformed URL', { url: 'postgresql://[bad' }, /not a well-formed URL/],
    ['a URL without a host', { url: 'postgresql:///db' }, /names no host/],
    ['an invalid ?schema=', { url: 'postgresql://u@h/db?schema=a;drop' }, /not a valid schema name/],
    ['an invalid schema option', { url: 'postgresql://u@h/db', schema: 'x y' }, /not a valid schema name/],
    ['a zero connection_limit', { url: 'postgresql://u@h/db?connection_limit=0' }, /connection_limit/],
    ['a fractional poolSize', { url: 'postgresql://u@h/db', poolSize: 1.5 }, /poolSize/],
    ['a schema for SQLite', { url: 'file:./x.db', schema: 'app' }, /only be given for PostgreSQL/],
  ])('%s: PrismaUrlError (InvalidArgumentError), password redacted', async (_label, options, message) => {
    const err = await errorOf(openPrismaSessionStorage(options));
    expect(err).toBeInstanceOf(PrismaUrlError);
    expect(InvalidArgumentError.is(err)).toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it('never shows the password of a rejected URL', async () => {
    const err = await errorOf(openPrismaSessionStorage({ url: 'postgresql://app:s3cret@db/x?schema=bad;' }));
    expect((err as Error).message).not.toContain('s3cret');
    expect((err as Error).message).toContain('app:***@');
  });

  it('names the package to install when a driver is missing', async () => {
    const err = await errorOf(
      importDriver('openPrismaSessionStorage', '@channelcoder/no-such-driver-adapter'),
    );
    expect(PrismaDriverNotInstalledError.is(err)).toBe(true);
    expect(InvalidArgumentError.is(err)).toBe(true);
    expect((err as PrismaDriverNotInstalledError).packages).toEqual(['@channelcoder/no-such-driver-adapter']);
    expect((err as Error).message).toContain('npm install @channelcoder/no-such-driver-adapter');
  });
});
