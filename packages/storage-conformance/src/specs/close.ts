import type { SessionStorage } from '@channelcoder/session-core';
import { makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

export function closeSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  it('close() resolves after use and can be called twice', async (t) => {
    const storage = await ctx.fresh();
    if (!storage.close) t.skip('the storage has no close capability');
    await storage.save(makeState({ messages: 2 }), 'before-close');
    await expect(storage.close!()).resolves.toBeUndefined();
    await expect(storage.close!()).resolves.toBeUndefined();
  });
}
