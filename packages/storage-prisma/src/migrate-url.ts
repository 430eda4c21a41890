/**
 * `migrate({ url })`: picks the driver adapter from the URL (`postgres(ql)://` → `@prisma/adapter-pg`,
 * `file:` / `libsql:` → `@prisma/adapter-libsql`) and applies the shipped migrations with it.
 */
import { InvalidArgumentError } from '@channelcoder/session-core';
import { parseDatabaseUrl } from './database-url.js';
import { importDriver } from './drivers.js';
import {
  type ApplyMigrationsOptions,
  applyMigrations,
  type MigrationAdapterFactory,
  type MigrationResult,
} from './migrations.js';

export interface MigrateOptions extends ApplyMigrationsOptions {
  /**
   * `postgresql://user@host:5432/db` (a `?schema=name` parameter is honoured as Prisma does) or an SQLite
   * URL `file:./dev.db` (also `libsql://…`).
   */
  url: string;
  /** PostgreSQL: give up connecting after this many milliseconds (default 10000). */
  connectTimeoutMs?: number;
}

const FEATURE = 'channelcoder-prisma migrate';

/**
 * Applies the shipped migrations to the database at `url`; see {@link applyMigrations}.
 *
 * @throws PrismaUrlError (an InvalidArgumentError) for a bad or unsupported URL; PrismaDriverNotInstalledError
 * naming the driver adapter to install; StorageUnavailableError when the database cannot be reached.
 */
export async function migrate(options: MigrateOptions): Promise<MigrationResult> {
  const { url } = options;
  if (typeof url !== 'string' || url.length === 0) {
    throw new InvalidArgumentError(`${FEATURE}: pass the database URL (--url or { url }).`);
  }
  const target = parseDatabaseUrl(url);
  if (target.provider === 'postgresql') {
    const schema = options.schema ?? target.schema;
    const { PrismaPg } = await importDriver<{ PrismaPg: new (config: object) => MigrationAdapterFactory }>(
      FEATURE,
      '@prisma/adapter-pg',
    );
    const factory = new PrismaPg({
      connectionString: target.connectionString,
      connectionTimeoutMillis: options.connectTimeoutMs ?? target.connectTimeoutMs ?? 10_000,
      max: 1,
    });
    return applyMigrations(factory, schema === undefined ? {} : { schema });
  }
  const { PrismaLibSql } = await importDriver<{
    PrismaLibSql: new (config: object) => MigrationAdapterFactory;
  }>(FEATURE, '@prisma/adapter-libsql');
  return applyMigrations(new PrismaLibSql({ url: target.url }), options);
}
