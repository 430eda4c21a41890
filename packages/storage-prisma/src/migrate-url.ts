/**
 * `migrate({ url })`: picks the driver adapter from the URL (`postgres(ql)://` → `@prisma/adapter-pg`,
 * `file:` / `libsql:` → `@prisma/adapter-libsql`) and applies the shipped migrations with it.
 */
import { InvalidArgumentError } from '@channelcoder/session-core';
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

/** Applies the shipped migrations to the database at `url`; see {@link applyMigrations}. */
export async function migrate(options: MigrateOptions): Promise<MigrationResult> {
  const { url } = options;
  if (typeof url !== 'string' || url.length === 0) {
    throw new InvalidArgumentError('channelcoder-prisma migrate: pass the database URL (--url or { url }).');
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const parsed = new URL(url);
    const schema = options.schema ?? parsed.searchParams.get('schema') ?? undefined;
    parsed.searchParams.delete('schema');
    const { PrismaPg } = await importAdapter<{ PrismaPg: new (config: object) => MigrationAdapterFactory }>(
      '@prisma/adapter-pg',
      'pg',
    );
    const factory = new PrismaPg({
      connectionString: parsed.toString(),
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      max: 1,
    });
    return applyMigrations(factory, schema === undefined ? {} : { schema });
  }
  if (/^(file:|libsql:|sqlite:)/i.test(url)) {
    const { PrismaLibSql } = await importAdapter<{
      PrismaLibSql: new (config: object) => MigrationAdapterFactory;
    }>('@prisma/adapter-libsql');
    return applyMigrations(new PrismaLibSql({ url: url.replace(/^sqlite:/i, 'file:') }), options);
  }
  throw new InvalidArgumentError(
    `channelcoder-prisma migrate: unsupported URL ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//…@'))}; ` +
      'use postgresql://… or file:… (SQLite).',
  );
}

async function importAdapter<T>(name: string, driver?: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    throw new InvalidArgumentError(
      `channelcoder-prisma migrate needs ${name}${driver ? ` and ${driver}` : ''}: install ` +
        `them (npm install ${name}${driver ? ` ${driver}` : ''}). (${(err as Error).message})`,
    );
  }
}
