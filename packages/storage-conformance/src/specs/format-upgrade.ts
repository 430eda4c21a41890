import { FORMAT_VERSION, type SessionStorage, UnsupportedFormatError } from '@channelcoder/session-core';
import { addMessages, futureDocument, seedEraDocument } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

export function formatUpgradeSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  const backdoor = ctx.backdoor!;

  it('loads a seed-era (format 0) session upgraded, and saves it in the current format', async () => {
    const storage = await ctx.fresh();
    await backdoor(storage).plant('legacy', seedEraDocument());
    const loaded = await storage.load('legacy');
    expect(loaded.formatVersion).toBe(FORMAT_VERSION);
    expect(loaded.revision).toBe(1);
    expect(loaded.sessionChain).toHaveLength(2);
    expect(loaded.messages.map((m) => m.content)).toEqual([
      'What is TypeScript?',
      'A typed superset of JavaScript.',
    ]);
    expect(loaded.messages[0]?.timestamp).toBeInstanceOf(Date);
    expect(new Set(loaded.messages.map((m) => m.id)).size).toBe(2);
    expect(loaded.usage.turns).toBe(1);
    const listed = await storage.list();
    expect(listed.map((i) => [i.name, i.messageCount, i.error])).toEqual([['legacy', 2, undefined]]);

    addMessages(loaded, 2);
    await storage.save(loaded, 'legacy');
    const again = await storage.load('legacy');
    expect(again.revision).toBe(2);
    expect(again.messages).toHaveLength(4);
    expect(again.messages.map((m) => m.id)).toEqual(loaded.messages.map((m) => m.id));
  });

  it('refuses a session from a newer format with UnsupportedFormatError and lists it with an error', async () => {
    const storage = await ctx.fresh();
    await backdoor(storage).plant('from-the-future', futureDocument());
    const err = await storage.load('from-the-future').catch((e: unknown) => e);
    expect(UnsupportedFormatError.is(err), String(err)).toBe(true);
    expect((err as UnsupportedFormatError).formatVersion).toBe(99);
    const listed = await storage.list();
    expect(listed.map((i) => i.name)).toEqual(['from-the-future']);
    expect(listed[0]?.error).toMatch(/format/i);
  });
}
