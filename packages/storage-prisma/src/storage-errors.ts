/**
 * Which Prisma / driver failures mean "the database cannot be reached" (or, for SQLite, is locked by another
 * connection), so they surface as StorageUnavailableError: nothing was changed and the call can be retried. Errors are recognised by name and code, not `instanceof`: the user's generated
 * client may load its own copy of the Prisma runtime.
 */
import { ChannelCoderError, StorageUnavailableError } from '@channelcoder/session-core';

export const BACKEND = 'Prisma';

/** Prisma error codes for an unreachable or lost database connection. */
const PRISMA_CONNECTION_CODES = new Set([
  'P1001', // can't reach database server
  'P1002', // server reached but timed out
  'P1008', // operations timed out
  'P1017', // server closed the connection
  'P2024', // timed out fetching a connection from the pool
]);

/** Socket and PostgreSQL (SQLSTATE) codes for the same situation, as the driver reports them. */
const DRIVER_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'SQLITE_BUSY', // another connection holds the database file's write lock
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up / shutting down)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /is not queryable/i, // pg: a client whose connection failed
  /cannot use a pool after calling end/i, // pg: the Pool under the adapter was ended
  /timeout exceeded when trying to connect/i,
  /can't reach database server/i,
  /server has closed the connection/i,
  /connection (?:is )?closed/i,
  /database system is (?:shutting down|starting up)/i,
  /SQLITE_BUSY|database is locked/,
  /unable to start a transaction in the given time/i,
  /DatabaseNotReachable|ConnectionClosed|SocketTimeout/,
];

function* causeChain(err: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const record = current as Record<string, unknown>;
    yield record;
    current = record.cause ?? (record.meta as Record<string, unknown> | undefined)?.driverAdapterError;
  }
}

/** True when the error (or one of its causes) says the database could not be reached. */
export function isConnectionFailure(err: unknown): boolean {
  for (const e of causeChain(err)) {
    if (e.name === 'PrismaClientInitializationError') return true;
    const code = typeof e.code === 'string' ? e.code : undefined;
    const originalCode = typeof e.originalCode === 'string' ? e.originalCode : undefined;
    const kind = typeof e.kind === 'string' ? e.kind : undefined;
    if (code !== undefined && (PRISMA_CONNECTION_CODES.has(code) || DRIVER_CONNECTION_CODES.has(code)))
      return true;
    if (originalCode !== undefined && DRIVER_CONNECTION_CODES.has(originalCode)) return true;
    if (kind === 'DatabaseNotReachable' || kind === 'ConnectionClosed' || kind === 'SocketTimeout')
      return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (CONNECTION_MESSAGES.some((re) => re.test(message))) return true;
  }
  return false;
}

/** Connection failures become StorageUnavailableError; ChannelCoder errors and everything else pass unchanged. */
export function toStorageError(err: unknown, operation: string): unknown {
  if (ChannelCoderError.is(err)) return err;
  if (isConnectionFailure(err)) return new StorageUnavailableError(BACKEND, operation, err);
  return err;
}

/** True for a unique-constraint violation (two writers created the same row), from Prisma or from `pg` itself. */
export function isUniqueViolation(err: unknown): boolean {
  for (const e of causeChain(err)) {
    if (e.code === 'P2002') return true;
    if (e.code === '23505' && typeof e.severity === 'string') return true; // pg: unique_violation
    if (e.kind === 'UniqueConstraintViolation') return true;
  }
  return false;
}
