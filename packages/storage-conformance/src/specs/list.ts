import { ChannelCoderError, type SessionInfo, type SessionStorage } from '@channelcoder/session-core';
import { makeState, tick } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

async function pages(storage: SessionStorage, limit: number, prefix?: string): Promise<SessionInfo[][]> {
  const out: SessionInfo[][] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page = await storage.list({
      limit,
      ...(cursor === undefined ? {} : { cursor }),
      ...(prefix ? { prefix } : {}),
    });
    if (page.length === 0) break;
    out.push(page);
    cursor = page.at(-1)?.cursor;
  }
  return out;
}

export function listSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  it('lists nothing for an empty storage', async () => {
    const storage = await ctx.fresh();
    expect(await storage.list()).toEqual([]);
    expect(await storage.list({ limit: 10 })).toEqual([]);
  });

  it('orders by lastActive, newest first, ties by name', async () => {
    const storage = await ctx.fresh();
    const t1 = tick();
    const t2 = tick();
    const t3 = tick();
    await storage.save(makeState({ lastActive: t2 }), 'middle');
    await storage.save(makeState({ lastActive: t3 }), 'newest');
    await storage.save(makeState({ lastActive: t1 }), 'oldest');
    await storage.save(makeState({ lastActive: t2 }), 'also-middle');
    expect((await storage.list()).map((i) => i.name)).toEqual(['newest', 'also-middle', 'middle', 'oldest']);
  });

  it('reports metadata: counts, dates as Date, current id, cost, tags, path and cursor', async () => {
    const storage = await ctx.fresh();
    const state = makeState({ messages: 6 });
    state.metadata.tags = ['billing'];
    await storage.save(state, 'meta');
    const [info] = await storage.list();
    expect(info).toBeDefined();
    expect(info?.name).toBe('meta');
    expect(info?.messageCount).toBe(6);
    expect(info?.created).toBeInstanceOf(Date);
    expect(info?.created.getTime()).toBe(state.metadata.created.getTime());
    expect(info?.lastActive.getTime()).toBe(state.metadata.lastActive.getTime());
    expect(info?.currentSessionId).toBe(state.currentSessionId);
    expect(info?.totalCostUsd).toBeCloseTo(state.usage.totalCostUsd, 10);
    expect(info?.tags).toEqual(['billing']);
    expect(typeof info?.path).toBe('string');
    expect(info?.path.length).toBeGreaterThan(0);
    expect(typeof info?.cursor).toBe('string');
    expect(info?.error).toBeUndefined();
  });

  it('reflects the latest save in the listing (count and lastActive move)', async () => {
    const storage = await ctx.fresh();
    const state = makeState({ messages: 2 });
    await storage.save(state, 'moving');
    await storage.save(makeState(), 'other');
    state.messages.push(...makeState({ messages: 2 }).messages);
    state.metadata.lastActive = tick();
    await storage.save(state, 'moving');
    const listed = await storage.list();
    expect(listed.map((i) => i.name)).toEqual(['moving', 'other']);
    expect(listed[0]?.messageCount).toBe(4);
  });

  it('pages with limit and cursor: every entry once, in order', async () => {
    const storage = await ctx.fresh();
    for (let i = 0; i < 7; i++) await storage.save(makeState(), `page-${i}`);
    const all = await storage.list();
    expect(all).toHaveLength(7);
    const paged = await pages(storage, 3);
    expect(paged.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(paged.flat().map((i) => i.name)).toEqual(all.map((i) => i.name));
    expect(await storage.list({ limit: 0 })).toEqual([]);
    expect(await storage.list({ cursor: all.at(-1)?.cursor ?? '' })).toEqual([]);
  });

  it('keeps paging stable when a session is saved between pages', async () => {
    const storage = await ctx.fresh();
    for (let i = 0; i < 4; i++) await storage.save(makeState(), `stable-${i}`);
    const first = await storage.list({ limit: 2 });
    await storage.save(makeState(), 'late-newcomer');
    const rest = await storage.list({ limit: 10, cursor: first.at(-1)?.cursor ?? '' });
    const names = [...first, ...rest].map((i) => i.name);
    expect(new Set(names).size).toBe(names.length);
    for (let i = 0; i < 4; i++) expect(names).toContain(`stable-${i}`);
  });

  it('filters by a literal prefix (no glob, regex or LIKE meaning)', async () => {
    const storage = await ctx.fresh();
    for (const name of ['team-a.1', 'team-a.2', 'team-ab', 'teamxa.1', 'team_a', 'teamBa', 'other']) {
      await storage.save(makeState(), name);
    }
    const names = async (prefix: string) => (await storage.list({ prefix })).map((i) => i.name).sort();
    expect(await names('team-a.')).toEqual(['team-a.1', 'team-a.2']);
    expect(await names('team_')).toEqual(['team_a']);
    expect(await names('team')).toHaveLength(6);
    expect(await names('*')).toEqual([]);
    expect(await names('team?')).toEqual([]);
    expect(await names('%')).toEqual([]);
    expect(await names('[t]')).toEqual([]);
    const paged = await pages(storage, 1, 'team-a');
    expect(
      paged
        .flat()
        .map((i) => i.name)
        .sort(),
    ).toEqual(['team-a.1', 'team-a.2', 'team-ab']);
  });

  it('rejects a malformed cursor or limit with a typed error', async () => {
    const storage = await ctx.fresh();
    await storage.save(makeState(), 'one');
    const bad = [storage.list({ cursor: 'not a cursor %%%' }), storage.list({ limit: -1 })];
    for (const attempt of bad) {
      const err = await attempt.catch((e: unknown) => e);
      expect(ChannelCoderError.is(err)).toBe(true);
    }
  });
}
