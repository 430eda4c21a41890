import type { SessionStorage } from '@channelcoder/session-core';
import { addMessages, makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

export function saveWithoutNameSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  it('uses metadata.name when no name is given', async () => {
    const storage = await ctx.fresh();
    expect(await storage.save(makeState({ name: 'from-metadata' }))).toBe('from-metadata');
    expect((await storage.load('from-metadata')).metadata.name).toBe('from-metadata');
  });

  it('generates a valid name once, stores it in metadata.name, and repeated autosaves write ONE entry', async () => {
    const storage = await ctx.fresh();
    const state = makeState();
    const first = await storage.save(state);
    expect(first).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
    expect(state.metadata.name).toBe(first);
    for (let i = 0; i < 3; i++) {
      addMessages(state, 2);
      expect(await storage.save(state)).toBe(first);
    }
    const listed = await storage.list();
    expect(listed.map((i) => i.name)).toEqual([first]);
    expect(listed[0]?.messageCount).toBe(8);
    expect((await storage.load(first)).messages).toHaveLength(8);
  });

  it('gives two unnamed sessions two different names', async () => {
    const storage = await ctx.fresh();
    const a = await storage.save(makeState());
    const b = await storage.save(makeState());
    expect(a).not.toBe(b);
    expect((await storage.list()).map((i) => i.name).sort()).toEqual([a, b].sort());
  });
}
