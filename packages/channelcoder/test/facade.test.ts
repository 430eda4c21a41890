/** The facade: `session()` defaults to the file storage with autosave on; the seed API is all there. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClaudeResult, type ClaudeRunner, session as coreSession } from '@channelcoder/session-core';
import { beforeAll, describe, expect, it } from 'vitest';
import * as channelcoder from '../src/index.js';

const home = mkdtempSync(join(tmpdir(), 'cc-facade-'));
beforeAll(() => {
  // Read when the default storage is first used.
  process.env.CHANNELCODER_HOME = home;
});

/** Answers every turn without a process: the test is about where sessions go, not about Claude. */
const runner: ClaudeRunner = {
  run: async (prompt, options) =>
    ({
      text: `echo: ${prompt}`,
      sessionId: options.resume ?? options.sessionId ?? '00000000-0000-4000-8000-000000000000',
      totalCostUsd: 0.001,
      usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheCreationTokens: 0 },
      isError: false,
      raw: {},
    }) satisfies ClaudeResult,
  stream: () => {
    throw new Error('not used');
  },
  interactive: () => Promise.reject(new Error('not used')),
  detached: () => Promise.reject(new Error('not used')),
};

describe('channelcoder facade', () => {
  it('exports the seed API', () => {
    for (const name of [
      'session',
      'FileSessionStorage',
      'claude',
      'stream',
      'run',
      'interactive',
      'detached',
    ]) {
      expect(typeof (channelcoder as Record<string, unknown>)[name]).toBe('function');
    }
    for (const name of ['load', 'list', 'remove', 'exists'] as const) {
      expect(typeof channelcoder.session[name]).toBe('function');
    }
    expect(channelcoder.session).not.toBe(coreSession);
  });

  it('session() autosaves every turn to $CHANNELCODER_HOME/sessions, one entry per session', async () => {
    const s = channelcoder.session({ runner });
    await s.claude('one');
    await s.claude('two');
    const name = s.name() as string;
    expect(existsSync(join(home, 'sessions', name, 'head.json'))).toBe(true);
    const infos = await channelcoder.session.list();
    expect(infos.map((i) => [i.name, i.messageCount])).toEqual([[name, 4]]);
    expect(channelcoder.defaultFileStorage().root).toBe(join(home, 'sessions'));

    await s.save('named');
    expect((await channelcoder.session.list()).map((i) => i.name)).toEqual(['named']);
    const loaded = await channelcoder.session.load('named', { runner });
    expect(loaded.messages().map((m) => m.content)).toEqual(['one', 'echo: one', 'two', 'echo: two']);
    expect(await channelcoder.session.exists('named')).toBe(true);
    expect(await channelcoder.session.remove('named')).toBe(true);
    expect(await channelcoder.session.exists('named')).toBe(false);
  });

  it('autoSave: false saves nothing until save()', async () => {
    const s = channelcoder.session({ runner, autoSave: false, name: 'manual' });
    await s.claude('quiet');
    expect(await channelcoder.session.exists('manual')).toBe(false);
    await s.save();
    expect(await channelcoder.session.exists('manual')).toBe(true);
  });

  it('a FileSessionStorage of its own, seed style', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-facade-own-'));
    const storage = new channelcoder.FileSessionStorage(dir);
    const s = channelcoder.session({ runner, storage, name: 'elsewhere' });
    await s.claude('hi');
    expect((await storage.list()).map((i) => i.name)).toEqual(['elsewhere']);
    expect(await channelcoder.session.exists('elsewhere')).toBe(false);
  });
});
