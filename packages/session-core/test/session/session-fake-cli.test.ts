import { describe, expect, it } from 'vitest';
import { conversationCost } from '../../src/chain.js';
import {
  ClaudeNotFoundError,
  ClaudeRunError,
  InvalidArgumentError,
  InvalidSessionNameError,
  SessionSaveError,
  StorageUnavailableError,
} from '../../src/errors.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import type { ClaudeResult } from '../../src/runner/types.js';
import { flag, UUID, useFakeSessions } from './support/fake-sessions.js';
import { SeedStyleStorage } from './support/storages.js';

const ctx = useFakeSessions();
const { session, withFake } = ctx;

describe('session() with a CLI that keeps the id on resume (current CLIs)', () => {
  it('runs a new conversation with its id up front, then resumes it: one id in the chain', async () => {
    const s = withFake();
    await s.claude('one');
    await s.claude('two');
    await s.claude('three');
    const calls = ctx.fake.invocations();
    const first = flag(calls[0]?.args ?? [], '--session-id');
    expect(first).toMatch(UUID);
    expect(calls[0]?.args).not.toContain('--resume');
    expect(calls.slice(1).map((c) => flag(c.args, '--resume'))).toEqual([first, first]);
    expect(s.state().sessionChain).toEqual([first]);
    expect(s.id()).toBe(first);
    expect(s.messages().map((m) => `${m.role}:${m.content}`)).toEqual([
      'user:one',
      'assistant:echo: one',
      'user:two',
      'assistant:echo: two',
      'user:three',
      'assistant:echo: three',
    ]);
  });
});

describe('session() with a CLI that returns a new id per response (before 1.0.124)', () => {
  it('chains every id and resumes the latest one', async () => {
    const s = withFake('new-id');
    const r1 = await s.claude('one');
    const r2 = await s.claude('two');
    const r3 = await s.claude('three');
    expect(new Set([r1.sessionId, r2.sessionId, r3.sessionId]).size).toBe(3);
    expect(s.state().sessionChain).toEqual([r1.sessionId, r2.sessionId, r3.sessionId]);
    expect(ctx.fake.invocations().map((c) => flag(c.args, '--resume'))).toEqual([
      undefined,
      r1.sessionId,
      r2.sessionId,
    ]);
    expect(s.messages().map((m) => m.sessionId)).toEqual([
      r1.sessionId,
      r1.sessionId,
      r2.sessionId,
      r2.sessionId,
      r3.sessionId,
      r3.sessionId,
    ]);
  });

  it('runs concurrent calls one after another, each resuming the previous answer', async () => {
    const s = withFake('new-id');
    const results = await Promise.all([s.claude('a'), s.claude('b'), s.claude('c')]);
    const resumed = ctx.fake.invocations().map((c) => flag(c.args, '--resume'));
    expect(resumed).toEqual([undefined, results[0]?.sessionId, results[1]?.sessionId]);
    expect(
      s
        .messages()
        .filter((m) => m.role === 'user')
        .map((m) => m.content),
    ).toEqual(['a', 'b', 'c']);
  });
});

describe('recording and saving', () => {
  it('autosaves one entry after each turn and sums per-turn cost from the cumulative total', async () => {
    const s = session({ name: 'costs' });
    await s.claude('one', { env: ctx.fake.env('same-id', { FAKE_CLAUDE_COST: '0.01' }) });
    await s.claude('two', { env: ctx.fake.env('same-id', { FAKE_CLAUDE_COST: '0.03' }) });
    // Per turn: the pending turn before the CLI starts, then the recorded turn.
    expect(ctx.storage.saveCalls).toBe(4);
    const stored = await ctx.storage.load('costs');
    expect(stored.revision).toBe(4);
    expect(stored.pendingTurn).toBeUndefined();
    expect(stored.usage.turns).toBe(2);
    expect(stored.usage.totalCostUsd).toBeCloseTo(0.03, 10);
    expect(stored.messages.filter((m) => m.role === 'assistant').map((m) => m.turn?.costUsd)).toEqual([
      0.01,
      expect.closeTo(0.02, 10),
    ]);
    expect(conversationCost(stored)).toBeCloseTo(0.03, 10);
    expect(stored.usage).toMatchObject({
      inputTokens: 6,
      outputTokens: 8,
      cacheReadTokens: 2,
      cacheCreationTokens: 4,
    });
  });

  it('a failed turn keeps the prompt with the error, then rejects with the typed error', async () => {
    const s = withFake('api-error', { name: 'failing' });
    const err = await s.claude('doomed').catch((e: unknown) => e);
    expect(ClaudeRunError.is(err)).toBe(true);
    const [message] = s.messages();
    expect(s.messages()).toHaveLength(1);
    expect(message).toMatchObject({ role: 'user', content: 'doomed', turn: { isError: true } });
    expect(message?.turn?.error).toContain('API Error: 500 boom');
    expect(s.id()).toMatch(UUID);
    expect(s.usage()).toMatchObject({ turns: 1, failedTurns: 1 });
    expect((await ctx.storage.load('failing')).messages).toHaveLength(1);
  });

  it('a missing binary records the prompt without an id and rejects with ClaudeNotFoundError', async () => {
    const s = session({ defaults: { env: { CLAUDE_BIN: `${ctx.fake.dir}/missing` } } });
    await expect(s.claude('hello')).rejects.toSatisfy(ClaudeNotFoundError.is);
    expect(s.messages()).toMatchObject([{ content: 'hello', sessionId: '', turn: { isError: true } }]);
    expect(s.id()).toBeUndefined();
  });

  it('a prompt that is not a string fails before anything is recorded', async () => {
    const s = withFake();
    await expect(s.claude(42 as unknown as string)).rejects.toSatisfy(InvalidArgumentError.is);
    expect(() => s.stream({} as unknown as string)).toThrow(InvalidArgumentError);
    expect(s.messages()).toEqual([]);
  });

  it('options the CLI would reject fail before anything is recorded', async () => {
    const s = withFake();
    await expect(s.claude('x', { maxTurns: 0 })).rejects.toSatisfy(InvalidArgumentError.is);
    expect(s.messages()).toEqual([]);
    expect(ctx.fake.invocations()).toEqual([]);
  });

  it('a storage that fails before the turn rejects with its error and runs nothing', async () => {
    const s = withFake('same-id', { name: 'down' });
    ctx.storage.failSaves = true;
    await expect(s.claude('x')).rejects.toSatisfy(StorageUnavailableError.is);
    expect(ctx.fake.invocations()).toEqual([]);
    expect(s.messages()).toEqual([]);
  });

  it('a failed autosave after the turn rejects with SessionSaveError carrying the answer; the next save writes it once', async () => {
    const s = withFake('same-id', { name: 'kept' });
    ctx.storage.failRecordingSaves = true;
    const err = await s.claude('x').catch((e: unknown) => e);
    expect(SessionSaveError.is(err)).toBe(true);
    const saveError = err as SessionSaveError<ClaudeResult>;
    expect(saveError.result.text).toBe('echo: x');
    expect(StorageUnavailableError.is(saveError.cause)).toBe(true);
    expect(s.messages()).toHaveLength(2);
    // What the store has: only the pending turn.
    expect((await ctx.storage.load('kept')).pendingTurn?.prompt).toBe('x');
    ctx.storage.failRecordingSaves = false;
    await s.save();
    const stored = await ctx.storage.load('kept');
    expect(stored.messages.map((m) => m.content)).toEqual(['x', 'echo: x']);
    expect(stored.pendingTurn).toBeUndefined();
    expect(stored.usage.turns).toBe(1);
  });

  it('a turn after a failed save writes the kept turn first, then its own', async () => {
    const s = withFake('same-id', { name: 'next-turn' });
    ctx.storage.failRecordingSaves = true;
    await expect(s.claude('one')).rejects.toSatisfy(SessionSaveError.is);
    ctx.storage.failRecordingSaves = false;
    await s.claude('two');
    const stored = await ctx.storage.load('next-turn');
    expect(stored.messages.map((m) => m.content)).toEqual(['one', 'echo: one', 'two', 'echo: two']);
    expect(stored.usage.turns).toBe(2);
  });

  it('a save that timed out but landed is settled by reading the stored head: no conflict, stored once', async () => {
    const s = withFake('same-id', { name: 'ambiguous' });
    ctx.storage.landThenFail = true;
    await expect(s.claude('one')).rejects.toSatisfy(SessionSaveError.is);
    ctx.storage.landThenFail = false;
    await s.claude('two');
    const stored = await ctx.storage.load('ambiguous');
    expect(stored.messages.map((m) => m.content)).toEqual(['one', 'echo: one', 'two', 'echo: two']);
    expect(stored.usage.turns).toBe(2);
  });

  it('autoSave false saves nothing until save()', async () => {
    const s = withFake('same-id', { autoSave: false });
    await s.claude('x');
    expect(ctx.storage.saveCalls).toBe(0);
    const name = await s.save('manual');
    expect(name).toBe('manual');
    expect(await session.exists('manual')).toBe(true);
  });

  it('save(name) after autosaves under a generated name saves as the new name and drops the generated entry', async () => {
    const s = withFake();
    await s.claude('What is TypeScript?');
    const generated = s.name();
    expect(generated).toMatch(/^session-/);
    expect(await s.save('learning-typescript')).toBe('learning-typescript');
    await s.claude('Show me an example');
    expect(await session.exists(generated ?? '')).toBe(false);
    const saved = await session.load('learning-typescript');
    expect(saved.messages()).toHaveLength(4);
    // The copy (1), then the next turn's pending turn (2) and recorded turn (3).
    expect(saved.state().revision).toBe(3);
  });

  it('save(other) on a session saved under a chosen name leaves the original in place', async () => {
    const s = withFake('same-id', { name: 'original' });
    await s.claude('x');
    await s.save('copy');
    await s.claude('y');
    expect((await session.load('original')).messages()).toHaveLength(2);
    expect((await session.load('copy')).messages()).toHaveLength(4);
  });

  it('rejects an invalid name up front', () => {
    expect(() => session({ name: '../escape' })).toThrow(InvalidSessionNameError);
  });
});

describe('a storage written like the session guide (save/load/list only, no revisions)', () => {
  it('autosaves, loads, continues and lists', async () => {
    const seed = new SeedStyleStorage();
    const s = session({ storage: seed, defaults: { env: ctx.fake.env() } });
    await s.claude('one');
    await s.claude('two');
    await s.save('learning-typescript');
    const loaded = await session.load('learning-typescript', {
      storage: seed,
      defaults: { env: ctx.fake.env() },
    });
    expect(loaded.messages()[0]?.timestamp).toBeInstanceOf(Date);
    await loaded.claude('three');
    expect(flag(ctx.fake.invocations().at(-1)?.args ?? [], '--resume')).toBe(s.id());
    await loaded.claude('four');
    const reloaded = await session.load('learning-typescript', { storage: seed });
    expect(reloaded.messages()).toHaveLength(8);
    expect(await session.exists('learning-typescript', { storage: seed })).toBe(true);
    expect((await session.list({ storage: seed })).map((i) => i.name)).toContain('learning-typescript');
  });
});

describe('session statics', () => {
  it('list, exists and remove go to the given or default storage', async () => {
    const s = withFake('same-id', { name: 'listed' });
    await s.claude('x');
    expect((await session.list()).map((i) => i.name)).toEqual(['listed']);
    expect(await session.exists('listed')).toBe(true);
    expect(await session.remove('listed')).toBe(true);
    expect(await session.exists('listed')).toBe(false);
    const other = new MemorySessionStorage();
    expect(await session.list({ storage: other })).toEqual([]);
  });
});
