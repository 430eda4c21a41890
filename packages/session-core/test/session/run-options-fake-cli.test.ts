/** Sticky run options: what a session keeps from its first turn, against the fake CLI (its argv recorded). */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSessionState, recordTurn } from '../../src/index.js';
import { flag, useFakeSessions } from './support/fake-sessions.js';

const ctx = useFakeSessions();

describe('sticky run options', () => {
  it('the first turn sets them; later turns, a load and a fork reuse them; a call overrides only itself', async () => {
    const dir = join(ctx.fake.dir, 'project');
    mkdirSync(dir);
    const env = ctx.fake.env('same-id');
    const s = ctx.session({ name: 'kept', defaults: { env } });
    await s.claude('one', {
      model: 'opus',
      allowedTools: ['Read', 'Bash(git log:*)'],
      disallowedTools: ['WebFetch'],
      permissionMode: 'plan',
      cwd: dir,
      maxTurns: 2,
    });
    await s.claude('two');
    await s.claude('three', { model: 'haiku', permissionMode: 'default' });
    const loaded = await ctx.session.load('kept', { defaults: { env } });
    await loaded.claude('four');
    await loaded.fork('kept-fork').claude('five');

    const calls = ctx.fake.invocations();
    expect(calls.map((c) => flag(c.args, '--model'))).toEqual(['opus', 'opus', 'haiku', 'opus', 'opus']);
    expect(calls.map((c) => flag(c.args, '--permission-mode'))).toEqual([
      'plan',
      'plan',
      'default',
      'plan',
      'plan',
    ]);
    for (const call of calls) {
      expect(call.cwd).toBe(dir);
      expect(flag(call.args, '--allowedTools')).toBe('Read');
      expect(call.args).toContain('Bash(git log:*)');
      expect(flag(call.args, '--disallowedTools')).toBe('WebFetch');
    }
    // maxTurns belongs to one call: not kept.
    expect(calls.map((c) => flag(c.args, '--max-turns'))).toEqual([
      '2',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    const stored = await ctx.storage.load('kept');
    expect(stored.metadata.runOptions).toEqual({
      model: 'opus',
      permissionMode: 'plan',
      allowedTools: ['Read', 'Bash(git log:*)'],
      disallowedTools: ['WebFetch'],
    });
    expect(stored.metadata.cwd).toBe(dir);
  });

  it('a session stored before sticky options existed runs as before', async () => {
    const env = ctx.fake.env('same-id');
    let old = createSessionState({ name: 'old' });
    old = recordTurn(old, {
      prompt: 'p',
      result: { sessionId: '3f1c1a52-8d3e-4b1a-9c57-2f0e1d4b7a90', text: 'a' },
    });
    await ctx.storage.save(old);
    const s = await ctx.session.load('old', { defaults: { env } });
    await s.claude('again', { model: 'opus' });
    await s.claude('and again');
    expect(ctx.fake.invocations().map((c) => flag(c.args, '--model'))).toEqual(['opus', undefined]);
    expect((await ctx.storage.load('old')).metadata.runOptions).toBeUndefined();
  });
});
