import { describe, expect, it } from 'vitest';
import { adoptedSessionName, isValidSessionName, summarizeTranscript } from '../../src/index.js';

const ID = '3f1c1a52-8d3e-4b1a-9c57-2f0e1d4b7a90';

describe('adoptedSessionName', () => {
  it('is a slug of the first prompt and the short id, the same every time', () => {
    expect(adoptedSessionName('Fix the login bug, please!', ID)).toBe('fix-the-login-bug-please-3f1c1a52');
    expect(adoptedSessionName('Fix the login bug, please!', ID)).toBe(
      adoptedSessionName('Fix the login bug, please!', ID),
    );
    expect(adoptedSessionName('   ', ID)).toBe('session-3f1c1a52');
    expect(adoptedSessionName(undefined, ID)).toBe('session-3f1c1a52');
    const long = adoptedSessionName('a'.repeat(300), ID);
    expect(isValidSessionName(long)).toBe(true);
    expect(long).toBe(`${'a'.repeat(40)}-3f1c1a52`);
  });

  it('uses more of the id when the name is taken by another session', () => {
    const taken = new Set(['hello-3f1c1a52']);
    expect(adoptedSessionName('hello', ID, (n) => taken.has(n))).toBe('hello-3f1c1a528d3e');
  });
});

describe('summarizeTranscript', () => {
  it('splits turns at prompts, keeps the last answer, sums usage once per message, costs from cost lines', () => {
    const usage = { input_tokens: 10, output_tokens: 5 };
    const summary = summarizeTranscript(ID, [
      { type: 'user', cwd: '/w', timestamp: '2026-12-01T10:00:00Z', message: { content: 'one' } },
      { type: 'assistant', message: { id: 'm1', usage, content: [{ type: 'text', text: 'look' }] } },
      { type: 'assistant', message: { id: 'm1', usage, content: [{ type: 'tool_use', name: 'Read' }] } },
      { type: 'user', message: { content: [{ type: 'tool_result', content: 'x' }] } },
      {
        type: 'assistant',
        timestamp: '2026-12-01T10:00:05Z',
        message: { id: 'm2', usage, content: [{ type: 'text', text: 'done' }] },
      },
      { type: 'cost-state', totalCostUSD: 0.25 },
      { type: 'user', isSidechain: true, message: { content: 'agent prompt' } },
      { type: 'user', message: { content: 'two' } },
      { type: 'assistant', message: { id: 'm3', usage, content: [{ type: 'text', text: 'ok' }] } },
      { type: 'cost-state', totalCostUSD: 0.4 },
      { type: 'user', message: { content: 'three' } },
    ]);
    expect(summary.cwd).toBe('/w');
    expect(summary.totalCostUsd).toBe(0.4);
    expect(summary.turns.map((t) => [t.prompt, t.answer, t.inputTokens, t.costUsd])).toEqual([
      ['one', 'done', 20, 0.25],
      ['two', 'ok', 10, expect.closeTo(0.15, 10)],
      ['three', '', 0, undefined],
    ]);
    expect(summary.turns[0]?.at.toISOString()).toBe('2026-12-01T10:00:05.000Z');
  });
});
