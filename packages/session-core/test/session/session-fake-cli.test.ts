import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conversationCost } from '../../src/chain.js';
import {
  ClaudeNotFoundError,
  ClaudeRunError,
  InvalidArgumentError,
  InvalidSessionNameError,
  StorageUnavailableError,
} from '../../src/errors.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import { createSessionFactory } from '../../src/session/factory.js';
import type { SessionOptions } from '../../src/session/types.js';
import { type FakeCli, makeFakeCli } from '../runner/support/fake-env.js';
import { CountingStorage, SeedStyleStorage } from './support/storages.js';

let fake: FakeCli;
let storage: CountingStorage;
const session = createSessionFactory({ storage: () => storage });
beforeEach(() => {
  fake = makeFakeCli();
  storage = new CountingStorage();
});
afterEach(() => fake.remove());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const flag = (args: string[], name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const withFake = (mode = 'same-id', options: SessionOptions = {}, extra: Record<string, string> = {}) =>
  session({ ...options, defaults: { env: fake.env(mode, extra) } });

describe('session() with a CLI that keeps the id on resume (current CLIs)', () => {
  it('runs a new conversation with its id up front, then resumes it: one id in the chain', async () => {
    const s = withFake();
    await s.claude('one');
    await s.claude('two');
    await s.claude('three');
    const calls = fake.invocations();
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
    expect(fake.invocations().map((c) => flag(c.args, '--resume'))).toEqual([
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
    const resumed = fake.invocations().map((c) => flag(c.args, '--resume'));
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
    await s.claude('one', { env: fake.env('same-id', { FAKE_CLAUDE_COST: '0.01' }) });
    await s.claude('two', { env: fake.env('same-id', { FAKE_CLAUDE_COST: '0.03' }) });
    expect(storage.saveCalls).toBe(2);
    const stored = await storage.load('costs');
    expect(stored.revision).toBe(2);
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
    expect((await storage.load('failing')).messages).toHaveLength(1);
  });

  it('a missing binary records the prompt without an id and rejects with ClaudeNotFoundError', async () => {
    const s = session({ defaults: { env: { CLAUDE_BIN: `${fake.dir}/missing` } } });
    await expect(s.claude('hello')).rejects.toSatisfy(ClaudeNotFoundError.is);
    expect(s.messages()).toMatchObject([{ content: 'hello', sessionId: '', turn: { isError: true } }]);
    expect(s.id()).toBeUndefined();
  });

  it('options the CLI would reject fail before anything is recorded', async () => {
    const s = withFake();
    await expect(s.claude('x', { maxTurns: 0 })).rejects.toSatisfy(InvalidArgumentError.is);
    expect(s.messages()).toEqual([]);
    expect(fake.invocations()).toEqual([]);
  });

  it('a failed autosave rejects the call with the storage error', async () => {
    const s = withFake();
    storage.failSaves = true;
    await expect(s.claude('x')).rejects.toSatisfy(StorageUnavailableError.is);
    expect(s.messages()).toHaveLength(2);
    storage.failSaves = false;
    await s.save();
    expect(storage.records.size).toBe(1);
  });

  it('autoSave false saves nothing until save()', async () => {
    const s = withFake('same-id', { autoSave: false });
    await s.claude('x');
    expect(storage.saveCalls).toBe(0);
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
    expect(saved.state().revision).toBe(2);
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
    const s = session({ storage: seed, defaults: { env: fake.env() } });
    await s.claude('one');
    await s.claude('two');
    await s.save('learning-typescript');
    const loaded = await session.load('learning-typescript', {
      storage: seed,
      defaults: { env: fake.env() },
    });
    expect(loaded.messages()[0]?.timestamp).toBeInstanceOf(Date);
    await loaded.claude('three');
    expect(flag(fake.invocations().at(-1)?.args ?? [], '--resume')).toBe(s.id());
    await loaded.claude('four');
    const reloaded = await session.load('learning-typescript', { storage: seed });
    expect(reloaded.messages()).toHaveLength(8);
    expect(await session.exists('learning-typescript', { storage: seed })).toBe(true);
    expect((await session.list({ storage: seed })).map((i) => i.name)).toContain('learning-typescript');
  });
});

describe('modes', () => {
  it('stream records one turn and saves once, after the last chunk', async () => {
    const s = withFake('same-id', {}, { FAKE_CLAUDE_CHUNKED: '1' });
    const chunks: string[] = [];
    const st = s.stream('streamed');
    for await (const chunk of st) {
      chunks.push(chunk.content);
      expect(storage.saveCalls).toBe(0);
    }
    expect(chunks).toEqual(['part one|', 'echo: streamed']);
    expect((await st.result).text).toBe('echo: streamed');
    expect(storage.saveCalls).toBe(1);
    expect(s.messages()).toHaveLength(2);
  });

  it('detached knows its id up front and records the turn when the log shows the result', async () => {
    const s = withFake();
    const handle = await s.detached('in the background', { logFile: `${fake.dir}/d.jsonl` });
    expect(handle.sessionId).toMatch(UUID);
    const result = await handle.done;
    expect(result.text).toBe('echo: in the background');
    expect(s.id()).toBe(handle.sessionId);
    expect(s.messages().map((m) => m.content)).toEqual(['in the background', 'echo: in the background']);
    expect(storage.saveCalls).toBe(1);
  });

  it('interactive passes the prompt after --, and records prompt and outcome when it ends', async () => {
    const s = withFake('same-id', {}, { CLAUDE_CONFIG_DIR: `${fake.dir}/config`, FAKE_CLAUDE_COST: '0.02' });
    const outcome = await s.interactive('let us pair');
    const [call] = fake.invocations();
    expect(call?.args).not.toContain('-p');
    expect(call?.args.slice(-2)).toEqual(['--', 'let us pair']);
    expect(outcome.sessionId).toBe(flag(call?.args ?? [], '--session-id'));
    expect(s.id()).toBe(outcome.sessionId);
    // The answer and the cost come from the CLI's transcript.
    expect(s.messages().map((m) => `${m.role}:${m.content}`)).toEqual([
      'user:let us pair',
      'assistant:typed answer to let us pair',
    ]);
    expect(s.usage().totalCostUsd).toBeCloseTo(0.02, 10);

    await s.interactive('and more', {
      env: fake.env('same-id', { CLAUDE_CONFIG_DIR: `${fake.dir}/config`, FAKE_CLAUDE_COST: '0.05' }),
    });
    expect(flag(fake.invocations()[1]?.args ?? [], '--resume')).toBe(outcome.sessionId);
    expect(s.messages().at(-1)?.content).toBe('typed answer to and more');
    expect(s.usage().totalCostUsd).toBeCloseTo(0.05, 10);
  });

  it('interactive without a transcript to read records an empty answer', async () => {
    const s = withFake(
      'same-id',
      {},
      { CLAUDE_CONFIG_DIR: `${fake.dir}/config`, FAKE_CLAUDE_NO_TRANSCRIPT: '1' },
    );
    await s.interactive();
    expect(fake.invocations()[0]?.args).not.toContain('--');
    expect(s.messages().map((m) => `${m.role}:${m.content}`)).toEqual(['user:', 'assistant:']);
  });

  it('an interactive session that exits non-zero records the prompt as failed', async () => {
    const s = withFake('api-error');
    await expect(s.interactive('x')).rejects.toSatisfy(ClaudeRunError.is);
    expect(s.messages()).toMatchObject([{ content: 'x', turn: { isError: true } }]);
  });

  it('fork resumes the parent with --fork-session and its own id; the parent goes on unchanged', async () => {
    const parent = withFake('same-id', { name: 'parent' });
    await parent.claude('base');
    const child = parent.fork('child');
    await child.claude('branch');
    const call = fake.invocations().at(-1);
    expect(flag(call?.args ?? [], '--resume')).toBe(parent.id());
    expect(call?.args).toContain('--fork-session');
    const childId = flag(call?.args ?? [], '--session-id');
    expect(child.id()).toBe(childId);
    expect(child.id()).not.toBe(parent.id());
    expect(child.state().metadata.parent).toEqual({
      name: 'parent',
      sessionId: parent.id(),
      messageCount: 2,
    });
    expect(parent.messages()).toHaveLength(2);
    expect(child.messages()).toHaveLength(4);
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
