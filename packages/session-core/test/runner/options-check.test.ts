/**
 * Option objects are checked when a call is made: an unknown key is an UnknownOptionError naming it (with
 * the key it most likely meant) before any process starts; `verbose` prints the CLI's stream.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import { detached } from '../../src/runner/detached.js';
import { closestName, UnknownOptionError } from '../../src/runner/options-check.js';
import { claude, run } from '../../src/runner/run.js';
import { stream } from '../../src/runner/stream.js';
import { session } from '../../src/session/factory.js';
import { type FakeCli, makeFakeCli } from './support/fake-env.js';

let fake: FakeCli;
beforeEach(() => {
  fake = makeFakeCli();
});
afterEach(() => fake.remove());

/** The error a call rejects (or throws) with. */
async function failure(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error('the call did not fail');
}

describe('unknown option keys', () => {
  it('are refused by every entry point, naming the key and the one it most likely meant; nothing runs', async () => {
    const storage = new MemorySessionStorage();
    const s = session({ storage, defaults: { env: fake.env() } });
    const cases: Array<[() => unknown, string, string | undefined, string]> = [
      [() => run('hi', { env: fake.env(), modle: 'sonnet' } as never), 'modle', 'model', 'run()'],
      [() => claude('hi', { max_turns: 2 } as never), 'max_turns', 'maxTurns', 'run()'],
      [
        () => stream('hi', { 'allowed-tools': ['Read'] } as never),
        'allowed-tools',
        'allowedTools',
        'stream()',
      ],
      [() => detached('hi', { logfile: 'x' } as never), 'logfile', 'logFile', 'detached()'],
      [
        () => s.claude('hi', { systemPromt: 'x' } as never),
        'systemPromt',
        'systemPrompt',
        'session.claude()',
      ],
      [() => s.run('hi', { colour: 'red' } as never), 'colour', undefined, 'session.claude()'],
      [() => s.stream('hi', { onbusy: 'fail' } as never), 'onbusy', 'onBusy', 'session.stream()'],
      [() => s.interactive('hi', { modl: 'x' } as never), 'modl', 'model', 'session.interactive()'],
      [() => s.detached('hi', { logFil: 'x' } as never), 'logFil', 'logFile', 'session.detached()'],
      [() => session({ storage, autosave: false } as never), 'autosave', 'autoSave', 'session()'],
      [
        () => session({ storage, defaults: { modle: 'x' } } as never),
        'modle',
        'model',
        'the defaults of session()',
      ],
      [() => session.load('x', { storage, name: 'y' } as never), 'name', undefined, 'session.load()'],
    ];
    for (const [call, option, suggestion, where] of cases) {
      const err = await failure(call);
      expect(UnknownOptionError.is(err), `${where} ${option}`).toBe(true);
      expect(err).toBeInstanceOf(UnknownOptionError);
      const e = err as UnknownOptionError;
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect([e.option, e.suggestion, e.where]).toEqual([option, suggestion, where]);
      expect(e.message).toContain(`Unknown option "${option}" in ${where}`);
      if (suggestion !== undefined) expect(e.message).toContain(`did you mean "${suggestion}"?`);
      else expect(e.message).not.toContain('did you mean');
    }
    expect(fake.invocations()).toEqual([]);
    expect(await storage.list()).toEqual([]);
  });

  it('a session turn says that the session chooses resume, forkSession and sessionId itself', async () => {
    const s = session({ storage: new MemorySessionStorage() });
    const err = await failure(() => s.claude('hi', { resume: 'abc' } as never));
    expect(InvalidArgumentError.is(err)).toBe(true);
    expect((err as Error).message).toMatch(/resume is chosen by the session.*session\.load\(\).*setId/);
  });

  it('accepts every declared option, the run modes and a polluted prototype', async () => {
    const s = session({ storage: new MemorySessionStorage(), defaults: { env: fake.env() } });
    await s.claude('one', { model: 'sonnet', maxTurns: 2, onBusy: 'fail', worktree: undefined } as never);
    const inherited = Object.create({ modle: 'x' }) as Record<string, unknown>;
    inherited.model = 'haiku';
    await s.claude('two', inherited);
    expect(fake.invocations()).toHaveLength(2);
    expect(closestName('modle', ['model', 'maxTurns'])).toBe('model');
    expect(closestName('id', ['cwd', 'env'])).toBeUndefined();
    expect(await failure(() => run('hi', 'sonnet' as never))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('verbose', () => {
  it('prints the CLI stream on stderr in print mode; detached refuses it', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run('hello', { env: fake.env(), verbose: true });
    } finally {
      spy.mockRestore();
    }
    const lines = written.join('').trim().split('\n');
    const parsed = lines.map((l) => JSON.parse(l) as { type: string; result?: string });
    expect(parsed.at(-1)).toMatchObject({ type: 'result', result: result.text });
    expect(parsed.length).toBeGreaterThan(1);

    const err = await failure(() => detached('hi', { env: fake.env(), verbose: true }));
    expect((err as Error).message).toMatch(/verbose does not apply to a detached run.*logFile/);
  });
});
