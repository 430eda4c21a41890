import { createSessionState, type Message, type SessionState } from '@channelcoder/session-core';
import { newMessageId } from '@channelcoder/session-core/storage-kit';

let clock = Date.UTC(2026, 0, 1);

/** A strictly increasing timestamp, so orderings in tests never tie by accident. */
export function tick(ms = 1000): Date {
  clock += ms;
  return new Date(clock);
}

export interface StateSpec {
  name?: string;
  messages?: number;
  lastActive?: Date;
  content?: (index: number) => string;
  claudeId?: string;
}

/** A session state with `messages` alternating user/assistant messages and a filled ledger. */
export function makeState(spec: StateSpec = {}): SessionState {
  const created = tick();
  const state = createSessionState({ ...(spec.name === undefined ? {} : { name: spec.name }), now: created });
  const claudeId = spec.claudeId ?? newMessageId();
  for (let i = 0; i < (spec.messages ?? 2); i++)
    state.messages.push(makeMessage(i, claudeId, spec.content?.(i)));
  if (state.messages.length > 0) {
    state.sessionChain = [claudeId];
    state.currentSessionId = claudeId;
  }
  state.usage.turns = Math.ceil(state.messages.length / 2);
  state.usage.totalCostUsd = 0.0125 * state.usage.turns;
  state.usage.inputTokens = 100 * state.usage.turns;
  state.usage.outputTokens = 50 * state.usage.turns;
  state.metadata.lastActive = spec.lastActive ?? tick();
  return state;
}

export function makeMessage(index: number, claudeId: string, content?: string): Message {
  const role = index % 2 === 0 ? 'user' : 'assistant';
  const message: Message = {
    id: newMessageId(),
    role,
    content: content ?? `${role} message ${index}`,
    timestamp: tick(10),
    sessionId: claudeId,
  };
  if (role === 'assistant')
    message.turn = { costUsd: 0.0125, durationMs: 900 + index, inputTokens: 100, outputTokens: 50 };
  return message;
}

/** Appends `count` messages continuing the state's conversation (the state is changed in place). */
export function addMessages(state: SessionState, count: number): SessionState {
  const claudeId = state.currentSessionId ?? newMessageId();
  const start = state.messages.length;
  for (let i = 0; i < count; i++) state.messages.push(makeMessage(start + i, claudeId));
  state.metadata.lastActive = tick();
  return state;
}

/** A session as the seed-era ChannelCoder 3.x file storage wrote it: no formatVersion, revision or ids. */
export function seedEraDocument(): string {
  return JSON.stringify({
    sessionChain: ['1f0c5d1e-0000-4000-8000-000000000001', '1f0c5d1e-0000-4000-8000-000000000002'],
    currentSessionId: '1f0c5d1e-0000-4000-8000-000000000002',
    messages: [
      { role: 'user', content: 'What is TypeScript?', timestamp: '2025-06-01T10:00:00.000Z', sessionId: '' },
      {
        role: 'assistant',
        content: 'A typed superset of JavaScript.',
        timestamp: '2025-06-01T10:00:05.000Z',
        sessionId: '1f0c5d1e-0000-4000-8000-000000000001',
      },
    ],
    metadata: { name: 'legacy', created: '2025-06-01T09:59:00.000Z', lastActive: '2025-06-01T10:00:05.000Z' },
  });
}

/** A document from a format newer than this package understands. */
export function futureDocument(): string {
  return JSON.stringify({
    formatVersion: 99,
    revision: 1,
    sessionChain: [],
    messages: [],
    metadata: { created: '2030-01-01T00:00:00.000Z', lastActive: '2030-01-01T00:00:00.000Z' },
    usage: {},
    hologram: true,
  });
}
