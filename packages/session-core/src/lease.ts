/**
 * Exclusive turns (DESIGN 10). A lease gives one holder the right to run a turn of a session and to write
 * it; its fencing `token` grows strictly per session across all holders, and every write made under a lease
 * is checked against the current one atomically with the write, so a holder whose lease expired can never
 * overwrite what the next holder wrote. Adapters implement the optional `lease()` capability with their
 * backend's own atomic primitive and use the helpers here for the parts every adapter shares.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { InvalidArgumentError, LeaseLostError, SessionBusyError } from './errors.js';

/** Default time a lease lasts unless renewed. */
export const DEFAULT_LEASE_TTL_MS = 30_000;

export interface LeaseOptions {
  /** How long the lease lasts unless renewed (default 30 s). */
  ttlMs?: number;
  /** Who takes it, shown to others in `SessionBusyError` (default `host:pid:random`). */
  holder?: string;
  /** How long to wait for a held lease to come free before `SessionBusyError` (default 0: fail at once). */
  waitMs?: number;
  /** Stops waiting (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** A held lease. `expiresAt` moves forward on each successful `renew()`. */
export interface SessionLease {
  readonly name: string;
  /** Fencing token: strictly increasing per session across all holders. */
  readonly token: number;
  readonly holder: string;
  readonly expiresAt: Date;
  /**
   * Extends the lease by `ttlMs` (default: the ttl it was taken with) from now.
   * @throws LeaseLostError when it expired or another holder took it meanwhile.
   */
  renew(ttlMs?: number): Promise<void>;
  /** Gives the lease up so the next holder gets it at once. Idempotent; never throws for a lost lease. */
  release(): Promise<void>;
}

/** Options of a write (`save`, `appendTranscript`) that can be fenced by a lease. */
export interface WriteOptions {
  /** Write only while this lease is the session's current one; otherwise `LeaseLostError`, nothing written. */
  lease?: SessionLease;
}

/** The optional lease capability of a storage. */
export interface LeaseStorage {
  /**
   * Takes the session's lease (the session need not exist yet).
   * @throws SessionBusyError when another holder keeps it past `waitMs`.
   */
  lease(name: string, options?: LeaseOptions): Promise<SessionLease>;
}

/** `host:pid:random`, unique per call. */
export function defaultLeaseHolder(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Validated lease options with defaults filled in. @throws InvalidArgumentError */
export function readLeaseOptions(options: LeaseOptions = {}): {
  ttlMs: number;
  holder: string;
  waitMs: number;
  signal?: AbortSignal;
} {
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const waitMs = options.waitMs ?? 0;
  if (!Number.isInteger(ttlMs) || ttlMs < 1)
    throw new InvalidArgumentError(
      `lease ttlMs must be a positive whole number of milliseconds (got ${ttlMs})`,
    );
  if (!Number.isFinite(waitMs) || waitMs < 0)
    throw new InvalidArgumentError(`lease waitMs must be 0 or more milliseconds (got ${waitMs})`);
  const holder = options.holder ?? defaultLeaseHolder();
  if (typeof holder !== 'string' || holder.length === 0 || holder.length > 200)
    throw new InvalidArgumentError('lease holder must be a non-empty string of at most 200 characters');
  return { ttlMs, holder, waitMs, ...(options.signal ? { signal: options.signal } : {}) };
}

/** What one attempt to take a lease found. */
export type LeaseAttempt<T> = { acquired: T } | { busy: { holder: string; expiresAt: Date } };

/**
 * Takes a lease by repeating `attempt` until it succeeds or `waitMs` has passed (short, jittered,
 * growing pauses). Every adapter's `lease()` calls this with its backend's single atomic attempt.
 *
 * @throws SessionBusyError with the last holder seen; the signal's reason when aborted.
 */
export async function acquireLease<T>(
  name: string,
  options: { waitMs: number; signal?: AbortSignal },
  attempt: () => Promise<LeaseAttempt<T>>,
): Promise<T> {
  const started = Date.now();
  let pause = 10;
  for (;;) {
    options.signal?.throwIfAborted();
    const outcome = await attempt();
    if ('acquired' in outcome) return outcome.acquired;
    const waited = Date.now() - started;
    const left = options.waitMs - waited;
    if (left <= 0)
      throw new SessionBusyError(name, outcome.busy.holder, outcome.busy.expiresAt, { waitedMs: waited });
    const untilExpiry = Math.max(1, outcome.busy.expiresAt.getTime() - Date.now());
    const delay = Math.min(left, untilExpiry, pause * (0.5 + Math.random()));
    pause = Math.min(pause * 2, 250);
    await sleep(delay, options.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/**
 * A `SessionLease` over an adapter's renew and release operations: keeps `expiresAt` current, makes
 * `release()` idempotent and refuses `renew()` after release.
 */
export function createLeaseHandle(lease: {
  name: string;
  token: number;
  holder: string;
  expiresAt: Date;
  ttlMs: number;
  /** Atomically extends the lease if it is still this one; resolves the new expiry. @throws LeaseLostError */
  renew: (ttlMs: number) => Promise<Date>;
  /** Atomically deletes the lease if it is still this one (a no-op otherwise). */
  release: () => Promise<void>;
}): SessionLease {
  let expiresAt = lease.expiresAt;
  let released: Promise<void> | undefined;
  return {
    name: lease.name,
    token: lease.token,
    holder: lease.holder,
    get expiresAt() {
      return expiresAt;
    },
    async renew(ttlMs = lease.ttlMs) {
      if (released !== undefined) throw new LeaseLostError(lease.name, lease.token, 'it was released');
      if (!Number.isInteger(ttlMs) || ttlMs < 1)
        throw new InvalidArgumentError(`lease ttlMs must be a positive whole number (got ${ttlMs})`);
      expiresAt = await lease.renew(ttlMs);
    },
    release() {
      released ??= lease.release();
      return released;
    },
  };
}

/**
 * The fencing token a write to session `name` must check, or undefined for a write without a lease.
 * Tokens count per session, so a lease of another session (whose token may well be equal) is refused here.
 *
 * @throws LeaseLostError when `options.lease` is the lease of another session.
 */
export function fencingToken(name: string, options: WriteOptions | undefined): number | undefined {
  const lease = options?.lease;
  if (lease === undefined) return undefined;
  if (lease.name !== name)
    throw new LeaseLostError(
      name,
      lease.token,
      `it is the lease of session "${lease.name}", not of this one`,
    );
  return lease.token;
}

/**
 * @throws LeaseLostError unless `lease` is a lease of session `name` and `current` is the lease with its
 *   token and has not expired at `now`.
 */
export function assertLeaseCurrent(
  name: string,
  lease: SessionLease,
  current: { token: number; expiresAt: Date | number } | undefined,
  now: number = Date.now(),
): void {
  fencingToken(name, { lease });
  if (current === undefined || current.token !== lease.token)
    throw new LeaseLostError(name, lease.token, 'another holder took it or it was released');
  const expiry = typeof current.expiresAt === 'number' ? current.expiresAt : current.expiresAt.getTime();
  if (expiry <= now) throw new LeaseLostError(name, lease.token, 'it expired');
}
