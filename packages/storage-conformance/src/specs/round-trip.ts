import { SessionNotFoundError, type SessionStorage } from '@channelcoder/session-core';
import { makeState, tick } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

export function roundTripSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  it('returns the name it stored under and counts the revision from 1', async () => {
    const storage = await ctx.fresh();
    const state = makeState({ messages: 2 });
    expect(state.revision).toBe(0);
    expect(await storage.save(state, 'first')).toBe('first');
    expect(state.revision).toBe(1);
    const loaded = await storage.load('first');
    expect(loaded.revision).toBe(1);
    expect(loaded).toEqual(state);
  });

  it('round-trips every field: dates as Date, metadata, ledger, turn details', async () => {
    const storage = await ctx.fresh();
    const state = makeState({ messages: 4 });
    state.metadata.cwd = '/home/dev/project with spaces';
    state.metadata.tags = ['feature', 'auth'];
    state.metadata.parent = {
      name: 'origin',
      sessionId: 'b3a0e8f2-1111-4222-8333-444455556666',
      messageCount: 2,
    };
    state.sessionChain.push('second-id');
    state.currentSessionId = 'second-id';
    state.messages.push({
      id: 'failed-turn',
      role: 'user',
      content: 'a prompt that failed',
      timestamp: tick(),
      sessionId: '',
      turn: { isError: true, error: 'API Error: 500 Internal Server Error' },
    });
    state.usage = {
      turns: 3,
      failedTurns: 1,
      totalCostUsd: 0.123456789,
      inputTokens: 1234,
      outputTokens: 567,
      cacheReadTokens: 89,
      cacheCreationTokens: 10,
      durationMs: 4321,
    };
    await storage.save(state, 'fields');
    const loaded = await storage.load('fields');
    expect(loaded).toEqual(state);
    expect(loaded.metadata.created).toBeInstanceOf(Date);
    expect(loaded.metadata.lastActive).toBeInstanceOf(Date);
    for (const m of loaded.messages) expect(m.timestamp).toBeInstanceOf(Date);
    expect(loaded.messages.at(-1)?.turn).toEqual({
      isError: true,
      error: 'API Error: 500 Internal Server Error',
    });
  });

  it('keeps text exactly: unicode, emoji, U+2028/U+2029, control characters, quotes, empty strings', async () => {
    const storage = await ctx.fresh();
    const texts = [
      'naïve café — 日本語 — العربية — עברית',
      'emoji 🎉👩‍💻🏳️‍🌈 and a lone surrogate-free astral 𝔘𝔫𝔦',
      'line\u2028separator and paragraph\u2029separator',
      'tab\tnewline\ncarriage\r\nnul-free "quotes" \'single\' \\backslash\\ </script>',
      '',
      '   leading and trailing spaces   ',
    ];
    const state = makeState({ messages: texts.length, content: (i) => texts[i] ?? '' });
    await storage.save(state, 'unicode');
    const loaded = await storage.load('unicode');
    expect(loaded.messages.map((m) => m.content)).toEqual(texts);
  });

  it('keeps structured content (JSON-stringified results) and a large message intact', async () => {
    const storage = await ctx.fresh();
    const size = ctx.options.largeMessageBytes ?? 1024 * 1024;
    const structured = JSON.stringify({
      files: ['a.ts', 'b.ts'],
      nested: { ok: true, n: 1.5, list: [1, 'two', null] },
    });
    const large = 'x'.repeat(size - 40) + '\n'.repeat(20) + 'é'.repeat(10);
    const state = makeState({ messages: 2, content: (i) => (i === 0 ? structured : large) });
    await storage.save(state, 'large');
    const loaded = await storage.load('large');
    expect(loaded.messages[0]?.content).toBe(structured);
    expect(JSON.parse(loaded.messages[0]?.content ?? '')).toEqual(JSON.parse(structured));
    expect(loaded.messages[1]?.content.length).toBe(large.length);
    expect(loaded.messages[1]?.content).toBe(large);
  });

  it('returns a fresh copy on every load: changing it does not change what is stored', async () => {
    const storage = await ctx.fresh();
    await storage.save(makeState({ messages: 2 }), 'copy');
    const a = await storage.load('copy');
    a.messages[0]!.content = 'mutated';
    a.metadata.lastActive.setTime(0);
    const b = await storage.load('copy');
    expect(b.messages[0]?.content).not.toBe('mutated');
    expect(b.metadata.lastActive.getTime()).not.toBe(0);
  });

  it('rejects load of an absent session with SessionNotFoundError naming it', async () => {
    const storage = await ctx.fresh();
    const err = await storage.load('never-saved').catch((e: unknown) => e);
    expect(SessionNotFoundError.is(err)).toBe(true);
    expect((err as SessionNotFoundError).sessionName).toBe('never-saved');
  });
}
