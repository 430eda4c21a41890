/**
 * The shipped migrations and their runner: applied once, recorded in `_prisma_migrations` the way
 * `prisma migrate deploy` records them, safe to run again and from two processes at once.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageUnavailableError } from '@channelcoder/session-core';
import { freePort } from '@channelcoder/testkit';
import { PrismaLibSql } from '@prisma/adapter-libsql';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { migrate, migrationsDirectory, readShippedMigrations } from '../src/index.js';
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
  for (const clean of cleanups.splice(0)) await clean();
});

/** A fresh, empty PostgreSQL schema on the shared test server, dropped after the test. */
function freshSchema(): { schema: string; url: string } {
  const schema = `mig_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
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

async function sqliteFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cc-prisma-migrate-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return `file:${join(dir, 'app.db')}`;
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

describe('shipped migrations', () => {
  it.each(['postgresql', 'sqlite'] as const)('ship in Prisma layout for %s', async (provider) => {
    const dir = migrationsDirectory(provider);
    expect(await readFile(join(dir, 'migration_lock.toml'), 'utf8')).toContain(`provider = "${provider}"`);
    const migrations = await readShippedMigrations(provider);
    expect(migrations.map((m) => m.name)).toEqual(MIGRATIONS);
    for (const m of migrations) {
      expect(m.name).toMatch(/^\d{14}_[a-z_]+$/);
      expect(m.checksum).toBe(await sha256(join(dir, m.name, 'migration.sql')));
    }
  });

  it('create every table, column and index the schema snippet maps to', async () => {
    const schema = await readFile(new URL('../schema/channelcoder.prisma', import.meta.url), 'utf8');
    const mapped = [...schema.matchAll(/@@?map\("([^"]+)"\)|map: "([^"]+)"/g)].map((m) => m[1] ?? m[2]);
    const plainFields = [
      'name',
      'revision',
      'head',
      'created',
      'sequence',
      'content',
      'line',
      'entry',
      'token',
      'holder',
    ];
    for (const provider of ['postgresql', 'sqlite'] as const) {
      const sql = (await readShippedMigrations(provider)).map((m) => m.sql).join('\n');
      for (const identifier of [...mapped, ...plainFields]) expect(sql).toContain(`"${identifier}"`);
    }
  });
});

describe('migrate() on PostgreSQL', () => {
  it('applies once, records _prisma_migrations as Prisma does, and applies nothing the second time', async () => {
    const { schema, url } = freshSchema();
    const first = await migrate({ url });
    expect(first).toEqual({ provider: 'postgresql', applied: MIGRATIONS, alreadyApplied: [] });
    const again = await migrate({ url });
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toEqual(MIGRATIONS);

    const pool = testPool(inject('databaseUrl'));
    try {
      const { rows } = await pool.query(
        `SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count, logs
           FROM "${schema}"."_prisma_migrations" ORDER BY migration_name`,
      );
      const expected = [];
      for (const name of MIGRATIONS) {
        expected.push({
          migration_name: name,
          checksum: await sha256(join(migrationsDirectory('postgresql'), name, 'migration.sql')),
          finished_at: expect.any(Date),
          rolled_back_at: null,
          applied_steps_count: 1,
          logs: null,
        });
      }
      expect(rows).toEqual(expected);
      const tables = await pool.query(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        '_prisma_migrations',
        'channelcoder_leases',
        'channelcoder_messages',
        'channelcoder_sessions',
        'channelcoder_transcript_lines',
        'channelcoder_trash',
      ]);
      const index = await pool.query(
        'SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2',
        [schema, 'channelcoder_sessions_listing_idx'],
      );
      expect(index.rows[0]?.indexdef).toContain('(last_active DESC, name)');
    } finally {
      await pool.end();
    }
  });

  it('lets concurrent runners apply each migration exactly once (Prisma advisory lock)', async () => {
    const { url } = freshSchema();
    const results = await Promise.all([migrate({ url }), migrate({ url }), migrate({ url })]);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(MIGRATIONS);
  });

  it('refuses a database where the recorded migration has a different checksum', async () => {
    const { schema, url } = freshSchema();
    await migrate({ url });
    const pool = testPool(inject('databaseUrl'));
    await pool.query(`UPDATE "${schema}"."_prisma_migrations" SET checksum = 'edited'`);
    await pool.end();
    await expect(migrate({ url })).rejects.toThrow(/different checksum/);
  });

  it('fails with StorageUnavailableError when nothing listens at the URL', async () => {
    const url = `postgresql://postgres@127.0.0.1:${await freePort()}/postgres`;
    const err = await migrate({ url, connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(StorageUnavailableError.is(err), String(err)).toBe(true);
  });
});

describe('migrate() on SQLite', () => {
  it('applies once into a new database file and records it', async () => {
    const url = await sqliteFile();
    expect((await migrate({ url })).applied).toEqual(MIGRATIONS);
    expect((await migrate({ url })).applied).toEqual([]);
    const db = await new PrismaLibSql({ url }).connect();
    const query = async (sql: string) => {
      const result = await db.queryRaw({ sql, args: [], argTypes: [] });
      return result.rows.map((row) => Object.fromEntries(result.columnNames.map((c, i) => [c, row[i]])));
    };
    try {
      const recorded = await query(
        'SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY migration_name',
      );
      expect(recorded.map((r) => [r.migration_name, r.checksum])).toEqual(
        (await readShippedMigrations('sqlite')).map((m) => [m.name, m.checksum]),
      );
      expect(recorded[0]?.finished_at).not.toBeNull();
      const tables = await query(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name",
      );
      expect(tables.map((r) => r.name)).toEqual(
        expect.arrayContaining([
          'channelcoder_leases',
          'channelcoder_messages',
          'channelcoder_sessions',
          'channelcoder_sessions_listing_idx',
        ]),
      );
    } finally {
      await db.dispose();
    }
  });
});

describe('channelcoder-prisma migrate (the bin)', () => {
  function io() {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: {} } };
  }

  it('migrates the database given with --url and --schema, then reports it as present', async () => {
    const { schema } = freshSchema();
    const run = io();
    expect(await runCli(['migrate', '--url', inject('databaseUrl'), '--schema', schema], run.io)).toBe(0);
    expect(run.out.join('')).toContain('applied  20261121000000_channelcoder_sessions');
    const rerun = io();
    expect(await runCli(['migrate', '--url', inject('databaseUrl'), '--schema', schema], rerun.io)).toBe(0);
    expect(rerun.out.join('')).toContain(`postgresql: 0 applied, ${MIGRATIONS.length} already applied`);
  });

  it('takes DATABASE_URL when --url is absent (SQLite file URL)', async () => {
    const run = io();
    const code = await runCli(['migrate'], { ...run.io, env: { DATABASE_URL: await sqliteFile() } });
    expect(code).toBe(0);
    expect(run.out.join('')).toContain(`sqlite: ${MIGRATIONS.length} applied`);
  });

  it('prints usage with exit code 2 for a missing command or URL, and 1 for an unsupported URL', async () => {
    const bare = io();
    expect(await runCli([], bare.io)).toBe(2);
    expect(bare.err.join('')).toContain('Usage: channelcoder-prisma migrate');
    expect(await runCli(['migrate'], io().io)).toBe(2);
    const mysql = io();
    expect(await runCli(['migrate', '--url', 'mysql://root@localhost/app'], mysql.io)).toBe(1);
    expect(mysql.err.join('')).toContain('the scheme "mysql:" is not supported');
  });
});
