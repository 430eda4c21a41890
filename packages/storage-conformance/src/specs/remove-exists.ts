import { SessionNotFoundError, type SessionStorage } from '@channelcoder/session-core';
import { makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

export function removeExistsSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  it('implements the optional remove and exists capabilities', async () => {
    const storage = await ctx.fresh();
    expect(typeof storage.remove).toBe('function');
    expect(typeof storage.exists).toBe('function');
  });

  it('exists tells saved from absent; remove is idempotent and reports whether it removed', async () => {
    const storage = await ctx.fresh();
    expect(await storage.exists!('gone-soon')).toBe(false);
    await storage.save(makeState({ messages: 4 }), 'gone-soon');
    await storage.save(makeState(), 'stays');
    expect(await storage.exists!('gone-soon')).toBe(true);
    expect(await storage.exists!('gone-soon.json')).toBe(true);
    expect(await storage.remove!('gone-soon')).toBe(true);
    expect(await storage.remove!('gone-soon')).toBe(false);
    expect(await storage.remove!('never-existed')).toBe(false);
    expect(await storage.exists!('gone-soon')).toBe(false);
    expect(SessionNotFoundError.is(await storage.load('gone-soon').catch((e: unknown) => e))).toBe(true);
    expect((await storage.list()).map((i) => i.name)).toEqual(['stays']);
    expect((await storage.load('stays')).messages).toHaveLength(2);
  });

  it('starts from revision 0 after a remove: the name can be created again', async () => {
    const storage = await ctx.fresh();
    await storage.save(makeState({ messages: 4 }), 'reborn');
    await storage.remove!('reborn');
    const fresh = makeState({ messages: 2 });
    await storage.save(fresh, 'reborn');
    const loaded = await storage.load('reborn');
    expect(loaded.revision).toBe(1);
    expect(loaded.messages.map((m) => m.id)).toEqual(fresh.messages.map((m) => m.id));
  });
}
