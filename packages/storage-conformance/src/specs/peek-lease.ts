import {
  InvalidSessionNameError,
  SessionBusyError,
  type SessionLease,
  type SessionStorage,
  storageCapabilities,
} from '@channelcoder/session-core';
import { makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it, type TestContext } from '../spec-api.js';

type PeekingStorage = SessionStorage & Required<Pick<SessionStorage, 'lease' | 'peekLease'>>;

/** As in the lease spec: a held lease outlives any test, a short one exists to expire. */
const HELD_MS = 600_000;
const SHORT_MS = 200;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function outlive(lease: SessionLease): Promise<void> {
  await sleep(Math.max(0, lease.expiresAt.getTime() - Date.now()) + 100);
}

/**
 * The peeked expiry is the lease's own, up to the rounding of the backend's time type (a second at most);
 * an extension by a peek would move it by the lease's ttl, far more.
 */
function sameInstant(seen: Date | undefined, expected: Date): boolean {
  return seen instanceof Date && Math.abs(seen.getTime() - expected.getTime()) <= 1000;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection, but it resolved'),
    (err: unknown) => err,
  );
}

export function peekLeaseSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  async function peeking(t: TestContext): Promise<PeekingStorage> {
    const storage = await ctx.fresh();
    const caps = storageCapabilities(storage);
    if (!caps.peekLease) t.skip('the storage has no peekLease capability');
    if (!caps.lease) t.skip('the storage has peekLease but no lease() capability to peek at');
    await storage.save(makeState({ messages: 2 }), 'watched');
    return storage as unknown as PeekingStorage;
  }

  it('reads null while no lease is held, and rejects an invalid name', async (t) => {
    const storage = await peeking(t);
    expect(await storage.peekLease('watched')).toBeNull();
    expect(await storage.peekLease('never-saved')).toBeNull();
    const err = await rejection(storage.peekLease('../escape'));
    expect(InvalidSessionNameError.is(err), String(err)).toBe(true);
  });

  it('reads the holder, token and expiry of the held lease', async (t) => {
    const storage = await peeking(t);
    const lease = await storage.lease('watched', { ttlMs: HELD_MS, holder: 'turn-in-another-process' });
    const seen = await storage.peekLease('watched');
    expect(seen).not.toBeNull();
    expect(seen!.holder).toBe('turn-in-another-process');
    expect(seen!.token).toBe(lease.token);
    expect(seen!.expiresAt).toBeInstanceOf(Date);
    expect(sameInstant(seen!.expiresAt, lease.expiresAt)).toBe(true);
    await lease.release();
  });

  it('reads null after the release, and the next holder after a new lease', async (t) => {
    const storage = await peeking(t);
    const first = await storage.lease('watched', { ttlMs: HELD_MS, holder: 'first' });
    await first.release();
    expect(await storage.peekLease('watched')).toBeNull();
    const second = await storage.lease('watched', { ttlMs: HELD_MS, holder: 'second' });
    const seen = await storage.peekLease('watched');
    expect(seen?.holder).toBe('second');
    expect(seen?.token).toBe(second.token);
    await second.release();
  });

  it('reads null once the lease expired, and never extends it', async (t) => {
    const storage = await peeking(t);
    const lease = await storage.lease('watched', { ttlMs: SHORT_MS, holder: 'short' });
    const seen = await storage.peekLease('watched');
    // A peek may land after the short lease already ran out on a loaded machine; it is then null.
    if (seen !== null) expect(sameInstant(seen.expiresAt, lease.expiresAt)).toBe(true);
    await outlive(lease);
    expect(await storage.peekLease('watched')).toBeNull();
    // Peeking did not extend it: a new holder gets the lease at once, with a greater token.
    const next = await storage.lease('watched', { ttlMs: HELD_MS, holder: 'next', waitMs: 0 });
    expect(next.token).toBeGreaterThan(lease.token);
    await next.release();
  });

  it('never takes the lease: peeking at a free lease leaves it free, at a held one leaves it held', async (t) => {
    const storage = await peeking(t);
    for (let i = 0; i < 3; i++) expect(await storage.peekLease('watched')).toBeNull();
    const lease = await storage.lease('watched', { ttlMs: HELD_MS, holder: 'holder', waitMs: 0 });
    for (let i = 0; i < 3; i++) expect((await storage.peekLease('watched'))?.token).toBe(lease.token);
    const busy = await rejection(storage.lease('watched', { ttlMs: HELD_MS, holder: 'other', waitMs: 0 }));
    expect(SessionBusyError.is(busy), String(busy)).toBe(true);
    const seen = await storage.peekLease('watched');
    expect(seen?.holder).toBe('holder');
    expect(sameInstant(seen?.expiresAt, lease.expiresAt)).toBe(true);
    await lease.release();
    expect(await storage.peekLease('watched')).toBeNull();
  });

  it('reads the same expiry after a renew moved it', async (t) => {
    const storage = await peeking(t);
    const lease = await storage.lease('watched', { ttlMs: HELD_MS, holder: 'renewing' });
    const before = lease.expiresAt.getTime();
    await lease.renew(HELD_MS * 2);
    expect(lease.expiresAt.getTime()).toBeGreaterThan(before);
    const seen = await storage.peekLease('watched');
    expect(sameInstant(seen?.expiresAt, lease.expiresAt)).toBe(true);
    await lease.release();
  });
}
