import { SessionCorruptError, type SessionStorage } from '@channelcoder/session-core';
import { makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

export function corruptionSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  const backdoor = ctx.backdoor!;

  it('loads a damaged session as SessionCorruptError naming the session, never as a partial state', async () => {
    const storage = await ctx.fresh();
    await storage.save(makeState({ messages: 4 }), 'damaged');
    await backdoor(storage).corrupt('damaged');
    const err = await storage.load('damaged').catch((e: unknown) => e);
    expect(SessionCorruptError.is(err), String(err)).toBe(true);
    expect((err as SessionCorruptError).sessionName).toBe('damaged');
    expect((err as Error).message).toContain('damaged');
  });

  it('lists a damaged entry with error set and still lists every other session', async () => {
    const storage = await ctx.fresh();
    await storage.save(makeState(), 'good-1');
    await storage.save(makeState(), 'damaged');
    await storage.save(makeState(), 'good-2');
    await backdoor(storage).corrupt('damaged');
    const listed = await storage.list();
    expect(listed.map((i) => i.name).sort()).toEqual(['damaged', 'good-1', 'good-2']);
    const bad = listed.find((i) => i.name === 'damaged');
    expect(bad?.error).toEqual(expect.any(String));
    expect(bad?.error?.length).toBeGreaterThan(0);
    for (const good of listed.filter((i) => i.name !== 'damaged')) expect(good.error).toBeUndefined();
    const paged = [...(await storage.list({ limit: 2 }))];
    paged.push(...(await storage.list({ limit: 2, cursor: paged.at(-1)?.cursor ?? '' })));
    expect(paged.map((i) => i.name).sort()).toEqual(['damaged', 'good-1', 'good-2']);
  });

  it('can remove a damaged session that list shows', async (t) => {
    const storage = await ctx.fresh();
    if (!storage.remove) t.skip('the storage has no remove capability');
    await storage.save(makeState(), 'damaged');
    await backdoor(storage).corrupt('damaged');
    expect(await storage.remove!('damaged')).toBe(true);
    expect(await storage.list()).toEqual([]);
  });

  it('list reads metadata only: damaged messages do not disturb the listing, but load reports them', async (t) => {
    const storage = await ctx.fresh();
    const door = backdoor(storage);
    if (!door.corruptMessages) {
      t.skip('the backdoor has no corruptMessages (the adapter stores each session as one document)');
      return;
    }
    await storage.save(makeState({ messages: 6 }), 'messages-damaged');
    await door.corruptMessages('messages-damaged');
    const [info] = await storage.list();
    expect(info?.name).toBe('messages-damaged');
    expect(info?.error).toBeUndefined();
    expect(info?.messageCount).toBe(6);
    const err = await storage.load('messages-damaged').catch((e: unknown) => e);
    expect(SessionCorruptError.is(err), String(err)).toBe(true);
  });
}
