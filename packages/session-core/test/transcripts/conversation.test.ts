import { describe, expect, it } from 'vitest';
import { conversationItemText, readConversation } from '../../src/index.js';

const prompt = (uuid: string, content: unknown, extra: object = {}) => ({
  type: 'user',
  uuid,
  timestamp: '2026-12-01T10:00:00.000Z',
  message: { role: 'user', content },
  ...extra,
});
const assistant = (uuid: string, content: unknown[], extra: object = {}) => ({
  type: 'assistant',
  uuid,
  message: { role: 'assistant', model: 'claude-x', content },
  ...extra,
});

describe('readConversation', () => {
  it('turns transcript lines into prompts, thinking, answers, tool calls and results, in order', () => {
    const items = readConversation([
      { type: 'queue-operation', operation: 'enqueue', content: 'hi' },
      prompt('u1', 'hi'),
      { type: 'attachment', attachment: { type: 'date' } },
      assistant('a1', [{ type: 'thinking', thinking: 'hmm', signature: 's' }]),
      assistant('a2', [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'ls' } }]),
      prompt('u2', [
        {
          type: 'tool_result',
          tool_use_id: 't1',
          content: [{ type: 'text', text: 'a.txt' }, { type: 'image' }],
        },
      ]),
      prompt('u3', [{ type: 'tool_result', tool_use_id: 't2', content: 'boom', is_error: true }]),
      assistant('a3', [{ type: 'text', text: 'done' }]),
      { type: 'cost-state', totalCostUSD: 1 },
    ]);
    expect(items.map((i) => i.kind)).toEqual([
      'prompt',
      'thinking',
      'tool_call',
      'tool_result',
      'tool_result',
      'answer',
    ]);
    expect(items[0]).toEqual({
      kind: 'prompt',
      text: 'hi',
      timestamp: '2026-12-01T10:00:00.000Z',
      uuid: 'u1',
    });
    expect(items[2]).toMatchObject({ kind: 'tool_call', id: 't1', name: 'Bash', input: { command: 'ls' } });
    expect(items[3]).toMatchObject({
      kind: 'tool_result',
      toolUseId: 't1',
      text: 'a.txt\n[image]',
      isError: false,
    });
    expect(items[4]).toMatchObject({ isError: true, text: 'boom' });
    expect(items[5]).toMatchObject({ kind: 'answer', text: 'done', model: 'claude-x' });
    expect(conversationItemText(items[2] as (typeof items)[number])).toBe('Bash {"command":"ls"}');
  });

  it('skips sub-agent and meta entries, empty thinking, and lines it does not know', () => {
    const items = readConversation([
      prompt('u1', 'visible'),
      prompt('u2', 'caveat', { isMeta: true }),
      assistant('a1', [{ type: 'text', text: 'agent work' }], { isSidechain: true }),
      assistant('a2', [
        { type: 'thinking', thinking: '' },
        { type: 'redacted_thinking', data: 'x' },
      ]),
      'not an object',
      null,
      { type: 'user' },
    ]);
    expect(items.map((i) => (i.kind === 'tool_call' ? i.name : i.text))).toEqual(['visible']);
  });

  it('shows history copied into a fork or resumed transcript once (same uuid)', () => {
    const first = [prompt('u1', 'one'), assistant('a1', [{ type: 'text', text: 'first' }])];
    const fork = [...first, prompt('u2', 'two'), assistant('a2', [{ type: 'text', text: 'second' }])];
    expect(readConversation([...first, ...fork]).map((i) => (i.kind === 'tool_call' ? '' : i.text))).toEqual([
      'one',
      'first',
      'two',
      'second',
    ]);
  });
});
