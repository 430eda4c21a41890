import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeNotFoundError, ClaudeRunError, ResumeNotFoundError } from '../../src/errors.js';
import { detached } from '../../src/runner/detached.js';
import { readDetachedLog } from '../../src/runner/detached-log.js';
import { claude, run } from '../../src/runner/run.js';
import { stream } from '../../src/runner/stream.js';
import type { StreamEvent } from '../../src/runner/stream-json.js';
import { type FakeCli, makeFakeCli } from './support/fake-env.js';

const UUID = '3b28a804-0990-4954-ac0f-2375b103f84b';
let fake: FakeCli;
beforeEach(() => {
  fake = makeFakeCli();
});
afterEach(() => fake.remove());

/** Running (a zombie waiting for its new parent to reap it counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

describe('run() against a fake claude', () => {
  it('sends the prompt on stdin, the flags as arguments, and runs in cwd with env', async () => {
    const result = await run('hello\nworld', {
      env: fake.env('same-id', { FAKE_EXTRA: 'yes' }),
      cwd: fake.dir,
      model: 'sonnet',
      sessionId: UUID,
    });
    expect(result.text).toBe('echo: hello\nworld');
    expect(result.sessionId).toBe(UUID);
    expect(result.usage).toEqual({
      inputTokens: 3,
      outputTokens: 4,
      cacheReadTokens: 1,
      cacheCreationTokens: 2,
    });
    const [call] = fake.invocations();
    expect(call?.stdin).toBe('hello\nworld');
    expect(call?.args).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--session-id',
      UUID,
      '--model',
      'sonnet',
    ]);
    expect(call?.cwd).toBe(fake.dir);
    expect(call?.env.FAKE_EXTRA).toBe('yes');
  });

  it('handles lines split across many small reads and reports every event in order', async () => {
    const events: StreamEvent[] = [];
    const result = await run('x', {
      env: fake.env('same-id', { FAKE_CLAUDE_CHUNKED: '1' }),
      onEvent: (e) => events.push(e),
    });
    expect(result.text).toBe('echo: x');
    expect(events.map((e) => e.type)).toEqual(['system', 'assistant', 'assistant', 'result']);
  });

  it('tolerates garbage lines and unknown line types', async () => {
    const events: StreamEvent[] = [];
    const result = await run('x', { env: fake.env('garbage'), onEvent: (e) => events.push(e) });
    expect(result.text).toBe('echo: x');
    expect(events.filter((e) => e.type === 'invalid')).toHaveLength(2);
    expect(events.some((e) => e.type === 'unknown' && e.lineType === 'brand_new_line_type')).toBe(true);
  });

  it('claude works as a tagged template', async () => {
    const topic = 'generics';
    process.env.CLAUDE_BIN = fake.bin;
    try {
      const result = await claude`Explain ${topic} briefly`;
      expect(result.text).toBe('echo: Explain generics briefly');
      // A result reads as its text inside the next prompt.
      expect(`Continue from: ${result}`).toBe('Continue from: echo: Explain generics briefly');
      expect(Object.keys(result)).not.toContain('toString');
    } finally {
      delete process.env.CLAUDE_BIN;
    }
  });

  it('is_error fails the run with ClaudeRunError carrying exit code, result line and session id', async () => {
    const err = await run('x', { env: fake.env('api-error'), sessionId: UUID }).catch((e: unknown) => e);
    expect(ClaudeRunError.is(err)).toBe(true);
    expect(ResumeNotFoundError.is(err)).toBe(false);
    const runError = err as ClaudeRunError;
    expect(runError.exitCode).toBe(1);
    expect(runError.sessionId).toBe(UUID);
    expect(runError.resultLine?.api_error_status).toBe(500);
    expect(runError.message).toContain('API Error: 500 boom');
  });

  it('an unknown resume id is ResumeNotFoundError', async () => {
    const err = await run('x', { env: fake.env('no-conversation'), resume: UUID }).catch((e: unknown) => e);
    expect(ResumeNotFoundError.is(err)).toBe(true);
    expect((err as ResumeNotFoundError).resumeId).toBe(UUID);
  });

  it('no result line and a non-zero exit is ClaudeRunError with stderr', async () => {
    const err = await run('x', { env: fake.env('no-result') }).catch((e: unknown) => e);
    expect(ClaudeRunError.is(err)).toBe(true);
    expect((err as ClaudeRunError).exitCode).toBe(3);
    expect((err as ClaudeRunError).stderr).toContain('fatal: something broke');
    expect((err as Error).message).toContain('fatal: something broke');
  });

  it('a binary that is not there is ClaudeNotFoundError with the install hint', async () => {
    const missing = join(fake.dir, 'nope', 'claude');
    const err = await run('x', { env: { CLAUDE_BIN: missing } }).catch((e: unknown) => e);
    expect(ClaudeNotFoundError.is(err)).toBe(true);
    expect((err as ClaudeNotFoundError).binary).toBe(missing);
    expect((err as Error).message).toContain('npm install -g @anthropic-ai/claude-code');
  });

  it('abort kills the whole process group, grandchildren included', async () => {
    const pidFile = join(fake.dir, 'child.pid');
    const controller = new AbortController();
    const running = run('x', {
      env: fake.env('hang', { FAKE_CLAUDE_CHILD_PID: pidFile }),
      signal: controller.signal,
    });
    await expect.poll(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '').toBe(true);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(grandchild)).toBe(true);
    controller.abort(new Error('user stopped it'));
    const err = await running.catch((e: unknown) => e);
    expect(ClaudeRunError.is(err)).toBe(true);
    expect((err as Error).message).toContain('aborted');
    await expect.poll(() => alive(grandchild), { timeout: 5000 }).toBe(false);
  });

  it('an already aborted signal starts nothing', async () => {
    const err = await run('x', { env: fake.env(), signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(ClaudeRunError.is(err)).toBe(true);
    expect(fake.invocations()).toHaveLength(0);
  });

  it('timeout stops the run with ClaudeRunError', async () => {
    const pidFile = join(fake.dir, 'child.pid');
    const err = await run('x', {
      env: fake.env('hang', { FAKE_CLAUDE_CHILD_PID: pidFile }),
      timeout: 300,
    }).catch((e: unknown) => e);
    expect(ClaudeRunError.is(err)).toBe(true);
    expect((err as Error).message).toContain('did not finish within 300 ms');
  });

  it('an exception in onEvent stops the run and rejects with it', async () => {
    const boom = new Error('callback failed');
    const err = await run('x', {
      env: fake.env(),
      onEvent: () => {
        throw boom;
      },
    }).catch((e: unknown) => e);
    expect(err).toBe(boom);
  });
});

describe('stream() against a fake claude', () => {
  it('yields each assistant text block, then resolves the result', async () => {
    const s = stream('hi', { env: fake.env('same-id', { FAKE_CLAUDE_CHUNKED: '1' }) });
    const chunks: string[] = [];
    for await (const chunk of s) chunks.push(chunk.content);
    expect(chunks).toEqual(['part one|', 'echo: hi']);
    expect((await s.result).text).toBe('echo: hi');
  });

  it('throws the typed error from the iteration when the run fails', async () => {
    const s = stream('hi', { env: fake.env('api-error') });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const chunk of s) seen.push(chunk.content);
    })().catch((e: unknown) => e);
    expect(ClaudeRunError.is(err)).toBe(true);
    await expect(s.result).rejects.toBe(err);
  });
});

describe('detached() against a fake claude', () => {
  it('runs in the background, the log shows id and result, wait() returns the result', async () => {
    const logFile = join(fake.dir, 'run.jsonl');
    const handle = await detached('background job', { env: fake.env(), sessionId: UUID, logFile });
    expect(handle.sessionId).toBe(UUID);
    const result = await handle.wait({ pollMs: 20 });
    expect(result.text).toBe('echo: background job');
    const log = await readDetachedLog(logFile);
    expect(log).toMatchObject({ sessionId: UUID, finished: true, exitCode: 0 });
    expect(log.result?.text).toBe('echo: background job');
    expect(existsSync(`${logFile}.prompt`)).toBe(false);
  });

  it('a failed background run rejects wait() with the typed error', async () => {
    const handle = await detached('x', {
      env: fake.env('no-conversation'),
      resume: UUID,
      logFile: join(fake.dir, 'r.jsonl'),
    });
    await expect(handle.wait({ pollMs: 20 })).rejects.toSatisfy(ResumeNotFoundError.is);
  });

  it('a missing binary is ClaudeNotFoundError before anything starts', async () => {
    await expect(detached('x', { env: { CLAUDE_BIN: join(fake.dir, 'missing') } })).rejects.toSatisfy(
      ClaudeNotFoundError.is,
    );
  });
});
