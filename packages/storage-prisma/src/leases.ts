/**
 * The optional lease capability (DESIGN 10): one row per session name in `channelcoder_leases` (model
 * `ChannelCoderLease`: `name`, `token`, `holder`, `expires_at`). Every change is one conditional statement
 * on that row, timed by the database's clock, so the writers' own clocks never matter. The storage reads the
 * database's clock once a minute (`DatabaseClock`) and keeps its offset to the local one, so a lease call is
 * one round trip, not two:
 * - acquire: `UPDATE … SET token = token + 1, holder, expires_at = now + ttl WHERE name = ? AND
 *   expires_at <= now RETURNING token, expires_at` (`updateManyAndReturn`); the first lease of a name is an
 *   INSERT whose duplicate key means another holder inserted it first.
 * - renew: `UPDATE … SET expires_at = now + ttl WHERE name = ? AND token = ? AND expires_at > now`.
 * - release: `UPDATE … SET expires_at = epoch WHERE name = ? AND token = ?` (the row and its token stay, so
 *   tokens keep growing after a release or a remove()).
 * - fenced writes: the same conditional UPDATE as renew's WHERE (changing nothing) as the first write of the
 *   save's or append's transaction: it refuses a lost lease, and it locks the row until the transaction ends,
 *   so the next holder's acquire waits for this write to commit and can never interleave with it.
 *
 * Available on PostgreSQL, CockroachDB and SQLite (the providers with `updateManyAndReturn`).
 */
import {
  InvalidArgumentError,
  LeaseLostError,
  type LeaseOptions,
  type SessionLease,
  type WriteOptions,
} from '@channelcoder/session-core';
import {
  acquireLease,
  createLeaseHandle,
  fencingToken,
  type LeaseAttempt,
  readLeaseOptions,
} from '@channelcoder/session-core/storage-kit';
import type { ModelClient } from './prisma-models.js';
import { isUniqueViolation, toStorageError } from './storage-errors.js';

/** A row of `channelcoder_leases`. */
export interface LeaseRow {
  name: string;
  token: number;
  holder: string;
  expiresAt: Date;
}

/** The calls made on `prisma.channelCoderLease`. */
export interface LeaseDelegate {
  findUnique(args: {
    where: { name: string };
    select?: Record<string, boolean>;
  }): Promise<Partial<LeaseRow> | null>;
  create(args: { data: LeaseRow; select?: Record<string, boolean> }): Promise<Partial<LeaseRow>>;
  updateMany(args: { where: Record<string, unknown>; data: Record<string, unknown> }): Promise<{
    count: number;
  }>;
  updateManyAndReturn(args: {
    where: Record<string, unknown>;
    data: Record<string, unknown>;
    select?: Record<string, boolean>;
  }): Promise<Partial<LeaseRow>[]>;
}

/** A client (or transaction client) with the lease model and raw queries. */
export type LeaseClient = ModelClient & {
  channelCoderLease: LeaseDelegate;
  $queryRawUnsafe<T = unknown>(query: string): Promise<T>;
};

/** The database's clock in milliseconds since the epoch, per provider (no table involved). */
const CLOCK_QUERIES: Record<string, string> = {
  postgresql: 'SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::float8 AS "ms"',
  postgres: 'SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::float8 AS "ms"',
  cockroachdb: 'SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::float8 AS "ms"',
  sqlite: `SELECT (julianday('now') - 2440587.5) * 86400000.0 AS "ms"`,
};

/** The clock query for the client's provider when it has the lease model, else undefined (no capability). */
export function leaseClockQuery(prisma: object, provider: unknown): string | undefined {
  const delegate = (prisma as { channelCoderLease?: { updateManyAndReturn?: unknown } }).channelCoderLease;
  if (typeof delegate !== 'object' || delegate === null) return undefined;
  if (typeof delegate.updateManyAndReturn !== 'function') return undefined;
  if (typeof (prisma as { $queryRawUnsafe?: unknown }).$queryRawUnsafe !== 'function') return undefined;
  return typeof provider === 'string' ? CLOCK_QUERIES[provider] : undefined;
}

/** How long an offset between the database's clock and the local one is trusted before it is read again. */
const CLOCK_REFRESH_MS = 60_000;

/**
 * The database's clock, as an offset to the local clock measured with one query (at the midpoint of its
 * round trip) and refreshed every minute: its error is at most half a round trip plus a minute's drift.
 */
export class DatabaseClock {
  private offset: number | undefined;
  private readAt = 0;
  constructor(readonly query: string) {}

  /** The database's current time; `client` runs the query when the offset is due (a transaction's own). */
  async now(client: LeaseClient): Promise<Date> {
    if (this.offset === undefined || Date.now() - this.readAt > CLOCK_REFRESH_MS) {
      const sent = Date.now();
      const rows = await client.$queryRawUnsafe<{ ms: unknown }[]>(this.query);
      const received = Date.now();
      const ms = Number(rows[0]?.ms);
      if (!Number.isFinite(ms)) throw new Error(`the database clock query returned ${String(rows[0]?.ms)}`);
      this.offset = ms - (sent + received) / 2;
      this.readAt = received;
    }
    return new Date(Math.round(Date.now() + this.offset));
  }
}

const EPOCH = new Date(0);

/** Takes the lease of `name` (see the module comment). */
export function takeLease(
  client: LeaseClient,
  clock: DatabaseClock,
  name: string,
  options: LeaseOptions | undefined,
): Promise<SessionLease> {
  const { ttlMs, holder, waitMs, signal } = readLeaseOptions(options);
  const leases = client.channelCoderLease;
  const fail = (err: unknown, what: string) => toStorageError(err, `${what}("${name}")`);

  const attempt = async (): Promise<LeaseAttempt<SessionLease>> => {
    try {
      for (;;) {
        const now = await clock.now(client);
        const until = new Date(now.getTime() + ttlMs);
        const [taken] = await leases.updateManyAndReturn({
          where: { name, expiresAt: { lte: now } },
          data: { token: { increment: 1 }, holder, expiresAt: until },
          select: { token: true, expiresAt: true },
        });
        if (taken !== undefined) return { acquired: handle(Number(taken.token), until) };
        const current = await leases.findUnique({
          where: { name },
          select: { holder: true, expiresAt: true },
        });
        if (current === null) {
          try {
            await leases.create({
              data: { name, token: 1, holder, expiresAt: until },
              select: { name: true },
            });
            return { acquired: handle(1, until) };
          } catch (err) {
            if (isUniqueViolation(err)) continue; // another holder inserted the row first: look again
            throw err;
          }
        }
        const expiresAt = current.expiresAt ?? EPOCH;
        // Released or expired between the update and this read: try again at once.
        if (expiresAt.getTime() <= now.getTime()) continue;
        return { busy: { holder: current.holder ?? 'unknown', expiresAt } };
      }
    } catch (err) {
      throw fail(err, 'lease');
    }
  };

  const handle = (token: number, expiresAt: Date): SessionLease =>
    createLeaseHandle({
      name,
      token,
      holder,
      expiresAt,
      ttlMs,
      renew: async (ms) => {
        let count: number;
        let until: Date;
        try {
          const now = await clock.now(client);
          until = new Date(now.getTime() + ms);
          ({ count } = await leases.updateMany({
            where: { name, token, expiresAt: { gt: now } },
            data: { expiresAt: until },
          }));
        } catch (err) {
          throw fail(err, 'renew');
        }
        if (count !== 1) throw new LeaseLostError(name, token);
        return until;
      },
      release: async () => {
        try {
          await leases.updateMany({ where: { name, token }, data: { expiresAt: EPOCH } });
        } catch (err) {
          throw fail(err, 'release');
        }
      },
    });

  return acquireLease(name, { waitMs, ...(signal ? { signal } : {}) }, attempt);
}

/**
 * Inside a write's transaction: refuses the write unless `options.lease` is the current, unexpired lease of
 * `name`, and locks the lease row until the transaction ends. No-op without a lease.
 *
 * @throws LeaseLostError (also for the lease of another session); InvalidArgumentError on a storage without
 *   leases.
 */
export async function checkLeaseInTransaction(
  tx: ModelClient,
  clock: DatabaseClock | undefined,
  name: string,
  options: WriteOptions | undefined,
): Promise<void> {
  const lease = options?.lease;
  if (lease === undefined) return;
  if (clock === undefined) {
    throw new InvalidArgumentError(
      'PrismaSessionStorage: a write with { lease } needs the ChannelCoderLease model in your schema ' +
        '(schema/channelcoder.prisma) on PostgreSQL, CockroachDB or SQLite.',
    );
  }
  fencingToken(name, options); // a lease of another session is refused as lost
  const client = tx as LeaseClient;
  const now = await clock.now(client);
  const { count } = await client.channelCoderLease.updateMany({
    where: { name, token: lease.token, expiresAt: { gt: now } },
    data: { token: lease.token },
  });
  if (count !== 1) throw new LeaseLostError(name, lease.token);
}
