import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordTurn } from '../../src/chain.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import { deserializeState, serializeState } from '../../src/serialize.js';
import { session } from '../../src/session/factory.js';
import {
  recoverTurns,
  recoverTurnsSince,
  type TranscriptMarkHolder,
  transcriptTurnsAfter,
} from '../../src/session/recovery.js';
import { createSessionState, type SessionState } from '../../src/state.js';

const ID = '11111111-2222-4333-8444-555555555555';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function configWith(lines: object[]): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'recovery-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'projects', '-work'), { recursive: true });
  writeFileSync(
    join(dir, 'projects', '-work', `${ID}.jsonl`),
    `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`,
  );
  return { CLAUDE_CONFIG_DIR: dir };
}

const user = (uuid: string, at: string, content: string) => ({
  type: 'user',
  uuid,
  timestamp: at,
  message: { role: 'user', content },
});
const assistant = (at: string, text: string) => ({
  type: 'assistant',
  timestamp: at,
  message: {
    role: 'assistant',
    content: [{ type: 'text', text }],
    usage: { input_tokens: 7, output_tokens: 3 },
  },
});

function storedWithOneTurn(): SessionState {
  return recordTurn(createSessionState({ name: 's' }), {
    prompt: 'one',
    result: { text: 'first', sessionId: ID },
    at: new Date('2026-01-01T00:00:10Z'),
  });
}

describe('recovering turns from the local transcript (DESIGN 11)', () => {
  it('adopts exchanges newer than the last stored message: marked recovered, tokens kept, cost unknown', async () => {
    const env = configWith([
      user('u1', '2026-01-01T00:00:05Z', 'one'),
      assistant('2026-01-01T00:00:06Z', 'first'),
      user('u2', '2026-01-01T00:00:20Z', 'two'),
      assistant('2026-01-01T00:00:21Z', 'second'),
    ]);
    const state = await recoverTurns(storedWithOneTurn(), { env });
    expect(state.messages.map((m) => [m.content, m.recovered === true])).toEqual([
      ['one', false],
      ['first', false],
      ['two', true],
      ['second', true],
    ]);
    expect(state.messages[3]?.turn).toMatchObject({ inputTokens: 7, outputTokens: 3, costUnknown: true });
    expect(state.usage.turns).toBe(2);
    // Deterministic ids: another process recovering the same turn records the same messages.
    const again = await recoverTurns(storedWithOneTurn(), { env });
    expect(again.messages.map((m) => m.id).slice(2)).toEqual(state.messages.map((m) => m.id).slice(2));
  });

  it('nothing newer: the same state comes back', async () => {
    const env = configWith([
      user('u1', '2026-01-01T00:00:05Z', 'one'),
      assistant('2026-01-01T00:00:06Z', 'first'),
    ]);
    const stored = storedWithOneTurn();
    expect(await recoverTurns(stored, { env })).toBe(stored);
  });

  it('a pending turn the transcript shows answered is recorded under its prompt id', async () => {
    const env = configWith([
      user('u9', '2026-01-01T00:01:01Z', 'two'),
      assistant('2026-01-01T00:01:02Z', 'late answer'),
    ]);
    const stored = storedWithOneTurn();
    stored.pendingTurn = {
      promptId: 'p-2',
      prompt: 'two',
      claudeSessionId: ID,
      startedAt: new Date('2026-01-01T00:01:00Z'),
    };
    const state = await recoverTurns(stored, { env });
    expect(state.pendingTurn).toBeUndefined();
    expect(state.messages.slice(2)).toMatchObject([
      { id: 'p-2', content: 'two', recovered: true },
      { content: 'late answer', recovered: true },
    ]);
  });

  it('a pending turn the transcript shows unanswered, or does not show, is a failed interrupted turn', async () => {
    const env = configWith([user('u9', '2026-01-01T00:01:01Z', 'two')]);
    const stored = storedWithOneTurn();
    stored.pendingTurn = {
      promptId: 'p-2',
      prompt: 'two',
      claudeSessionId: ID,
      startedAt: new Date('2026-01-01T00:01:00Z'),
    };
    const cut = await recoverTurns(stored, { env });
    expect(cut.messages.at(-1)).toMatchObject({
      id: 'p-2',
      content: 'two',
      turn: { isError: true, interrupted: true },
    });
    expect(cut.usage).toMatchObject({ turns: 2, failedTurns: 1 });

    const nothing = await recoverTurns(stored, {
      env: { CLAUDE_CONFIG_DIR: join(tmpdir(), 'no-such-config') },
    });
    expect(nothing.messages.at(-1)).toMatchObject({ id: 'p-2', turn: { isError: true, interrupted: true } });
    expect(nothing.pendingTurn).toBeUndefined();
    expect(nothing.currentSessionId).toBe(ID);
  });

  it('session.load() keeps where its read ended, so the first turn reads only what the transcript gained', async () => {
    const env = configWith([
      user('u1', '2026-01-01T00:00:05Z', 'one'),
      assistant('2026-01-01T00:00:06Z', 'first'),
      user('u2', '2026-01-01T00:00:20Z', 'two'),
      assistant('2026-01-01T00:00:21Z', 'second'),
    ]);
    const storage = new MemorySessionStorage();
    await storage.save(storedWithOneTurn());
    const loaded = await session.load('s', { storage, defaults: { env } });
    // The turn the store lacked is adopted, and the object holds the mark the turn's check starts from.
    expect(loaded.messages().map((m) => m.content)).toEqual(['one', 'first', 'two', 'second']);
    const file = join(env.CLAUDE_CONFIG_DIR as string, 'projects', '-work', `${ID}.jsonl`);
    const holder = Reflect.get(loaded, 'transcriptMark') as TranscriptMarkHolder;
    expect(holder.mark?.offset).toBe(readFileSync(file).indexOf('{"type":"user","uuid":"u2"'));
  });

  it('before each turn it reads only what the transcript gained, and finds what a whole read finds', async () => {
    const env = configWith([
      user('u1', '2026-01-01T00:00:05Z', 'one'),
      assistant('2026-01-01T00:00:06Z', 'first'),
    ]);
    const file = join(env.CLAUDE_CONFIG_DIR as string, 'projects', '-work', `${ID}.jsonl`);
    const append = (...lines: object[]) =>
      appendFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const offsetOf = (uuid: string) => readFileSync(file).indexOf(`{"type":"user","uuid":"${uuid}"`);
    const holder: TranscriptMarkHolder = {};
    const contents = (s: SessionState) => s.messages.map((m) => [m.id, m.content, m.recovered === true]);
    const same = async (state: SessionState) => {
      const incremental = await recoverTurnsSince(state, { env }, holder);
      expect(contents(incremental)).toEqual(contents(await recoverTurns(state, { env })));
      return incremental;
    };

    let state = storedWithOneTurn();
    expect(await same(state)).toBe(state);
    expect(holder.mark?.offset).toBe(0);

    // A turn is added (its answer torn at first): the read starts at the last prompt's line.
    append(user('u2', '2026-01-01T00:00:20Z', 'two'));
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"type":"assistant","mess`);
    state = await same(state);
    expect(state.messages.at(-1)).toMatchObject({ content: 'two', turn: { interrupted: true } });
    expect(holder.mark?.offset).toBe(offsetOf('u2'));

    // The answer lands and another turn follows: only the lines from u2's prompt on are read.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\{"type":"assistant","mess$/, ''));
    append(assistant('2026-01-01T00:00:21Z', 'second'), user('u3', '2026-01-01T00:00:30Z', 'three'));
    append(assistant('2026-01-01T00:00:31Z', 'third'));
    const stored = storedWithOneTurn();
    state = await same(stored);
    expect(state.messages.slice(2).map((m) => m.content)).toEqual(['two', 'second', 'three', 'third']);
    expect(holder.mark?.offset).toBe(offsetOf('u3'));

    // A state older than prompts before the mark (another writer's, or a cleared session): a whole read.
    const older = recordTurn(createSessionState({ name: 's' }), {
      prompt: 'zero',
      result: { text: 'none', sessionId: ID },
      at: new Date('2026-01-01T00:00:01Z'),
    });
    expect((await same(older)).messages.map((m) => m.content)).toEqual([
      'zero',
      'none',
      'one',
      'first',
      'two',
      'second',
      'three',
      'third',
    ]);

    // The file replaced by another one (a restore): the mark's line is not in place, so a whole read.
    writeFileSync(
      file,
      `${[user('u1', '2026-01-01T00:00:05Z', 'one'), user('u4', '2026-01-01T00:00:40Z', 'four')]
        .map((l) => JSON.stringify(l))
        .join('\n')}\n`,
    );
    expect((await same(stored)).messages.slice(2).map((m) => m.content)).toEqual(['four']);
    expect(holder.mark?.offset).toBe(offsetOf('u4'));
  });

  it('reads defensively: torn last lines, meta entries, tool results and API error reports', () => {
    const lines = [
      JSON.stringify(user('u1', '2026-01-01T00:00:20Z', 'two')),
      JSON.stringify({ ...user('m', '2026-01-01T00:00:20Z', 'meta'), isMeta: true }),
      JSON.stringify({ ...assistant('2026-01-01T00:00:21Z', 'API Error: 500'), isApiErrorMessage: true }),
      '{"type":"assistant","mess',
    ];
    expect(transcriptTurnsAfter(lines, new Date('2026-01-01T00:00:00Z'))).toMatchObject([
      { prompt: 'two', completed: false },
    ]);
  });
});

describe('the pending-turn marker in the stored format', () => {
  it('round-trips, and documents written before it existed load without one', () => {
    const state = storedWithOneTurn();
    state.pendingTurn = { promptId: 'p', prompt: 'x', startedAt: new Date('2026-01-01T00:00:00Z') };
    state.messages[1] = { ...state.messages[1], recovered: true } as SessionState['messages'][number];
    const back = deserializeState(serializeState(state), { name: 's' });
    expect(back.pendingTurn).toEqual(state.pendingTurn);
    expect(back.messages[1]?.recovered).toBe(true);
    const older = JSON.parse(serializeState(storedWithOneTurn()));
    delete older.pendingTurn;
    expect(deserializeState(older, { name: 's' }).pendingTurn).toBeUndefined();
    expect(() => deserializeState({ ...older, pendingTurn: { prompt: 1 } }, { name: 's' })).toThrow(
      /pendingTurn/,
    );
  });
});
