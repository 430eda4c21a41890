import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSessionState, type Message, type SessionState } from '@channelcoder/session-core';
import { afterEach } from 'vitest';

/** A fresh directory for one test, removed after it. */
export function useTempDirs(): () => string {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-storage-file-'));
    made.push(dir);
    return dir;
  };
}

export function message(id: string, content = `content of ${id}`): Message {
  return {
    id,
    role: id.endsWith('a') ? 'assistant' : 'user',
    content,
    timestamp: new Date('2026-01-02T03:04:05.678Z'),
    sessionId: 'claude-1',
  };
}

/** A new state with `count` messages m0, m1, … */
export function stateWith(count: number, name?: string): SessionState {
  const state = createSessionState({
    ...(name === undefined ? {} : { name }),
    now: new Date('2026-01-01T00:00:00Z'),
  });
  for (let i = 0; i < count; i++) state.messages.push(message(`m${i}`));
  state.sessionChain = ['claude-1'];
  state.currentSessionId = 'claude-1';
  return state;
}
