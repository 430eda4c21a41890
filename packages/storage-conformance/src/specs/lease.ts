import {
  ChannelCoderError,
  InvalidSessionNameError,
  LeaseLostError,
  SessionBusyError,
  type SessionLease,
  SessionNotFoundError,
  type SessionStorage,
  storageCapabilities,
} from '@channelcoder/session-core';
import { addMessages, makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it, type TestContext } from '../spec-api.js';

type LeasingStorage = SessionStorage & Required<Pick<SessionStorage, 'lease'>>;

/**
 * Timing of the lease specs. Nothing asserts how long anything took: a `held` lease outlives any test (so
 * only a release can free it), a `short` one exists to expire, and waits are long enough that only a
 * broken implementation runs out of them on a loaded machine.
 */
const HELD_MS = 600_000;
const SHORT_MS = 200;
const WAIT_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sleeps until the lease's expiry has passed (plus a margin for clocks read by another process). */
async function outlive(lease: SessionLease): Promise<void> {
  await sleep(Math.max(0, lease.expiresAt.getTime() - Date.now()) + 100);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection, but it resolved'),
    (err: unknown) => err,
  );
}

export function leaseSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  async function leasing(t: TestContext): Promise<LeasingStorage> {
    const storage = await ctx.fresh();
    if (!storageCapabilities(storage).lease) t.skip('the storage has no lease() capability');
    return storage as unknown as LeasingStorage;
  }

  it('gives the lease to at most one of 8 contenders at any instant, each in turn, tokens increasing', async (t) => {
    const storage = await leasing(t);
    await storage.save(makeState({ messages: 2 }), 'contended');
    let holding = 0;
    let mostAtOnce = 0;
    const tokens: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const lease = await storage.lease('contended', {
          ttlMs: HELD_MS,
          waitMs: WAIT_MS * 2,
          holder: `contender-${i}`,
        });
        holding += 1;
        mostAtOnce = Math.max(mostAtOnce, holding);
        tokens.push(lease.token);
        // A turn's writes under the lease: with the lease serializing turns, none of them conflicts.
        const state = await storage.load('contended');
        addMessages(state, 2);
        await storage.save(state, 'contended', { lease });
        holding -= 1;
        await lease.release();
      }),
    );
    expect(mostAtOnce).toBe(1);
    expect(tokens).toHaveLength(8);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
    const stored = await storage.load('contended');
    expect(stored.revision).toBe(9);
    expect(stored.messages).toHaveLength(2 + 8 * 2);
  });

  it('lets the next holder in once a lease expires, with a greater token', async (t) => {
    const storage = await leasing(t);
    const first = await storage.lease('expiring', { ttlMs: SHORT_MS, holder: 'first' });
    const second = await storage.lease('expiring', { waitMs: WAIT_MS, ttlMs: HELD_MS, holder: 'second' });
    expect(second.holder).toBe('second');
    expect(second.token).toBeGreaterThan(first.token);
    await second.release();
  });

  it('refuses every write of a holder whose lease expired and was taken, and changes nothing', async (t) => {
    const storage = await leasing(t);
    await storage.save(makeState({ messages: 2 }), 'fenced');
    const stale = await storage.lease('fenced', { ttlMs: SHORT_MS, holder: 'stale' });
    const staleCopy = await storage.load('fenced');
    const current = await storage.lease('fenced', { waitMs: WAIT_MS, ttlMs: HELD_MS, holder: 'current' });

    addMessages(staleCopy, 2);
    const saveErr = await rejection(storage.save(staleCopy, 'fenced', { lease: stale }));
    expect(LeaseLostError.is(saveErr), String(saveErr)).toBe(true);
    expect(staleCopy.revision).toBe(1);
    const stored = await storage.load('fenced');
    expect(stored.revision).toBe(1);
    expect(stored.messages).toHaveLength(2);

    if (storageCapabilities(storage).transcripts) {
      const entries = [{ type: 'user', uuid: 'stale-1' }];
      const appendErr = await rejection(
        storage.appendTranscript!('fenced', 'claude-1', entries, 0, { lease: stale }),
      );
      expect(LeaseLostError.is(appendErr), String(appendErr)).toBe(true);
      expect(await storage.loadTranscript!('fenced', 'claude-1')).toBeNull();
    }

    const fresh = await storage.load('fenced');
    addMessages(fresh, 2);
    await storage.save(fresh, 'fenced', { lease: current });
    expect((await storage.load('fenced')).messages).toHaveLength(4);
    if (storageCapabilities(storage).transcripts) {
      const entries = [{ type: 'user', uuid: 'current-1' }];
      await storage.appendTranscript!('fenced', 'claude-1', entries, 0, { lease: current });
      expect(await storage.loadTranscript!('fenced', 'claude-1')).toEqual(entries);
    }
    await current.release();
  });

  it('refuses a write under a lease that expired, even when nobody took it', async (t) => {
    const storage = await leasing(t);
    await storage.save(makeState({ messages: 2 }), 'lapsed');
    const lease = await storage.lease('lapsed', { ttlMs: SHORT_MS });
    const state = await storage.load('lapsed');
    await outlive(lease);
    addMessages(state, 2);
    const err = await rejection(storage.save(state, 'lapsed', { lease }));
    expect(LeaseLostError.is(err), String(err)).toBe(true);
    expect((await storage.load('lapsed')).revision).toBe(1);
  });

  it('refuses a write under a released lease', async (t) => {
    const storage = await leasing(t);
    await storage.save(makeState({ messages: 2 }), 'released');
    const lease = await storage.lease('released', { ttlMs: HELD_MS });
    const state = await storage.load('released');
    await lease.release();
    addMessages(state, 2);
    const err = await rejection(storage.save(state, 'released', { lease }));
    expect(LeaseLostError.is(err), String(err)).toBe(true);
    expect((await storage.load('released')).revision).toBe(1);
  });

  it('saves under the current lease, and the revision check still applies', async (t) => {
    const storage = await leasing(t);
    await storage.save(makeState({ messages: 2 }), 'holder-writes');
    const lease = await storage.lease('holder-writes', { ttlMs: HELD_MS });
    const state = await storage.load('holder-writes');
    const behind = await storage.load('holder-writes');
    addMessages(state, 2);
    await storage.save(state, 'holder-writes', { lease });
    await storage.save(addMessages(state, 2), 'holder-writes', { lease });
    expect(state.revision).toBe(3);
    const err = await rejection(storage.save(addMessages(behind, 1), 'holder-writes', { lease }));
    expect(ChannelCoderError.is(err) && err.code, String(err)).toBe('SESSION_CONFLICT');
    const stored = await storage.load('holder-writes');
    expect(stored.revision).toBe(3);
    expect(stored.messages).toHaveLength(6);
    await lease.release();
  });

  it('renews: the lease outlives its first ttl, and others stay out', async (t) => {
    const storage = await leasing(t);
    const lease = await storage.lease('renewed', { ttlMs: 3_000, holder: 'renewer' });
    const firstExpiry = lease.expiresAt.getTime();
    await lease.renew(HELD_MS);
    expect(lease.expiresAt.getTime()).toBeGreaterThan(firstExpiry);
    await sleep(Math.max(0, firstExpiry - Date.now()) + 200);
    const err = await rejection(storage.lease('renewed', { waitMs: 50 }));
    expect(SessionBusyError.is(err), String(err)).toBe(true);
    expect((err as SessionBusyError).holder).toBe('renewer');
    const before = lease.expiresAt.getTime();
    await lease.renew(); // the ttl it was taken with, from now
    expect(lease.expiresAt.getTime()).toBeLessThan(before);
    await lease.release();
  });

  it('refuses to renew a lease that expired, or that another holder took', async (t) => {
    const storage = await leasing(t);
    const lapsed = await storage.lease('renew-lapsed', { ttlMs: SHORT_MS });
    await outlive(lapsed);
    const lapsedErr = await rejection(lapsed.renew());
    expect(LeaseLostError.is(lapsedErr), String(lapsedErr)).toBe(true);

    const taken = await storage.lease('renew-taken', { ttlMs: SHORT_MS });
    const next = await storage.lease('renew-taken', { waitMs: WAIT_MS, ttlMs: HELD_MS, holder: 'next' });
    const takenErr = await rejection(taken.renew(HELD_MS));
    expect(LeaseLostError.is(takenErr), String(takenErr)).toBe(true);
    const busy = await rejection(storage.lease('renew-taken'));
    expect((busy as SessionBusyError).holder, String(busy)).toBe('next');
    await next.release();
  });

  it('lets a waiting contender in as soon as the holder releases', async (t) => {
    const storage = await leasing(t);
    const holder = await storage.lease('handover', { ttlMs: HELD_MS, holder: 'holder' });
    // The lease outlives the wait, so only the release can let the waiter in.
    const waiter = storage.lease('handover', { waitMs: WAIT_MS, ttlMs: HELD_MS, holder: 'waiter' });
    await sleep(50);
    await holder.release();
    const next = await waiter;
    expect(next.holder).toBe('waiter');
    expect(next.token).toBeGreaterThan(holder.token);
    await next.release();
  });

  it('releases idempotently, and a late release never frees the next holder', async (t) => {
    const storage = await leasing(t);
    const first = await storage.lease('idempotent', { ttlMs: HELD_MS });
    await first.release();
    await first.release();
    const second = await storage.lease('idempotent', { ttlMs: SHORT_MS, holder: 'second' });
    expect(second.token).toBeGreaterThan(first.token);
    const third = await storage.lease('idempotent', { waitMs: WAIT_MS, ttlMs: HELD_MS, holder: 'third' });
    await second.release(); // expired and taken: must not release the third holder's lease
    await first.release();
    const busy = await rejection(storage.lease('idempotent'));
    expect(SessionBusyError.is(busy), String(busy)).toBe(true);
    expect((busy as SessionBusyError).holder).toBe('third');
    await third.release();
    const fourth = await storage.lease('idempotent');
    expect(fourth.token).toBeGreaterThan(third.token);
    await fourth.release();
  });

  it('never blocks load, list or exists while a lease is held', async (t) => {
    const storage = await leasing(t);
    await storage.save(makeState({ messages: 3 }), 'reading');
    const lease = await storage.lease('reading', { ttlMs: HELD_MS });
    expect((await storage.load('reading')).messages).toHaveLength(3);
    expect((await storage.list()).map((s) => s.name)).toEqual(['reading']);
    if (storage.exists) expect(await storage.exists('reading')).toBe(true);
    if (storageCapabilities(storage).transcripts)
      expect(await storage.loadTranscript!('reading', 'claude-1')).toBeNull();
    await lease.release();
  });

  it('leases a name with no session yet, without making a session appear', async (t) => {
    const storage = await leasing(t);
    const lease = await storage.lease('not-yet', { ttlMs: HELD_MS });
    expect(await storage.list()).toEqual([]);
    if (storage.exists) expect(await storage.exists('not-yet')).toBe(false);
    const missing = await rejection(storage.load('not-yet'));
    expect(SessionNotFoundError.is(missing), String(missing)).toBe(true);
    const busy = await rejection(storage.lease('not-yet'));
    expect(SessionBusyError.is(busy), String(busy)).toBe(true);

    await storage.save(makeState({ messages: 2 }), 'not-yet', { lease });
    await lease.release();
    expect((await storage.list()).map((s) => s.name)).toEqual(['not-yet']);
    const after = await storage.lease('not-yet');
    expect(after.token).toBeGreaterThan(lease.token);
    await after.release();
  });

  it('keeps the leases of different sessions apart', async (t) => {
    const storage = await leasing(t);
    const a = await storage.lease('session-a', { ttlMs: HELD_MS });
    const b = await storage.lease('session-b', { ttlMs: HELD_MS });
    expect(b.name).toBe('session-b');
    await storage.save(makeState(), 'session-a', { lease: a });
    const wrong = await rejection(storage.save(makeState(), 'session-b', { lease: a }));
    expect(LeaseLostError.is(wrong), String(wrong)).toBe(true);
    if (storage.exists) expect(await storage.exists('session-b')).toBe(false);
    await Promise.all([a.release(), b.release()]);
  });

  it('says who holds a busy lease and until when', async (t) => {
    const storage = await leasing(t);
    const lease = await storage.lease('busy', { ttlMs: HELD_MS, holder: 'build-runner-7' });
    expect(lease.name).toBe('busy');
    expect(lease.holder).toBe('build-runner-7');
    expect(Number.isInteger(lease.token) && lease.token > 0).toBe(true);
    for (const waitMs of [0, 100]) {
      const err = await rejection(storage.lease('busy', { waitMs }));
      expect(SessionBusyError.is(err), String(err)).toBe(true);
      const busy = err as SessionBusyError;
      expect(busy.sessionName).toBe('busy');
      expect(busy.holder).toBe('build-runner-7');
      expect(busy.expiresAt).toBeInstanceOf(Date);
      // The same instant, give or take the precision a backend keeps.
      expect(Math.abs(busy.expiresAt.getTime() - lease.expiresAt.getTime())).toBeLessThan(1_000);
    }
    await lease.release();
  });

  it('stops waiting when the signal aborts', async (t) => {
    const storage = await leasing(t);
    const lease = await storage.lease('aborted', { ttlMs: HELD_MS });
    const controller = new AbortController();
    const waiting = rejection(storage.lease('aborted', { waitMs: WAIT_MS, signal: controller.signal }));
    await sleep(30);
    controller.abort(new Error('the user gave up'));
    expect(String(await waiting)).toContain('the user gave up');
    await lease.release();
  });

  it('validates the session name and the options', async (t) => {
    const storage = await leasing(t);
    for (const name of ['../escape', '', 'a/b', 'x'.repeat(200)]) {
      const err = await rejection(storage.lease(name));
      expect(InvalidSessionNameError.is(err), `${name}: ${String(err)}`).toBe(true);
    }
    const badTtl = await rejection(storage.lease('options', { ttlMs: 0 }));
    expect(ChannelCoderError.is(badTtl), String(badTtl)).toBe(true);
    const badWait = await rejection(storage.lease('options', { waitMs: -1 }));
    expect(ChannelCoderError.is(badWait), String(badWait)).toBe(true);
    expect(await storage.list()).toEqual([]);
  });
}
