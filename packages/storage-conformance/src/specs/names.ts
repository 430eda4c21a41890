import { InvalidSessionNameError, type SessionStorage } from '@channelcoder/session-core';
import { makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

export const INVALID_NAMES: readonly string[] = [
  '',
  '../escape',
  '../../etc/passwd',
  '/etc/passwd',
  'a/b',
  'a\\b',
  'nul\u0000byte',
  '.hidden',
  '..',
  'a..b',
  '-dash-first',
  '_underscore-first',
  ' space-first',
  'has space',
  'star*',
  'percent%',
  'question?',
  'newline\n',
  'x'.repeat(129),
  'ünïcode',
];

export function namesSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  it('accepts letters, digits, dot, underscore and dash up to 128 characters', async () => {
    const storage = await ctx.fresh();
    for (const name of ['a', 'A-b_c.d', '0-starts-with-digit', 'x'.repeat(128)]) {
      expect(await storage.save(makeState(), name)).toBe(name);
      expect((await storage.load(name)).metadata.name).toBe(name);
    }
  });

  it('strips a trailing .json (seed compatibility): "x.json" and "x" are one session', async () => {
    const storage = await ctx.fresh();
    expect(await storage.save(makeState(), 'notes.json')).toBe('notes');
    expect((await storage.load('notes')).metadata.name).toBe('notes');
    expect((await storage.load('notes.json')).metadata.name).toBe('notes');
    expect((await storage.list()).map((i) => i.name)).toEqual(['notes']);
  });

  it('rejects every invalid name with InvalidSessionNameError on every method and stores nothing', async () => {
    const storage = await ctx.fresh();
    await storage.save(makeState(), 'keep');
    for (const name of INVALID_NAMES) {
      const attempts: Promise<unknown>[] = [storage.save(makeState(), name), storage.load(name)];
      if (storage.remove) attempts.push(storage.remove(name));
      if (storage.exists) attempts.push(storage.exists(name));
      for (const attempt of attempts) {
        const err = await attempt.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(InvalidSessionNameError.is(err), `name ${JSON.stringify(name)} must be rejected`).toBe(true);
      }
    }
    expect((await storage.list()).map((i) => i.name)).toEqual(['keep']);
    expect((await storage.load('keep')).messages).toHaveLength(2);
  });

  it('rejects an invalid metadata.name when saving without an explicit name', async () => {
    const storage = await ctx.fresh();
    const state = makeState({ name: '../outside' });
    const err = await storage.save(state).catch((e: unknown) => e);
    expect(InvalidSessionNameError.is(err)).toBe(true);
    expect(await storage.list()).toEqual([]);
  });
}
