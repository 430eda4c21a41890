/** The viewer's pure readings: turns with their transcript steps, and cost per day. */
import { createSessionState, fork, recordTurn, type SessionState } from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { conversationTurns } from '../src/viewer/conversation-view.js';
import { costReport, dayOf } from '../src/viewer/cost-series.js';

const turn = (state: SessionState, prompt: string, costUsd: number, isError = false) =>
  recordTurn(state, {
    prompt,
    result: { sessionId: 'c1', text: isError ? 'boom' : `re: ${prompt}`, costUsd, isError, durationMs: 5 },
  });

describe('conversationTurns', () => {
  it('puts tool calls and results under the turn whose prompt the transcript shows, a failed prompt merged into the next', () => {
    let s = createSessionState({ name: 'a' });
    s = turn(s, 'first', 0.1, true);
    s = turn(s, 'second', 0.2);
    const items = [
      // The CLI keeps a failed prompt and merges the next one into it.
      { kind: 'prompt' as const, text: 'first\nsecond' },
      { kind: 'tool_call' as const, id: 't1', name: 'Read', input: { file_path: '/x' } },
      { kind: 'tool_result' as const, toolUseId: 't1', text: 'content', isError: false },
      { kind: 'answer' as const, text: 're: second' },
    ];
    const turns = conversationTurns(s.messages, items);
    expect(turns.map((t) => t.status)).toEqual(['failed', 'completed']);
    expect(turns[0]?.steps).toEqual([]);
    expect(turns[1]?.steps).toEqual([
      {
        kind: 'tool',
        id: 't1',
        name: 'Read',
        input: { file_path: '/x' },
        result: { text: 'content', isError: false },
      },
    ]);
    expect(turns[1]?.costUsd).toBe(0.2);
  });
});

describe('costReport', () => {
  it("counts a fork's copied turns with its parent only, and a two-tag turn once in the total", () => {
    let parent = createSessionState({ name: 'p', tags: ['a', 'b'] });
    parent = turn(parent, 'one', 0.5);
    let child = fork(parent, { name: 'c' });
    child = turn(child, 'two', 0.25);
    const today = dayOf(new Date());
    const report = costReport(
      [
        { name: 'p', state: parent },
        { name: 'c', state: child },
      ],
      { by: 'tag', from: today, to: today },
    );
    expect(report.total.costUsd).toBeCloseTo(0.75, 12);
    expect(report.total.turns).toBe(2);
    expect(report.series.map((s) => [s.key, s.costUsd[0]])).toEqual([
      ['a', 0.75],
      ['b', 0.75],
    ]);
    const bySession = costReport([{ name: 'c', state: child }], { by: 'session', from: today, to: today });
    expect(bySession.total.costUsd).toBe(0.25);
  });
});
