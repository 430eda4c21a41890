/**
 * `openPrismaSessionStorage({ url })`: a ready PrismaSessionStorage from nothing but a database URL, for
 * programs (like the `channelcoder` CLI) that have no PrismaClient of their own. It uses the client this
 * package generated from `schema/channelcoder.prisma` at build time (bundled in dist), connects through
 * `@prisma/adapter-pg` (PostgreSQL) or `@prisma/adapter-libsql` (SQLite), and applies the shipped
 * migrations first unless told not to.
 */
import { createRequire } from 'node:module';
import { StorageUnavailableError } from '@channelcoder/session-core';
import { type DatabaseTarget, isValidSchemaName, PrismaUrlError, parseDatabaseUrl } from './database-url.js';
import { importDriver, loadOrExplain } from './drivers.js';
import { applyMigrations, type MigrationAdapterFactory, type MigrationResult } from './migrations.js';
import { PrismaSessionStorage, type PrismaSessionStorageOptions } from './PrismaSessionStorage.js';
import type { ChannelCoderPrismaClient } from './prisma-models.js';
import { BACKEND, toStorageError } from './storage-errors.js';

export interface OpenPrismaSessionStorageOptions {
  /**
   * `postgresql://user:password@host:5432/db` (also `postgres://`), with Prisma's parameters `schema`,
   * `connection_limit` and `connect_timeout` (seconds); or `file:./sessions.db` for SQLite.
   */
  url: string;
  /** PostgreSQL schema for the tables (created by the migration if missing). Overrides `?schema=`. */
  schema?: string;
  /** Apply the shipped migrations before returning (idempotent; default `true`). */
  migrate?: boolean;
  /** PostgreSQL: connections in the pool (default `connection_limit`, else 10). */
  poolSize?: number;
  /** PostgreSQL: give up connecting after this many milliseconds (default `connect_timeout`, else 5000). */
  connectTimeoutMs?: number;
  /** Passed to PrismaSessionStorage: limits of its interactive transactions. */
  transaction?: PrismaSessionStorageOptions['transaction'];
}

export interface OpenedPrismaSessionStorage {
  storage: PrismaSessionStorage;
  /** What the migration did (`undefined` with `migrate: false`). */
  migration: MigrationResult | undefined;
  /** Disconnects the client this opened; the storage is unusable afterwards. Safe to call twice. */
  close(): Promise<void>;
}

const FEATURE = 'openPrismaSessionStorage';

/** The part of the bundled generated PrismaClient used here. */
interface OwnedClient extends ChannelCoderPrismaClient {
  $disconnect(): Promise<void>;
}
type ClientClass = new (options: { adapter: MigrationAdapterFactory }) => OwnedClient;

/**
 * Opens a PrismaSessionStorage on the database at `url` with the package's own PrismaClient (nothing to
 * generate), after applying the shipped migrations (unless `migrate: false`).
 *
 * @throws PrismaUrlError (an InvalidArgumentError) for a bad or unsupported URL or option;
 * PrismaDriverNotInstalledError naming the packages to install (`@prisma/adapter-pg`,
 * `@prisma/adapter-libsql`, `@prisma/client`); StorageUnavailableError when the database cannot be
 * reached within the connect timeout.
 */
export async function openPrismaSessionStorage(
  options: OpenPrismaSessionStorageOptions,
): Promise<OpenedPrismaSessionStorage> {
  const target = parseDatabaseUrl(options?.url);
  const { factory, migrationFactory, schema, PrismaClient, pool } = await connectors(target, options);
  let migration: MigrationResult | undefined;
  if (options.migrate !== false) {
    migration = await applyMigrations(migrationFactory(), schema === undefined ? {} : { schema });
  }
  const client = new PrismaClient({ adapter: factory });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= client
      .$disconnect()
      // The adapter ends the pool when its client had connected; loads and listings alone never connect
      // it, so the pool is ended here then.
      .then(() => (pool === undefined || pool.ended ? undefined : pool.end()))
      .catch((err: unknown) => {
        throw toStorageError(err, 'close()');
      });
    return closing;
  };
  const storage = new OwnedPrismaSessionStorage(
    {
      prisma: guardedClient(client, () => closing !== undefined),
      ...(options.transaction === undefined ? {} : { transaction: options.transaction }),
      ...(schema === undefined ? {} : { schema }),
    },
    close,
  );
  return { storage, migration, close };
}

/** The storage openPrismaSessionStorage() returns: its `close()` disconnects the client it owns. */
class OwnedPrismaSessionStorage extends PrismaSessionStorage {
  readonly #close: () => Promise<void>;
  constructor(options: PrismaSessionStorageOptions, close: () => Promise<void>) {
    super(options);
    this.#close = close;
  }
  /** Disconnects the client openPrismaSessionStorage() created; the storage is unusable afterwards. */
  override async close(): Promise<void> {
    await this.#close();
  }
}

interface Connectors {
  /** The adapter factory of the storage's client. */
  factory: MigrationAdapterFactory;
  /** A separate factory for the migration run (its connection is released when the run ends). */
  migrationFactory: () => MigrationAdapterFactory;
  schema: string | undefined;
  PrismaClient: ClientClass;
  /** PostgreSQL: the `pg` Pool the storage's client and its own statements run on. */
  pool?: OwnedPool;
}

/** The part of a `pg` Pool used here. */
interface OwnedPool {
  readonly ended: boolean;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** The `pg` module `@prisma/adapter-pg` itself uses (a dependency of it, resolved from it). */
function adapterPg(): { Pool: new (config: object) => OwnedPool } {
  const require = createRequire(import.meta.url);
  return createRequire(require.resolve('@prisma/adapter-pg'))('pg') as {
    Pool: new (config: object) => OwnedPool;
  };
}

async function connectors(
  target: DatabaseTarget,
  options: OpenPrismaSessionStorageOptions,
): Promise<Connectors> {
  if (target.provider === 'postgresql') {
    const schema = options.schema ?? target.schema;
    if (schema !== undefined && !isValidSchemaName(schema)) {
      throw new PrismaUrlError(target.connectionString, `"${schema}" is not a valid schema name`);
    }
    const poolSize = options.poolSize ?? target.poolSize ?? 10;
    if (!(Number.isInteger(poolSize) && poolSize > 0)) {
      throw new PrismaUrlError(target.connectionString, 'poolSize must be a positive integer');
    }
    const connectTimeoutMs = options.connectTimeoutMs ?? target.connectTimeoutMs ?? 5000;
    if (!(Number.isFinite(connectTimeoutMs) && connectTimeoutMs > 0)) {
      throw new PrismaUrlError(target.connectionString, 'connectTimeoutMs must be a positive number');
    }
    const { PrismaPg } = await importDriver<{
      PrismaPg: new (config: object, options?: object) => MigrationAdapterFactory;
    }>(FEATURE, '@prisma/adapter-pg');
    const { PrismaClient } = await loadOrExplain(
      FEATURE,
      ['@prisma/client'],
      () => import('./generated/postgresql/client.js'),
    );
    const poolConfig = (max: number) => ({
      connectionString: target.connectionString,
      max,
      connectionTimeoutMillis: connectTimeoutMs,
      keepAlive: true,
    });
    // Idle connections that die (server restart) are dropped by the pool; calls report failures.
    const adapterOptions = { ...(schema === undefined ? {} : { schema }), onPoolError: () => {} };
    // The migration run: a pool of its own, ended when the run ends.
    const make = (max: number) => new PrismaPg(poolConfig(max), adapterOptions);
    // The storage's client: on a `pg` Pool made here (the adapter's own `pg`, so it is the class the adapter
    // knows), so the storage runs its load and append statements on that pool (see underlyingPool); the
    // adapter ends it when the client disconnects.
    const { Pool } = adapterPg();
    const pool = new Pool(poolConfig(poolSize));
    // An idle connection the server closes (a restart, an administrator) is an `error` event on the pool,
    // which drops that connection; the next call opens a new one or fails with StorageUnavailableError.
    // Without a listener the event would end the process. (The adapter adds its own once its client
    // connects; loads and listings run on the pool before that.)
    pool.on('error', () => {});
    return {
      pool,
      factory: new PrismaPg(pool, { ...adapterOptions, disposeExternalPool: true }),
      migrationFactory: () => make(1),
      schema,
      PrismaClient: PrismaClient as unknown as ClientClass,
    };
  }
  if (options.schema !== undefined) {
    throw new PrismaUrlError(target.url, 'a schema can only be given for PostgreSQL');
  }
  const { PrismaLibSql } = await importDriver<{
    PrismaLibSql: new (config: object) => MigrationAdapterFactory;
  }>(FEATURE, '@prisma/adapter-libsql');
  const { PrismaClient } = await loadOrExplain(
    FEATURE,
    ['@prisma/client'],
    () => import('./generated/sqlite/client.js'),
  );
  return {
    factory: new PrismaLibSql({ url: target.url }),
    migrationFactory: () => new PrismaLibSql({ url: target.url }),
    schema: undefined,
    PrismaClient: PrismaClient as unknown as ClientClass,
  };
}

/**
 * The client as the storage sees it: the same models and `$transaction`, refusing every call once
 * `closed()` (a disconnected Prisma client would otherwise open a new pool on its next query).
 */
function guardedClient(client: OwnedClient, closed: () => boolean): ChannelCoderPrismaClient {
  const open = <T>(value: T): T => {
    if (closed()) {
      throw new StorageUnavailableError(BACKEND, 'a call after close()', new Error('the storage was closed'));
    }
    return value;
  };
  const c = client as unknown as Record<string, unknown> & {
    $transaction: (...args: unknown[]) => unknown;
  };
  return {
    get channelCoderSession() {
      return open(c.channelCoderSession);
    },
    get channelCoderMessage() {
      return open(c.channelCoderMessage);
    },
    get channelCoderTranscriptLine() {
      return open(c.channelCoderTranscriptLine);
    },
    get channelCoderLease() {
      return open(c.channelCoderLease);
    },
    get channelCoderTrash() {
      return open(c.channelCoderTrash);
    },
    get _activeProvider() {
      return c._activeProvider;
    },
    get _runtimeDataModel() {
      return c._runtimeDataModel;
    },
    // The adapter factory (its pg Pool and schema): the storage runs its load and append statements there.
    get _engineConfig() {
      return c._engineConfig;
    },
    $transaction: (...args: unknown[]) => open(c).$transaction(...args),
    $queryRawUnsafe: (...args: unknown[]) =>
      (open(c) as unknown as { $queryRawUnsafe: (...a: unknown[]) => unknown }).$queryRawUnsafe(...args),
  } as ChannelCoderPrismaClient;
}
