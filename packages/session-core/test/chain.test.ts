import { describe, expect, it } from 'vitest';
import {
  clearSession,
  createSessionState,
  fork,
  InvalidArgumentError,
  needsFork,
  recordTurn,
  resumeTarget,
  type SessionState,
  setCurrentSessionId,
  turnCost,
} from '../src/index.js';

const ok = (sessionId: string, extra: Record<string, number> = {}) => ({
  sessionId,
  text: `reply in ${sessionId}`,
  ...extra,
});

function turns(ids: string[], start: SessionState = createSessionState({ name: 's' })): SessionState {
  return ids.reduce((s, id, i) => recordTurn(s, { prompt: `prompt ${i}`, result: ok(id) }), start);
}

describe('recordTurn', () => {
  it('keeps one id when the CLI returns the same id on resume (Claude Code >= 1.0.124)', () => {
    const s = turns(['same', 'same', 'same']);
    expect(s.sessionChain).toEqual(['same']);
    expect(s.currentSessionId).toBe('same');
    expect(s.messages).toHaveLength(6);
    expect(s.messages.every((m) => m.sessionId === 'same')).toBe(true);
  });

  it('chains a new id per response for older CLIs, never duplicating', () => {
    const s = turns(['a', 'b', 'c', 'c']);
    expect(s.sessionChain).toEqual(['a', 'b', 'c']);
    expect(s.currentSessionId).toBe('c');
    expect(resumeTarget(s)).toBe('c');
    expect(s.messages.map((m) => m.sessionId)).toEqual(['a', 'a', 'b', 'b', 'c', 'c', 'c', 'c']);
  });

  it('does not change the state it was given (pure)', () => {
    const before = createSessionState({ name: 'pure' });
    const snapshot = structuredClone(before);
    recordTurn(before, { prompt: 'p', result: ok('x') });
    expect(before).toEqual(snapshot);
  });

  it('keeps a failed prompt with the error, records the reported id, and counts it', () => {
    const s = recordTurn(turns(['a']), {
      prompt: 'this one fails',
      result: { sessionId: 'a', isError: true, error: 'API Error: 500' },
    });
    expect(s.messages).toHaveLength(3);
    expect(s.messages[2]).toMatchObject({
      role: 'user',
      content: 'this one fails',
      turn: { isError: true, error: 'API Error: 500' },
    });
    expect(s.usage).toMatchObject({ turns: 2, failedTurns: 1 });
    const noId = recordTurn(createSessionState(), {
      prompt: 'p',
      result: { isError: true, error: 'claude not found' },
    });
    expect(noId.messages[0]?.sessionId).toBe('');
    expect(noId.sessionChain).toEqual([]);
    expect(noId.currentSessionId).toBeUndefined();
  });

  it('sums per-turn costs from the cumulative total_cost_usd, and tokens', () => {
    let s = createSessionState();
    s = recordTurn(s, {
      prompt: '1',
      result: ok('a', { totalCostUsd: 0.1, inputTokens: 10, outputTokens: 1 }),
    });
    s = recordTurn(s, {
      prompt: '2',
      result: ok('a', { totalCostUsd: 0.25, inputTokens: 20, outputTokens: 2 }),
    });
    s = recordTurn(s, {
      prompt: '3',
      result: ok('a', { totalCostUsd: 0.45, cacheReadTokens: 5, durationMs: 7 }),
    });
    expect(s.usage.totalCostUsd).toBeCloseTo(0.45, 10);
    expect(s.messages.filter((m) => m.role === 'assistant').map((m) => m.turn?.costUsd)).toEqual([
      0.1,
      expect.closeTo(0.15, 10),
      expect.closeTo(0.2, 10),
    ]);
    expect(s.usage).toMatchObject({
      turns: 3,
      inputTokens: 30,
      outputTokens: 3,
      cacheReadTokens: 5,
      durationMs: 7,
    });
  });

  it('takes an explicit per-turn cost as is, and a fresh conversation total as the turn cost', () => {
    const s = turns(['a']);
    expect(turnCost(s, { costUsd: 0.3, totalCostUsd: 9 })).toBe(0.3);
    expect(turnCost(createSessionState(), { totalCostUsd: 0.2 })).toBe(0.2);
    const withCost = recordTurn(createSessionState(), { prompt: 'p', result: ok('a', { totalCostUsd: 1 }) });
    expect(turnCost(withCost, { totalCostUsd: 0.4 })).toBe(0.4);
  });

  it('bumps lastActive to the turn time', () => {
    const s = recordTurn(createSessionState({ now: new Date(0) }), {
      prompt: 'p',
      result: ok('a'),
      at: new Date(5000),
    });
    expect(s.metadata.lastActive.getTime()).toBe(5000);
    expect(s.metadata.created.getTime()).toBe(0);
  });
});

describe('fork', () => {
  it('branches off the current conversation: parent set, empty chain, resumes the parent with --fork-session', () => {
    const source = turns(['p', 'p']);
    const f = fork(source, { name: 'branch' });
    expect(f.metadata.parent).toEqual({ name: 's', sessionId: 'p', messageCount: 4 });
    expect(f.metadata.name).toBe('branch');
    expect(f.revision).toBe(0);
    expect(f.sessionChain).toEqual([]);
    expect(f.messages.map((m) => m.content)).toEqual(source.messages.map((m) => m.content));
    expect(needsFork(f)).toBe(true);
    expect(resumeTarget(f)).toBe('p');
    expect(f.usage.turns).toBe(0);
  });

  it('starts the fork chain with the new id, leaving the source untouched', () => {
    const source = turns(['p']);
    const snapshot = structuredClone(source);
    const f = recordTurn(fork(source, { name: 'b' }), { prompt: 'in fork', result: ok('forked-id') });
    expect(f.sessionChain).toEqual(['forked-id']);
    expect(needsFork(f)).toBe(false);
    expect(resumeTarget(f)).toBe('forked-id');
    expect(source).toEqual(snapshot);
  });

  it('charges the fork only its own turns although the CLI total includes the parent history', () => {
    const source = recordTurn(createSessionState(), { prompt: '1', result: ok('p', { totalCostUsd: 0.5 }) });
    const f = recordTurn(fork(source), { prompt: '2', result: ok('f', { totalCostUsd: 0.7 }) });
    expect(f.usage.totalCostUsd).toBeCloseTo(0.2, 10);
  });

  it('refuses to fork a session without a conversation', () => {
    expect(() => fork(createSessionState())).toThrow(InvalidArgumentError);
  });
});

describe('clearSession and setCurrentSessionId', () => {
  it('clear resets chain, id and messages but keeps name, revision and the ledger', () => {
    const s = turns(['a', 'b']);
    s.revision = 4;
    const c = clearSession(s);
    expect(c.sessionChain).toEqual([]);
    expect(c.currentSessionId).toBeUndefined();
    expect(c.messages).toEqual([]);
    expect(c.metadata.name).toBe('s');
    expect(c.revision).toBe(4);
    expect(c.usage.turns).toBe(2);
    expect(resumeTarget(c)).toBeUndefined();
  });

  it('setCurrentSessionId points the next turn at the id, once in the chain', () => {
    const s = setCurrentSessionId(setCurrentSessionId(turns(['a']), 'manual'), 'manual');
    expect(s.sessionChain).toEqual(['a', 'manual']);
    expect(resumeTarget(s)).toBe('manual');
    expect(() => setCurrentSessionId(s, '')).toThrow(InvalidArgumentError);
  });
});

describe('appendTurn: the running conversation cost of a state appended in place', () => {
  it('gives every turn the same cost as a full scan, and rescans when the messages changed otherwise', async () => {
    const { appendTurn } = await import('../src/chain.js');
    const owned = createSessionState({ name: 'owned' });
    const copied = createSessionState({ name: 'copied' });
    let total = 0;
    for (let i = 1; i <= 40; i++) {
      total += (i % 7) * 0.013 + 0.001;
      const result = ok('conv', { totalCostUsd: total });
      const expected = turnCost(copied, result);
      appendTurn(owned, { prompt: `p${i}`, result, promptId: `id-${i}` });
      const next = recordTurn(copied, { prompt: `p${i}`, result, promptId: `id-${i}` });
      copied.messages = next.messages;
      copied.usage = next.usage;
      copied.sessionChain = next.sessionChain;
      copied.currentSessionId = next.currentSessionId;
      expect(owned.messages.at(-1)?.turn?.costUsd).toBe(expected);
    }
    expect(owned.messages.map((m) => m.turn?.costUsd)).toEqual(copied.messages.map((m) => m.turn?.costUsd));

    // The cost of the last message the running sum covered edited in place, then the last turn dropped:
    // each time a full scan again.
    const last = owned.messages.at(-3)!;
    last.turn = { ...last.turn, costUsd: 5 };
    const edited = ok('conv', { totalCostUsd: total + 6 });
    const scanned = turnCost(owned, edited);
    appendTurn(owned, { prompt: 'edited', result: edited });
    expect(owned.messages.at(-1)?.turn?.costUsd).toBe(scanned);
    owned.messages.length -= 2;
    const before = turnCost(owned, ok('conv', { totalCostUsd: 100 }));
    appendTurn(owned, { prompt: 'after', result: ok('conv', { totalCostUsd: 100 }) });
    expect(owned.messages.at(-1)?.turn?.costUsd).toBe(before);
  });
});
