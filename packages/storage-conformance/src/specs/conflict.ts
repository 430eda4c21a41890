import { SessionConflictError, type SessionStorage } from '@channelcoder/session-core';
import { addMessages, makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

async function conflictOf(attempt: Promise<unknown>): Promise<SessionConflictError> {
  const err = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(SessionConflictError.is(err), `expected SessionConflictError, got ${String(err)}`).toBe(true);
  return err as SessionConflictError;
}

export function conflictSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  it('rejects a save based on an old revision and keeps what the winner stored', async () => {
    const storage = await ctx.fresh();
    await storage.save(makeState({ messages: 2 }), 'shared');
    const a = await storage.load('shared');
    const b = await storage.load('shared');
    addMessages(a, 2);
    await storage.save(a, 'shared');
    expect(a.revision).toBe(2);
    addMessages(b, 4);
    const err = await conflictOf(storage.save(b, 'shared'));
    expect(err.sessionName).toBe('shared');
    expect(err.expectedRevision).toBe(1);
    expect(err.actualRevision).toBe(2);
    expect(b.revision).toBe(1);
    const stored = await storage.load('shared');
    expect(stored.revision).toBe(2);
    expect(stored.messages.map((m) => m.id)).toEqual(a.messages.map((m) => m.id));
  });

  it('refuses to overwrite an existing session with a new (revision 0) state', async () => {
    const storage = await ctx.fresh();
    const original = makeState({ messages: 4 });
    await storage.save(original, 'taken');
    const err = await conflictOf(storage.save(makeState({ messages: 2 }), 'taken'));
    expect(err.expectedRevision).toBe(0);
    expect(err.actualRevision).toBe(1);
    expect((await storage.load('taken')).messages).toHaveLength(4);
  });

  it('refuses a state with a revision when nothing is stored under the name', async () => {
    const storage = await ctx.fresh();
    const state = makeState();
    state.revision = 3;
    const err = await conflictOf(storage.save(state, 'vanished'));
    expect(err.actualRevision).toBe(0);
    expect(await storage.list()).toEqual([]);
  });

  it('lets the loser reload, reapply and save', async () => {
    const storage = await ctx.fresh();
    await storage.save(makeState({ messages: 2 }), 'retry');
    const a = await storage.load('retry');
    const b = await storage.load('retry');
    await storage.save(addMessages(a, 2), 'retry');
    await conflictOf(storage.save(addMessages(b, 2), 'retry'));
    const again = await storage.load('retry');
    addMessages(again, 2);
    await storage.save(again, 'retry');
    const stored = await storage.load('retry');
    expect(stored.revision).toBe(3);
    expect(stored.messages).toHaveLength(6);
  });
}
