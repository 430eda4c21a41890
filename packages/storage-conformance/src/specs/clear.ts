import { clearSession, type SessionStorage } from '@channelcoder/session-core';
import { addMessages, makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

export function clearSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  it('stores an empty conversation after clear()', async () => {
    const storage = await ctx.fresh();
    const state = makeState({ messages: 4 });
    await storage.save(state, 'wiped');
    const cleared = clearSession(state);
    await storage.save(cleared, 'wiped');
    const loaded = await storage.load('wiped');
    expect(loaded.messages).toEqual([]);
    expect(loaded.sessionChain).toEqual([]);
    expect(loaded.currentSessionId).toBeUndefined();
    expect((await storage.list())[0]?.messageCount).toBe(0);
  });

  it('replaces the old messages when the cleared session grows past its old length', async () => {
    const storage = await ctx.fresh();
    const state = makeState({ messages: 2 });
    await storage.save(state, 'regrown');
    const cleared = clearSession(state);
    addMessages(cleared, 5);
    await storage.save(cleared, 'regrown');
    const loaded = await storage.load('regrown');
    expect(loaded.messages.map((m) => m.id)).toEqual(cleared.messages.map((m) => m.id));
    addMessages(cleared, 1);
    await storage.save(cleared, 'regrown');
    expect((await storage.load('regrown')).messages.map((m) => m.id)).toEqual(
      cleared.messages.map((m) => m.id),
    );
  });

  it('replaces the old messages when the cleared session has as many messages as before', async () => {
    const storage = await ctx.fresh();
    const state = makeState({ messages: 3 });
    await storage.save(state, 'same-length');
    const cleared = addMessages(clearSession(state), 3);
    await storage.save(cleared, 'same-length');
    expect((await storage.load('same-length')).messages.map((m) => m.id)).toEqual(
      cleared.messages.map((m) => m.id),
    );
  });
}
