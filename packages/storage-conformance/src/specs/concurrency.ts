import { SessionConflictError, type SessionStorage } from '@channelcoder/session-core';
import { addMessages, makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

export function concurrencySpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  const writers = ctx.options.concurrentWriters ?? 5;

  it(`lets exactly one of ${writers} concurrent saves of one revision win`, async () => {
    const storage = await ctx.fresh();
    await storage.save(makeState({ messages: 2 }), 'raced');
    const copies = await Promise.all(Array.from({ length: writers }, () => storage.load('raced')));
    for (const copy of copies) addMessages(copy, 2);
    const results = await Promise.allSettled(copies.map((copy) => storage.save(copy, 'raced')));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(SessionConflictError.is(r.reason), String(r.reason)).toBe(true);
    }
    const stored = await storage.load('raced');
    expect(stored.revision).toBe(2);
    expect(stored.messages.map((m) => m.id)).toEqual(copies[won[0]!]!.messages.map((m) => m.id));
  });

  it(`lets exactly one of ${writers} concurrent creations of one name win`, async () => {
    const storage = await ctx.fresh();
    const states = Array.from({ length: writers }, () => makeState({ messages: 2 }));
    const results = await Promise.allSettled(states.map((s) => storage.save(s, 'born-once')));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    const stored = await storage.load('born-once');
    expect(stored.revision).toBe(1);
    expect(stored.messages.map((m) => m.id)).toEqual(states[won[0]!]!.messages.map((m) => m.id));
  });

  it('keeps different sessions independent under concurrent saves', async () => {
    const storage = await ctx.fresh();
    const states = Array.from({ length: writers }, (_, i) => makeState({ messages: i + 1 }));
    await Promise.all(states.map((s, i) => storage.save(s, `parallel-${i}`)));
    for (let i = 0; i < writers; i++)
      expect((await storage.load(`parallel-${i}`)).messages).toHaveLength(i + 1);
  });
}
