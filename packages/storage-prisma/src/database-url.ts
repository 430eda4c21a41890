/**
 * Database URLs as `migrate()` and `openPrismaSessionStorage()` accept them. Pure (no I/O).
 * - `postgresql://` / `postgres://`: Prisma's PostgreSQL URL parameters `schema`, `connection_limit` and
 *   `connect_timeout` (seconds) are read and removed; the rest (`sslmode`, `application_name`, …) goes to `pg`.
 * - `file:./dev.db` (also `sqlite:` and `libsql:`): SQLite through `@prisma/adapter-libsql`.
 */
import { InvalidArgumentError } from '@channelcoder/session-core';

/** A database URL that cannot be used; nothing was opened. `url` has any password redacted. */
export class PrismaUrlError extends InvalidArgumentError {
  readonly url: string;
  constructor(url: string, problem: string) {
    super(
      `Invalid database URL ${JSON.stringify(redactDatabaseUrl(url))}: ${problem}. Use ` +
        'postgresql://user@host:5432/db[?schema=name] or file:./sessions.db (SQLite).',
    );
    this.url = redactDatabaseUrl(url);
  }
}

export type DatabaseTarget =
  | {
      provider: 'postgresql';
      /** The URL without the parameters read here. */
      connectionString: string;
      schema?: string;
      /** From `connection_limit`. */
      poolSize?: number;
      /** From `connect_timeout` (seconds), in milliseconds. */
      connectTimeoutMs?: number;
    }
  | { provider: 'sqlite'; url: string };

/** The URL with any password replaced by `***`. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

/** Checks a PostgreSQL schema name (the only names the migrations and queries will quote). */
export function isValidSchemaName(name: string): boolean {
  return SCHEMA_NAME.test(name);
}

/**
 * @throws PrismaUrlError for an empty, malformed or unsupported URL, or bad parameter values.
 */
export function parseDatabaseUrl(url: unknown): DatabaseTarget {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new PrismaUrlError(String(url ?? ''), 'it is empty');
  }
  const text = url.trim();
  if (/^postgres(ql)?:\/\//i.test(text)) return postgresTarget(text);
  if (/^(file|sqlite|libsql):/i.test(text)) {
    return { provider: 'sqlite', url: text.replace(/^sqlite:/i, 'file:') };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1];
  throw new PrismaUrlError(
    text,
    scheme === undefined ? 'it has no scheme' : `the scheme "${scheme}:" is not supported`,
  );
}

function postgresTarget(text: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new PrismaUrlError(text, 'it is not a well-formed URL');
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
    throw new PrismaUrlError(text, 'it names no host');
  }
  const target: DatabaseTarget & { provider: 'postgresql' } = {
    provider: 'postgresql',
    connectionString: '',
  };
  const schema = parsed.searchParams.get('schema');
  if (schema !== null) {
    if (!isValidSchemaName(schema)) throw new PrismaUrlError(text, `"${schema}" is not a valid schema name`);
    target.schema = schema;
  }
  const limit = parsed.searchParams.get('connection_limit');
  if (limit !== null) {
    const n = Number(limit);
    if (!(Number.isInteger(n) && n > 0))
      throw new PrismaUrlError(text, 'connection_limit must be a positive integer');
    target.poolSize = n;
  }
  const timeout = parsed.searchParams.get('connect_timeout');
  if (timeout !== null) {
    const seconds = Number(timeout);
    if (!(Number.isFinite(seconds) && seconds > 0)) {
      throw new PrismaUrlError(text, 'connect_timeout must be a positive number of seconds');
    }
    target.connectTimeoutMs = Math.round(seconds * 1000);
  }
  for (const key of ['schema', 'connection_limit', 'connect_timeout']) parsed.searchParams.delete(key);
  target.connectionString = parsed.toString();
  return target;
}
