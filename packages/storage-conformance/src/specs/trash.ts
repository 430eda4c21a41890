import {
  InvalidSessionNameError,
  LeaseLostError,
  SessionConflictError,
  SessionNotFoundError,
  type SessionStorage,
  storageCapabilities,
  TRASH_METHODS,
  type TrashEntry,
} from '@channelcoder/session-core';
import { addMessages, makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it, type TestContext } from '../spec-api.js';

type TrashStorage = SessionStorage &
  Required<Pick<SessionStorage, 'moveToTrash' | 'listTrash' | 'restoreFromTrash' | 'purgeTrash'>>;

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;
/** How long an entry meant to expire is kept; the spec waits for its `expiresAt`, never a fixed time. */
const SHORT_RETENTION_MS = 150;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection, but it resolved'),
    (err: unknown) => err,
  );
}

/** Waits until `entry` has expired by the clock of this process (with a margin for another process's). */
async function outlive(entry: TrashEntry): Promise<void> {
  await sleep(Math.max(0, entry.expiresAt.getTime() - Date.now()) + 250);
}

const ids = (entries: readonly TrashEntry[]) => entries.map((e) => e.id);

export function trashSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  async function trashing(t: TestContext): Promise<TrashStorage> {
    const storage = await ctx.fresh();
    if (!storageCapabilities(storage).trash)
      t.skip('the storage has no trash capability (moveToTrash, listTrash, restoreFromTrash, purgeTrash)');
    return storage as unknown as TrashStorage;
  }

  it('has all four trash methods or none of them', async () => {
    const storage = await ctx.fresh();
    const present = TRASH_METHODS.filter((m) => typeof storage[m] === 'function');
    expect([0, TRASH_METHODS.length]).toContain(present.length);
  });

  it('moves a session with its transcripts to the trash, lists the entry, restores both', async (t) => {
    const storage = await trashing(t);
    const transcripts = storageCapabilities(storage).transcripts;
    const state = makeState({ messages: 4 });
    await storage.save(state, 'binned');
    await storage.save(makeState(), 'bystander');
    const claudeId = state.currentSessionId!;
    const lines = [
      { uuid: 'a', type: 'user' },
      { uuid: 'b', type: 'assistant' },
    ];
    if (transcripts) await storage.appendTranscript!('binned', claudeId, lines, 0);

    const before = (await storage.list()).find((i) => i.name === 'binned')!;
    const entry = await storage.moveToTrash('binned');
    expect(entry).toBeDefined();
    expect(entry!.name).toBe('binned');
    expect(entry!.reason).toBe('removed');
    expect(entry!.id).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(entry!.expiresAt.getTime() - entry!.trashedAt.getTime()).toBe(THIRTY_DAYS_MS);
    expect(entry!.session.name).toBe('binned');
    expect(entry!.session.messageCount).toBe(4);
    expect(entry!.session.lastActive.getTime()).toBe(before.lastActive.getTime());
    expect(entry!.session.currentSessionId).toBe(claudeId);

    expect(SessionNotFoundError.is(await rejection(storage.load('binned')))).toBe(true);
    expect((await storage.list()).map((i) => i.name)).toEqual(['bystander']);
    if (storage.exists) expect(await storage.exists('binned')).toBe(false);
    if (transcripts) expect(await storage.loadTranscript!('binned', claudeId)).toBeNull();
    expect(await storage.moveToTrash('binned')).toBeUndefined();
    expect(await storage.moveToTrash('never-stored')).toBeUndefined();

    const listed = await storage.listTrash();
    expect(ids(listed)).toEqual([entry!.id]);
    expect(listed[0]!.name).toBe('binned');
    expect(listed[0]!.trashedAt.getTime()).toBe(entry!.trashedAt.getTime());
    expect(listed[0]!.expiresAt.getTime()).toBe(entry!.expiresAt.getTime());
    expect(listed[0]!.session.messageCount).toBe(4);

    expect(await storage.restoreFromTrash(entry!.id)).toBe('binned');
    const back = await storage.load('binned');
    expect(back.revision).toBe(1);
    expect(back.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
    expect(back.usage).toEqual(state.usage);
    if (transcripts) expect(await storage.loadTranscript!('binned', claudeId)).toEqual(lines);
    expect((await storage.list()).map((i) => i.name).sort()).toEqual(['binned', 'bystander']);
    expect(await storage.listTrash()).toEqual([]);
    expect(SessionNotFoundError.is(await rejection(storage.restoreFromTrash(entry!.id)))).toBe(true);

    // The restored session carries on from its revision.
    addMessages(back, 2);
    await storage.save(back, 'binned');
    expect((await storage.load('binned')).messages).toHaveLength(6);
  });

  it('frees the name: a new session can be created under it while the old one waits in the trash', async (t) => {
    const storage = await trashing(t);
    const old = makeState({ messages: 4 });
    await storage.save(old, 'reused');
    const entry = await storage.moveToTrash('reused', { reason: 'replaced' });
    expect(entry!.reason).toBe('replaced');
    const fresh = makeState({ messages: 2 });
    await storage.save(fresh, 'reused');
    expect((await storage.load('reused')).revision).toBe(1);

    // Restoring into the taken name is refused and changes nothing.
    const err = await rejection(storage.restoreFromTrash(entry!.id));
    expect(SessionConflictError.is(err), String(err)).toBe(true);
    expect((err as SessionConflictError).reason).toBe('name-taken');
    expect((err as SessionConflictError).sessionName).toBe('reused');
    const still = await storage.load('reused');
    expect(still.messages.map((m) => m.id)).toEqual(fresh.messages.map((m) => m.id));
    expect(ids(await storage.listTrash())).toEqual([entry!.id]);

    // Under another name it comes back whole.
    expect(await storage.restoreFromTrash(entry!.id, { name: 'reused-before' })).toBe('reused-before');
    expect((await storage.load('reused-before')).messages.map((m) => m.id)).toEqual(
      old.messages.map((m) => m.id),
    );
    expect((await storage.list()).map((i) => i.name).sort()).toEqual(['reused', 'reused-before']);
    expect(await storage.listTrash()).toEqual([]);
  });

  it('keeps every trashing of one name as its own entry, newest first; filters by name and limits', async (t) => {
    const storage = await trashing(t);
    const first = makeState({ messages: 2 });
    await storage.save(first, 'churn');
    const a = await storage.moveToTrash('churn');
    await storage.save(makeState(), 'other');
    const b = await storage.moveToTrash('other');
    await sleep(5);
    const second = makeState({ messages: 6 });
    await storage.save(second, 'churn');
    const c = await storage.moveToTrash('churn', { reason: 'replaced' });
    expect(new Set([a!.id, b!.id, c!.id]).size).toBe(3);

    const all = await storage.listTrash();
    expect(all).toHaveLength(3);
    for (let i = 1; i < all.length; i++) {
      const prev = all[i - 1]!;
      const cur = all[i]!;
      const ordered =
        prev.trashedAt.getTime() > cur.trashedAt.getTime() ||
        (prev.trashedAt.getTime() === cur.trashedAt.getTime() && prev.id < cur.id);
      expect(ordered, `${prev.id} before ${cur.id}`).toBe(true);
    }
    expect(all[0]!.id).toBe(c!.id);
    const churn = await storage.listTrash({ name: 'churn' });
    expect(ids(churn)).toEqual([c!.id, a!.id]);
    expect(churn.map((e) => e.reason)).toEqual(['replaced', 'removed']);
    expect(churn.map((e) => e.session.messageCount)).toEqual([6, 2]);
    expect(ids(await storage.listTrash({ limit: 1 }))).toEqual([c!.id]);
    expect(await storage.listTrash({ name: 'nobody' })).toEqual([]);

    // Restoring the older one brings back that one.
    await storage.restoreFromTrash(a!.id);
    expect((await storage.load('churn')).messages.map((m) => m.id)).toEqual(first.messages.map((m) => m.id));
  });

  it('refuses bad input with typed errors: invalid names, unknown or malformed ids', async (t) => {
    const storage = await trashing(t);
    await storage.save(makeState(), 'kept');
    expect(InvalidSessionNameError.is(await rejection(storage.moveToTrash('../kept')))).toBe(true);
    for (const id of ['no-such-entry', '../kept', '', 'a/b']) {
      const err = await rejection(storage.restoreFromTrash(id));
      expect(SessionNotFoundError.is(err), `${JSON.stringify(id)}: ${String(err)}`).toBe(true);
    }
    const entry = await storage.moveToTrash('kept');
    expect(
      InvalidSessionNameError.is(await rejection(storage.restoreFromTrash(entry!.id, { name: '../x' }))),
    ).toBe(true);
    expect(ids(await storage.listTrash())).toEqual([entry!.id]);
    expect(await storage.purgeTrash({ id: 'no-such-entry' })).toBe(0);
    expect(await storage.purgeTrash({ id: '../x' })).toBe(0);
  });

  it('gives exactly one of two concurrent moveToTrash calls of one name the entry', async (t) => {
    const storage = await trashing(t);
    for (let round = 0; round < 3; round++) {
      const name = `contested-${round}`;
      const state = makeState({ messages: 2 });
      await storage.save(state, name);
      const results = await Promise.all([storage.moveToTrash(name), storage.moveToTrash(name)]);
      const moved = results.filter((r) => r !== undefined);
      expect(moved).toHaveLength(1);
      expect(ids(await storage.listTrash({ name }))).toEqual([moved[0]!.id]);
      expect(SessionNotFoundError.is(await rejection(storage.load(name)))).toBe(true);
      await storage.restoreFromTrash(moved[0]!.id);
      expect((await storage.load(name)).messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
    }
  });

  it('leaves a whole session in one place when a save races a moveToTrash', async (t) => {
    const storage = await trashing(t);
    for (let round = 0; round < 4; round++) {
      const name = `racing-${round}`;
      await storage.save(makeState({ messages: 2 }), name);
      const before = await storage.load(name);
      const longer = addMessages(await storage.load(name), 2);
      const [saved, moved] = await Promise.allSettled([
        storage.save(longer, name),
        storage.moveToTrash(name, { reason: 'replaced' }),
      ]);
      if (saved.status === 'rejected')
        expect(SessionConflictError.is(saved.reason), String(saved.reason)).toBe(true);
      expect(moved.status, moved.status === 'rejected' ? String(moved.reason) : '').toBe('fulfilled');
      const entry = (moved as PromiseFulfilledResult<TrashEntry | undefined>).value;
      // The move always finds the session (the save only changes it), so it is in the trash and not stored.
      expect(entry).toBeDefined();
      expect(SessionNotFoundError.is(await rejection(storage.load(name)))).toBe(true);
      expect(ids(await storage.listTrash({ name }))).toEqual([entry!.id]);
      await storage.restoreFromTrash(entry!.id);
      // A save that won went in before the move (a save after it finds nothing stored at its revision and
      // conflicts); one that lost changed nothing.
      const back = await storage.load(name);
      const expected = saved.status === 'fulfilled' ? longer : before;
      expect(back.messages.map((m) => m.id)).toEqual(expected.messages.map((m) => m.id));
      expect(entry!.session.messageCount).toBe(back.messages.length);
    }
  });

  it('hides an expired entry from listTrash and restore; purgeTrash deletes expired ones, one, or all', async (t) => {
    const storage = await trashing(t);
    await storage.save(makeState(), 'short-lived');
    await storage.save(makeState(), 'long-lived');
    await storage.save(makeState(), 'also-kept');
    const short = await storage.moveToTrash('short-lived', { retentionMs: SHORT_RETENTION_MS });
    const long = await storage.moveToTrash('long-lived');
    const kept = await storage.moveToTrash('also-kept');
    expect(short!.expiresAt.getTime() - short!.trashedAt.getTime()).toBe(SHORT_RETENTION_MS);

    await outlive(short!);
    expect(ids(await storage.listTrash()).sort()).toEqual([long!.id, kept!.id].sort());
    expect(SessionNotFoundError.is(await rejection(storage.restoreFromTrash(short!.id)))).toBe(true);
    expect(await storage.exists?.('short-lived')).not.toBe(true);

    expect(await storage.purgeTrash()).toBe(1);
    expect(await storage.purgeTrash()).toBe(0);
    expect(await storage.purgeTrash({ id: short!.id })).toBe(0);
    expect(await storage.purgeTrash({ id: long!.id })).toBe(1);
    expect(ids(await storage.listTrash())).toEqual([kept!.id]);
    expect(SessionNotFoundError.is(await rejection(storage.restoreFromTrash(long!.id)))).toBe(true);
    expect(await storage.purgeTrash({ all: true })).toBe(1);
    expect(await storage.listTrash()).toEqual([]);
    expect(await storage.list()).toEqual([]);
  });

  it('honours options.lease: a lost lease moves nothing, the current one moves the session', async (t) => {
    const storage = await trashing(t);
    if (!storageCapabilities(storage).lease) t.skip('the storage has no lease() capability');
    await storage.save(makeState({ messages: 2 }), 'fenced');
    const stale = await storage.lease!('fenced', { ttlMs: 600_000, holder: 'first' });
    await stale.release();
    const current = await storage.lease!('fenced', { ttlMs: 600_000, holder: 'second' });
    const err = await rejection(storage.moveToTrash('fenced', { lease: stale }));
    expect(LeaseLostError.is(err), String(err)).toBe(true);
    expect((await storage.load('fenced')).messages).toHaveLength(2);
    expect(await storage.listTrash()).toEqual([]);
    const entry = await storage.moveToTrash('fenced', { lease: current });
    expect(entry?.name).toBe('fenced');
    expect(SessionNotFoundError.is(await rejection(storage.load('fenced')))).toBe(true);
    await current.release();
  });
}
