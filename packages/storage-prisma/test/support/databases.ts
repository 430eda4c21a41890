/**
 * Test databases, one fresh and isolated per call: a PostgreSQL schema on the shared server, an SQLite file,
 * or an in-memory PGlite. Each is migrated with the shipped migrations through applyMigrations().
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaLibSql } from '@prisma/adapter-libsql';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient as PgPrismaClient } from '../../generated/client-postgresql/client.js';
import { PrismaClient as SqlitePrismaClient } from '../../generated/client-sqlite/client.js';
import { applyMigrations } from '../../src/migrations.js';

/** A migrated, isolated database with a PrismaClient on it. Both generated clients share this shape. */
export interface TestDatabase {
  readonly label: string;
  readonly prisma: PgPrismaClient;
  /** The URL a second client can open the same database with (PostgreSQL: with its `schema`). */
  readonly url?: string;
  /** PostgreSQL: the schema this database lives in. */
  readonly schema?: string;
  /** SQL statements the client sent, when opened with `{ log: true }` (Prisma query events). */
  readonly queries: string[];
  /** Drops what the database holds and closes every connection. */
  destroy(): Promise<void>;
}

/** Pool settings the tests rely on: a connection attempt gives up after 3 s (see README, production checklist). */
export function testPool(url: string, extra: pg.PoolConfig = {}): pg.Pool {
  return new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 3000, ...extra });
}

export interface OpenOptions {
  /** Record every statement Prisma sends in `queries`. */
  log?: boolean;
}

const QUERY_LOG = { log: [{ emit: 'event' as const, level: 'query' as const }] };

/** Collects Prisma's query events of a client created with QUERY_LOG. */
function recordQueries(prisma: unknown, enabled: boolean | undefined): string[] {
  const queries: string[] = [];
  if (enabled) {
    (prisma as { $on(event: 'query', cb: (e: { query: string }) => void): void }).$on('query', (e) =>
      queries.push(e.query),
    );
  }
  return queries;
}

/**
 * Also records the statements the storage sends on the pool itself (its direct PostgreSQL paths). Prisma's
 * adapter queries the pool too, always with its own `types`; those come as Prisma query events already.
 */
function recordPoolQueries(pool: pg.Pool, queries: string[]): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const config = args[0] as { text?: unknown; types?: unknown } | undefined;
    if (typeof config === 'object' && config !== null && config.types === undefined)
      queries.push(String(config.text));
    return query(...args);
  };
}

export async function postgresDatabase(url: string, options: OpenOptions = {}): Promise<TestDatabase> {
  const schema = `cc_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const pool = testPool(url);
  const adapter = new PrismaPg(pool, { schema, onPoolError: () => {} });
  await applyMigrations(adapter, { schema });
  const prisma = new PgPrismaClient({ adapter, ...(options.log ? QUERY_LOG : {}) });
  const queries = recordQueries(prisma, options.log);
  if (options.log) recordPoolQueries(pool, queries);
  return {
    label: `PostgreSQL schema ${schema}`,
    prisma,
    url,
    schema,
    queries,
    destroy: async () => {
      await prisma.$disconnect();
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

export async function sqliteDatabase(options: OpenOptions = {}): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'cc-prisma-sqlite-'));
  const url = `file:${join(dir, 'sessions.db')}`;
  await applyMigrations(new PrismaLibSql({ url }));
  const prisma = new SqlitePrismaClient({
    adapter: new PrismaLibSql({ url }),
    ...(options.log ? QUERY_LOG : {}),
  });
  return {
    label: `SQLite ${url}`,
    url,
    queries: recordQueries(prisma, options.log),
    // Same models, same delegate API; typed as the PostgreSQL client so helpers take either.
    prisma: prisma as unknown as PgPrismaClient,
    destroy: async () => {
      await prisma.$disconnect();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function pgliteDatabase(): Promise<TestDatabase> {
  const db = new PGlite();
  const adapter = new PrismaPGlite(db);
  await applyMigrations(adapter);
  const prisma = new PgPrismaClient({ adapter });
  return {
    label: 'PGlite (in memory)',
    queries: [],
    prisma,
    destroy: async () => {
      await prisma.$disconnect();
      await db.close();
    },
  };
}
