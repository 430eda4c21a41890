/**
 * Applies the SQL migrations shipped in `migrations/<provider>/` (Prisma's own folder layout) through a
 * Prisma driver adapter, and records each in `_prisma_migrations` exactly as `prisma migrate deploy`
 * does (checksum = sha256 hex of `migration.sql`), so Prisma's own tooling later sees them as applied.
 * Each migration runs in its own transaction with its record: it is applied completely or not at all.
 * On PostgreSQL a transaction-scoped advisory lock (Prisma's own lock id) keeps two runners apart.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@channelcoder/session-core';
import { toStorageError } from './storage-errors.js';

export type MigrationProvider = 'postgresql' | 'sqlite';

/** The slice of Prisma's `SqlDriverAdapterFactory` (`@prisma/driver-adapter-utils`) the runner uses. */
export interface MigrationAdapterFactory {
  readonly provider: string;
  connect(): Promise<MigrationConnection>;
}

interface SqlArg {
  scalarType: 'string' | 'int';
  arity: 'scalar';
}
interface SqlQuery {
  sql: string;
  args: unknown[];
  argTypes: SqlArg[];
}
interface Queryable {
  queryRaw(query: SqlQuery): Promise<{ columnNames: string[]; rows: unknown[][] }>;
  executeRaw(query: SqlQuery): Promise<number>;
}
interface MigrationTransaction extends Queryable {
  readonly options: { usePhantomQuery: boolean };
  commit(): Promise<void>;
  rollback(): Promise<void>;
}
export interface MigrationConnection extends Queryable {
  startTransaction(): Promise<MigrationTransaction>;
  dispose(): Promise<void>;
}

export interface ApplyMigrationsOptions {
  /** PostgreSQL only: the schema to migrate (created if missing). Default: the connection's search_path. */
  schema?: string;
}

export interface MigrationResult {
  provider: MigrationProvider;
  /** Migrations applied by this run, oldest first. */
  applied: string[];
  /** Migrations that were recorded as applied already. */
  alreadyApplied: string[];
}

export interface ShippedMigration {
  name: string;
  sql: string;
  /** sha256 hex of migration.sql, as Prisma computes it. */
  checksum: string;
}

/** Prisma's advisory lock id for migrations (`prisma migrate` uses the same one). */
const PRISMA_MIGRATE_LOCK = 72707369;

const MIGRATIONS_TABLE_DDL: Record<MigrationProvider, string> = {
  postgresql: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`,
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`,
};

/** The folder holding the shipped migrations of a provider (copy it into your `prisma/migrations`). */
export function migrationsDirectory(provider: MigrationProvider): string {
  return fileURLToPath(new URL(`../migrations/${provider}/`, import.meta.url));
}

/** The shipped migrations of a provider, oldest first. */
export async function readShippedMigrations(provider: MigrationProvider): Promise<ShippedMigration[]> {
  const dir = migrationsDirectory(provider);
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(`${dir}${name}/migration.sql`);
      return {
        name,
        sql: bytes.toString('utf8'),
        checksum: createHash('sha256').update(bytes).digest('hex'),
      };
    }),
  );
}

export function providerOf(adapter: { provider: string }): MigrationProvider {
  if (adapter.provider === 'postgres' || adapter.provider === 'postgresql') return 'postgresql';
  if (adapter.provider === 'sqlite') return 'sqlite';
  throw new InvalidArgumentError(
    `channelcoder-prisma migrate: no migrations ship for provider "${adapter.provider}" (PostgreSQL and SQLite do).`,
  );
}

/**
 * Applies every shipped migration not yet recorded in `_prisma_migrations`; safe to run again (a second
 * run applies nothing). Works with any driver adapter factory: `PrismaPg`, `PrismaLibSql`, PGlite's.
 *
 * @throws StorageUnavailableError when the database cannot be reached; an Error naming the migration
 * when a recorded migration's checksum differs or an earlier attempt failed (as `prisma migrate` does).
 */
export async function applyMigrations(
  adapterFactory: MigrationAdapterFactory,
  options: ApplyMigrationsOptions = {},
): Promise<MigrationResult> {
  const provider = providerOf(adapterFactory);
  if (options.schema !== undefined && provider !== 'postgresql') {
    throw new InvalidArgumentError('channelcoder-prisma migrate: a schema can only be given for PostgreSQL.');
  }
  const migrations = await readShippedMigrations(provider);
  const result: MigrationResult = { provider, applied: [], alreadyApplied: [] };
  let connection: MigrationConnection;
  try {
    connection = await adapterFactory.connect();
  } catch (err) {
    throw toStorageError(err, 'migrate');
  }
  try {
    for (const migration of migrations) {
      const applied = await inTransaction(connection, (tx) => applyOne(tx, provider, migration, options));
      (applied ? result.applied : result.alreadyApplied).push(migration.name);
    }
  } catch (err) {
    throw toStorageError(err, 'migrate');
  } finally {
    await connection.dispose();
  }
  return result;
}

async function applyOne(
  tx: Queryable,
  provider: MigrationProvider,
  migration: ShippedMigration,
  options: ApplyMigrationsOptions,
): Promise<boolean> {
  const p = provider === 'postgresql' ? (i: number) => `$${i}` : () => '?';
  if (provider === 'postgresql') {
    await exec(tx, `SELECT pg_advisory_xact_lock(${PRISMA_MIGRATE_LOCK})`);
    if (options.schema !== undefined) {
      const schema = quoteIdentifier(options.schema);
      await exec(tx, `CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await exec(tx, `SET LOCAL search_path TO ${schema}`);
    }
  }
  await exec(tx, MIGRATIONS_TABLE_DDL[provider]);
  const recorded = await tx.queryRaw({
    sql: `SELECT "checksum", "finished_at" FROM "_prisma_migrations" WHERE "migration_name" = ${p(1)} AND "rolled_back_at" IS NULL`,
    args: [migration.name],
    argTypes: [STRING],
  });
  const [row] = recorded.rows;
  if (row !== undefined) {
    const [checksum, finishedAt] = row;
    if (finishedAt === null) {
      throw new Error(
        `Migration ${migration.name} is recorded as started but not finished in _prisma_migrations. ` +
          'Resolve it as Prisma documents (`prisma migrate resolve`), then run migrate again.',
      );
    }
    if (checksum !== migration.checksum) {
      throw new Error(
        `Migration ${migration.name} was applied with a different checksum than the shipped migration.sql ` +
          `(${String(checksum)} vs ${migration.checksum}): the migration file was modified after it was applied.`,
      );
    }
    return false;
  }
  for (const statement of splitStatements(migration.sql)) await exec(tx, statement);
  // PostgreSQL takes now() from the server; SQLite stores Prisma's timestamps as Unix milliseconds.
  const values =
    provider === 'postgresql' ? '$1, $2, now(), $3, NULL, NULL, now(), 1' : '?, ?, ?, ?, NULL, NULL, ?, 1';
  const id = randomUUID();
  await tx.executeRaw({
    sql:
      'INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "logs", ' +
      `"rolled_back_at", "started_at", "applied_steps_count") VALUES (${values})`,
    args:
      provider === 'postgresql'
        ? [id, migration.checksum, migration.name]
        : [id, migration.checksum, Date.now(), migration.name, Date.now()],
    argTypes: provider === 'postgresql' ? [STRING, STRING, STRING] : [STRING, STRING, INT, STRING, INT],
  });
  return true;
}

const STRING: SqlArg = { scalarType: 'string', arity: 'scalar' };
const INT: SqlArg = { scalarType: 'int', arity: 'scalar' };

function exec(tx: Queryable, sql: string): Promise<number> {
  return tx.executeRaw({ sql, args: [], argTypes: [] });
}

/** Statements of a migration file (ours contain no `;` inside a statement). */
export function splitStatements(sql: string): string[] {
  const text = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  // Statements end at a semicolon outside a $$-quoted function body (a PL/pgSQL body has its own).
  const statements: string[] = [];
  let start = 0;
  let inBody = false;
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith('$$', i)) {
      inBody = !inBody;
      i += 1;
    } else if (text[i] === ';' && !inBody) {
      statements.push(text.slice(start, i));
      start = i + 1;
    }
  }
  statements.push(text.slice(start));
  return statements.map((s) => s.trim()).filter((s) => s.length > 0);
}

function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(name)) {
    throw new InvalidArgumentError(
      `channelcoder-prisma migrate: invalid schema name ${JSON.stringify(name)}`,
    );
  }
  return `"${name}"`;
}

/** Runs `work` in a transaction the way Prisma's engine drives a driver adapter's transaction. */
async function inTransaction<T>(
  connection: MigrationConnection,
  work: (tx: Queryable) => Promise<T>,
): Promise<T> {
  const tx = await connection.startTransaction();
  const phantom = tx.options.usePhantomQuery;
  try {
    const value = await work(tx);
    if (!phantom) await exec(tx, 'COMMIT');
    await tx.commit();
    return value;
  } catch (err) {
    // The original failure is what the caller needs; a ROLLBACK on a broken connection fails too.
    if (!phantom) await exec(tx, 'ROLLBACK').catch(() => 0);
    await tx.rollback();
    throw err;
  }
}
