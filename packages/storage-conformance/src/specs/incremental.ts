import type { SessionStorage } from '@channelcoder/session-core';
import { addMessages, makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

function withoutIdentity<T extends { revision: number; metadata: { name?: string } }>(state: T) {
  const { revision: _r, metadata, ...rest } = state;
  const { name: _n, ...md } = metadata;
  return { ...rest, metadata: md };
}

export function incrementalSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  it('loads after many small saves exactly what one full save stores', async () => {
    const storage = await ctx.fresh();
    const state = makeState({ messages: 2 });
    await storage.save(state, 'stepwise');
    for (const n of [1, 3, 2, 1, 5, 2]) {
      addMessages(state, n);
      state.usage.turns += 1;
      state.usage.totalCostUsd += 0.01;
      await storage.save(state, 'stepwise');
    }
    const stepwise = await storage.load('stepwise');
    expect(stepwise).toEqual(state);
    const whole = structuredClone(state);
    whole.revision = 0;
    await storage.save(whole, 'at-once');
    const atOnce = await storage.load('at-once');
    expect(withoutIdentity(stepwise)).toEqual(withoutIdentity(atOnce));
    expect(stepwise.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
  });

  it('keeps message order across 25 single-message saves', async () => {
    const storage = await ctx.fresh();
    const state = makeState({ messages: 0 });
    for (let i = 0; i < 25; i++) {
      addMessages(state, 1);
      await storage.save(state, 'one-by-one');
    }
    const loaded = await storage.load('one-by-one');
    expect(loaded.revision).toBe(25);
    expect(loaded.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
  });

  it('saves a head-only change (no new messages) and keeps the messages', async () => {
    const storage = await ctx.fresh();
    const state = makeState({ messages: 4 });
    await storage.save(state, 'head-only');
    state.metadata.tags = ['renamed-tag'];
    state.currentSessionId = 'another-claude-id';
    state.sessionChain.push('another-claude-id');
    await storage.save(state, 'head-only');
    const loaded = await storage.load('head-only');
    expect(loaded).toEqual(state);
  });

  it('a loaded session continues incrementally from what was stored', async () => {
    const storage = await ctx.fresh();
    await storage.save(makeState({ messages: 6 }), 'continued');
    const loaded = await storage.load('continued');
    addMessages(loaded, 2);
    await storage.save(loaded, 'continued');
    const again = await storage.load('continued');
    expect(again).toEqual(loaded);
    expect(again.messages).toHaveLength(8);
  });
}
