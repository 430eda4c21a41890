import { describe, expect, it, vi } from 'vitest';
import { LeaseLostError, SessionBusyError, SessionConflictError } from '../../src/errors.js';
import type { LeaseOptions, SessionLease, WriteOptions } from '../../src/lease.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import { cloneSessionState, type SessionState } from '../../src/state.js';
import { flag, useFakeSessions } from './support/fake-sessions.js';
import { SeedStyleStorage } from './support/storages.js';

const ctx = useFakeSessions();
const { session } = ctx;

/** A memory storage that records who held the lease at each save and each lease event. */
class RecordingStorage extends MemorySessionStorage {
  readonly events: string[] = [];
  readonly fenced: Array<number | undefined> = [];
  override async lease(name: string, options?: LeaseOptions): Promise<SessionLease> {
    const lease = await super.lease(name, options);
    this.events.push(`take ${lease.token}`);
    const release = lease.release.bind(lease);
    const renew = lease.renew.bind(lease);
    return Object.assign(lease, {
      release: async () => {
        this.events.push(`release ${lease.token}`);
        await release();
      },
      renew: async (ttl?: number) => {
        this.events.push(`renew ${lease.token}`);
        await renew(ttl);
      },
    });
  }
  override async save(state: SessionState, name?: string, options?: WriteOptions): Promise<string> {
    this.fenced.push(options?.lease?.token);
    return super.save(state, name, options);
  }
}

describe('session() turns take the session lease (DESIGN 10)', () => {
  it('takes the lease before the CLI starts, saves under it (fenced) and releases it', async () => {
    const storage = new RecordingStorage();
    const s = session({ name: 'leased', storage, defaults: { env: ctx.fake.env() } });
    await s.claude('one');
    await s.claude('two');
    expect(storage.events).toEqual(['take 1', 'release 1', 'take 2', 'release 2']);
    // pending + recorded per turn, each fenced by that turn's lease
    expect(storage.fenced).toEqual([1, 1, 2, 2]);
  });

  it('two objects on one session take turns: each turn resumes the history the other stored, none conflicts', async () => {
    const storage = new MemorySessionStorage();
    const env = { env: ctx.fake.env() };
    const first = session({ name: 'shared', storage, defaults: env });
    await first.claude('start');
    const a = await session.load('shared', { storage, defaults: env });
    const b = await session.load('shared', { storage, defaults: env });
    const results = await Promise.allSettled([
      a.claude('a1'),
      b.claude('b1'),
      a.claude('a2'),
      b.claude('b2'),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stored = await storage.load('shared');
    const prompts = stored.messages.filter((m) => m.role === 'user').map((m) => m.content);
    expect(prompts.slice(0, 1)).toEqual(['start']);
    expect([...prompts].sort()).toEqual(['a1', 'a2', 'b1', 'b2', 'start']);
    expect(stored.usage.turns).toBe(5);
    // Every turn resumed the one conversation, with as many prompts before it as the store had.
    const calls = ctx.fake.invocations();
    expect(new Set(calls.slice(1).map((c) => flag(c.args, '--resume')))).toEqual(new Set([first.id()]));
    expect(calls.map((c) => c.stdin)).toEqual(prompts);
  });

  it("onBusy 'fail' rejects with SessionBusyError naming the holder, and runs nothing", async () => {
    const storage = new MemorySessionStorage();
    const s = session({ name: 'busy', storage, defaults: { env: ctx.fake.env() } });
    const held = await storage.lease('busy', { holder: 'worker-7', ttlMs: 60_000 });
    const err = await s.claude('x', { onBusy: 'fail' }).catch((e: unknown) => e);
    expect(SessionBusyError.is(err)).toBe(true);
    expect((err as SessionBusyError).holder).toBe('worker-7');
    expect((err as SessionBusyError).expiresAt).toEqual(held.expiresAt);
    expect(ctx.fake.invocations()).toEqual([]);
    expect(s.messages()).toEqual([]);
    expect(await storage.exists('busy')).toBe(false);
    await held.release();
  });

  it("onBusy 'wait' waits for the holder to release, up to busyTimeoutMs", async () => {
    const storage = new MemorySessionStorage();
    const s = session({ name: 'waiting', storage, defaults: { env: ctx.fake.env() } });
    const held = await storage.lease('waiting', { holder: 'other', ttlMs: 60_000 });
    await expect(s.claude('x', { busyTimeoutMs: 100 })).rejects.toSatisfy(SessionBusyError.is);
    const turn = s.claude('y', { busyTimeoutMs: 30_000 });
    let settled = false;
    turn.finally(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(settled).toBe(false);
    await held.release();
    expect((await turn).text).toBe('echo: y');
  });

  it('renews the lease while the CLI runs longer than its ttl, so nobody else gets in', async () => {
    const storage = new RecordingStorage();
    const s = session({
      name: 'long',
      storage,
      leaseTtlMs: 300,
      defaults: { env: ctx.fake.env('same-id', { FAKE_CLAUDE_DELAY_MS: '1200' }) },
    });
    const turn = s.claude('slow');
    await new Promise((r) => setTimeout(r, 800));
    await expect(storage.lease('long', { ttlMs: 1000 })).rejects.toSatisfy(SessionBusyError.is);
    await turn;
    expect(storage.events.filter((e) => e === 'renew 1').length).toBeGreaterThanOrEqual(2);
    expect((await storage.load('long')).usage.turns).toBe(1);
  });

  it('a lease lost during the turn refuses the save: SessionSaveError with the answer, cause LeaseLostError', async () => {
    const storage = new MemorySessionStorage();
    const s = session({
      name: 'lost',
      storage,
      leaseTtlMs: 200,
      defaults: { env: ctx.fake.env('same-id', { FAKE_CLAUDE_DELAY_MS: '600' }) },
    });
    // Renewals stop working: the lease runs out mid-turn and another holder takes it.
    const original = storage.lease.bind(storage);
    storage.lease = async (name, options) => {
      const lease = await original(name, options);
      return Object.assign(lease, { renew: async () => {} });
    };
    const turn = s.claude('x').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 350));
    const thief = await original('lost', { ttlMs: 60_000 });
    const err = (await turn) as { result?: { text: string }; cause?: unknown; code?: string };
    expect(err.code).toBe('SESSION_SAVE_FAILED');
    expect(err.result?.text).toBe('echo: x');
    expect(LeaseLostError.is(err.cause)).toBe(true);
    await thief.release();
  });

  it('a storage without lease() still works (without exclusivity)', async () => {
    const seed = new SeedStyleStorage();
    const s = session({ name: 'seed', storage: seed, defaults: { env: ctx.fake.env() } });
    await s.claude('one');
    await s.claude('two');
    expect((await seed.load('seed')).messages).toHaveLength(4);
  });

  it('an object whose stored session moved on catches up before its turn instead of conflicting', async () => {
    const storage = new MemorySessionStorage();
    const env = { env: ctx.fake.env() };
    const first = session({ name: 'moved', storage, defaults: env });
    await first.claude('one');
    const stale = await session.load('moved', { storage, defaults: env });
    await first.claude('two');
    await first.claude('three');
    const err = await stale.claude('four').catch((e: unknown) => e);
    expect(SessionConflictError.is(err)).toBe(false);
    expect(err).not.toBeInstanceOf(Error);
    expect(stale.messages().map((m) => m.content)).toEqual([
      'one',
      'echo: one',
      'two',
      'echo: two',
      'three',
      'echo: three',
      'four',
      'echo: four',
    ]);
  });
});

describe('two new objects on one name, created in the same millisecond (DESIGN 10)', () => {
  it("the second does not continue the first one's answered conversation: it replaces it, as any new session does", async () => {
    const storage = new MemorySessionStorage();
    const env = { env: ctx.fake.env() };
    // Two processes starting one new session at once can stamp the same creation time.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-05-01T10:00:00.000Z') });
    const first = session({ name: 'same-ms', storage, defaults: env });
    const second = session({ name: 'same-ms', storage, defaults: env });
    vi.useRealTimers();
    expect(first.state().metadata.created.getTime()).toBe(second.state().metadata.created.getTime());
    await first.claude('from first');
    await second.claude('from second');
    // A fresh conversation, not a resume of the first one's.
    expect(flag(ctx.fake.invocations().at(-1)?.args ?? [], '--resume')).toBeUndefined();
    expect(second.messages().map((m) => m.content)).toEqual(['from second', 'echo: from second']);
    expect((await storage.load('same-ms')).messages.map((m) => m.content)).toEqual([
      'from second',
      'echo: from second',
    ]);
  });

  it('a first save of its own that landed though it failed is continued, not replaced', async () => {
    const storage = new LandThenFailStorage();
    const env = { env: ctx.fake.env() };
    const s = session({ name: 'own-landed', storage, defaults: env, autoSave: false });
    await s.claude('one');
    storage.landThenFail = true;
    await expect(s.save()).rejects.toThrow('connection reset');
    storage.landThenFail = false;
    // The save failed after it landed: the next turn continues that stored session.
    await s.claude('two');
    await s.save();
    expect(flag(ctx.fake.invocations().at(-1)?.args ?? [], '--resume')).toBe(s.id());
    expect((await storage.load('own-landed')).messages.map((m) => m.content)).toEqual([
      'one',
      'echo: one',
      'two',
      'echo: two',
    ]);
    // Continued, not replaced: nothing moved aside, and the revisions follow on from the landed save.
    expect(await storage.listTrash()).toEqual([]);
    expect((await storage.load('own-landed')).revision).toBe(2);
  });

  it('a turn whose pending save failed after it landed runs nothing; the next turn continues that save, it does not replace it', async () => {
    const storage = new LandThenFailStorage();
    const env = { env: ctx.fake.env() };
    const s = session({ name: 'pending-landed', storage, defaults: env });
    storage.landThenFail = true;
    await expect(s.claude('one')).rejects.toThrow('connection reset');
    storage.landThenFail = false;
    expect(ctx.fake.invocations()).toHaveLength(0);
    // Stored: the pending turn of a turn that never ran. It is this object's own save, not another session's.
    expect((await storage.load('pending-landed')).pendingTurn?.prompt).toBe('one');
    await s.claude('two');
    expect(await storage.listTrash()).toEqual([]);
    const stored = await storage.load('pending-landed');
    // The landed pending turn stays in the history as a turn without an answer, as after any stopped turn.
    expect(stored.messages.map((m) => m.content)).toEqual(['one', 'two', 'echo: two']);
    expect(stored.pendingTurn).toBeUndefined();
  });
});

/**
 * A memory storage whose saves can store the state and then fail, as a save whose answer was lost on the way
 * back: the write lands, and the caller's state is left as it was (no revision bumped in place).
 */
class LandThenFailStorage extends MemorySessionStorage {
  landThenFail = false;
  override async save(state: SessionState, name?: string, options?: WriteOptions): Promise<string> {
    if (!this.landThenFail) return super.save(state, name, options);
    await super.save(cloneSessionState(state), name, options);
    throw new Error('connection reset after the write (test)');
  }
}

/** A memory storage that counts whole-session loads and cheap revision reads. */
class CountingStorage extends MemorySessionStorage {
  loads = 0;
  revisionReads = 0;
  failRevisionReads = false;
  override async load(name: string): Promise<SessionState> {
    this.loads += 1;
    return super.load(name);
  }
  override async readRevision(name: string): Promise<number | null> {
    this.revisionReads += 1;
    if (this.failRevisionReads) throw new Error('revision read failed (test)');
    return super.readRevision(name);
  }
}

/** The same storage without the readRevision capability (a storage written before it existed). */
class NoRevisionStorage extends CountingStorage {
  constructor() {
    super();
    Object.defineProperty(this, 'readRevision', { value: undefined });
  }
}

describe('the catch-up under the lease reads the stored revision first (readRevision)', () => {
  it('skips the whole-session load while nobody else saved', async () => {
    const storage = new CountingStorage();
    const s = session({ name: 'quiet', storage, defaults: { env: ctx.fake.env() } });
    await s.claude('one');
    const loadsAfterFirst = storage.loads;
    await s.claude('two');
    await s.claude('three');
    expect(storage.loads).toBe(loadsAfterFirst);
    expect(storage.revisionReads).toBeGreaterThanOrEqual(3);
    const stored = await storage.load('quiet');
    expect(stored.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual([
      'one',
      'two',
      'three',
    ]);
  });

  it('loads when another object saved a turn, and continues from it', async () => {
    const storage = new CountingStorage();
    const env = { env: ctx.fake.env() };
    const first = session({ name: 'shared-rev', storage, defaults: env });
    await first.claude('start');
    const a = await session.load('shared-rev', { storage, defaults: env });
    const b = await session.load('shared-rev', { storage, defaults: env });
    await a.claude('a1');
    const before = storage.loads;
    await b.claude('b1');
    // b's revision was behind: it loaded once and resumed with a's turn in its history.
    expect(storage.loads).toBe(before + 1);
    const prompts = (await storage.load('shared-rev')).messages
      .filter((m) => m.role === 'user')
      .map((m) => m.content);
    expect(prompts).toEqual(['start', 'a1', 'b1']);
    expect(b.messages().map((m) => m.content)).toContain('a1');
    expect(ctx.fake.invocations().map((c) => c.stdin)).toEqual(['start', 'a1', 'b1']);
    // Now b is current: its next turn loads nothing.
    const settled = storage.loads;
    await b.claude('b2');
    expect(storage.loads).toBe(settled);
    // a is behind by two turns: it loads and continues.
    await a.claude('a2');
    expect(storage.loads).toBe(settled + 1);
    const all = (await storage.load('shared-rev')).messages.filter((m) => m.role === 'user');
    expect(all.map((m) => m.content)).toEqual(['start', 'a1', 'b1', 'b2', 'a2']);
    expect((await storage.load('shared-rev')).usage.turns).toBe(5);
  });

  it('loads every turn on a storage without readRevision, and when reading the revision fails', async () => {
    const plain = new NoRevisionStorage();
    const s = session({ name: 'plain', storage: plain, defaults: { env: ctx.fake.env() } });
    await s.claude('one');
    const after = plain.loads;
    await s.claude('two');
    await s.claude('three');
    expect(plain.loads).toBe(after + 2);
    expect(plain.revisionReads).toBe(0);

    const failing = new CountingStorage();
    const t = session({ name: 'failing', storage: failing, defaults: { env: ctx.fake.env() } });
    await t.claude('one');
    failing.failRevisionReads = true;
    const before = failing.loads;
    await t.claude('two');
    expect(failing.loads).toBe(before + 1);
    expect((await failing.load('failing')).usage.turns).toBe(2);
  });
});
