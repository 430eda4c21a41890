/**
 * Session leases (DESIGN 10) in Redis: `P{<name>}:lease` (HASH token, holder, expiresAt) expires by itself
 * at the server's clock (PEXPIREAT), and `P{<name>}:lease-token` counts the tokens issued (INCR), so tokens
 * grow per session across holders, releases and expiries. Acquire, renew and release are one script call
 * each (one round trip); the keys carry the session's hash tag, so on a Cluster they share its slot and the
 * save and transcript scripts can check the fencing token atomically with their writes.
 */
import { LeaseLostError, type LeaseOptions, type SessionLease } from '@channelcoder/session-core';
import { acquireLease, createLeaseHandle, readLeaseOptions } from '@channelcoder/session-core/storage-kit';
import { withAvailability } from './availability.js';
import { sessionKeys } from './keys.js';
import type { RedisClient, SessionScripts } from './scripts.js';

export interface LeaseContext {
  client: RedisClient;
  scripts: SessionScripts;
  prefix: string;
  timeoutMs: number;
}

/** Takes the lease of session `key` (already validated), waiting per `options.waitMs`. */
export function takeRedisLease(
  ctx: LeaseContext,
  key: string,
  options: LeaseOptions | undefined,
): Promise<SessionLease> {
  const { ttlMs, holder, waitMs, signal } = readLeaseOptions(options);
  const keys = sessionKeys(ctx.prefix, key);
  const leaseKeys = [keys.lease];
  // Each attempt gets the storage's timeout; the wait between attempts is the caller's waitMs.
  const attempt = () =>
    withAvailability(
      ctx.client,
      ctx.timeoutMs,
      `lease("${key}")`,
      async () => {
        const reply = await ctx.scripts.acquireLease([keys.lease, keys.leaseToken], holder, ttlMs);
        if ('holder' in reply)
          return { busy: { holder: reply.holder, expiresAt: new Date(reply.expiresAt) } };
        const token = reply.token;
        return {
          acquired: createLeaseHandle({
            name: key,
            token,
            holder,
            expiresAt: new Date(reply.expiresAt),
            ttlMs,
            renew: (ms) =>
              withAvailability(ctx.client, ctx.timeoutMs, `renew lease("${key}")`, async () => {
                const at = await ctx.scripts.renewLease(leaseKeys, token, ms);
                if (at === undefined)
                  throw new LeaseLostError(key, token, 'it expired or another holder took it');
                return new Date(at);
              }),
            release: () =>
              withAvailability(ctx.client, ctx.timeoutMs, `release lease("${key}")`, async () => {
                await ctx.scripts.releaseLease(leaseKeys, token);
              }),
          }),
        };
      },
      'the lease may have been taken: it stays held until its ttl runs out',
    );
  return acquireLease<SessionLease>(key, { waitMs, ...(signal ? { signal } : {}) }, attempt);
}
