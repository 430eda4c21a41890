import { describe, expect, it } from 'vitest';
import { ClaudeRunError } from '../../src/errors.js';
import { detached } from '../../src/runner/detached.js';
import { flag, UUID, useFakeSessions } from './support/fake-sessions.js';

const ctx = useFakeSessions();
const { withFake } = ctx;

describe('modes', () => {
  it('stream records one turn and saves it once, after the last chunk (the pending turn before it)', async () => {
    const s = withFake('same-id', {}, { FAKE_CLAUDE_CHUNKED: '1' });
    const chunks: string[] = [];
    const st = s.stream('streamed');
    for await (const chunk of st) {
      chunks.push(chunk.content);
      expect(ctx.storage.saveCalls).toBe(1);
    }
    expect(chunks).toEqual(['part one|', 'echo: streamed']);
    expect((await st.result).text).toBe('echo: streamed');
    expect(ctx.storage.saveCalls).toBe(2);
    expect(s.messages()).toHaveLength(2);
  });

  it('detached knows its id up front and records the turn when the log shows the result', async () => {
    const s = withFake();
    const handle = await s.detached('in the background', { logFile: `${ctx.fake.dir}/d.jsonl` });
    expect(handle.sessionId).toMatch(UUID);
    const result = await handle.done;
    expect(result.text).toBe('echo: in the background');
    expect(s.id()).toBe(handle.sessionId);
    expect(s.messages().map((m) => m.content)).toEqual(['in the background', 'echo: in the background']);
    // The pending turn before the run started, then the recorded turn.
    expect(ctx.storage.saveCalls).toBe(2);
  });

  it('a background run started by an earlier process is recorded later with adoptDetached', async () => {
    const first = withFake('same-id', { name: 'worker-job' });
    await first.claude('setup');
    // A worker started the next turn in the background and exited before it finished.
    const logFile = `${ctx.fake.dir}/adopt.jsonl`;
    const run = await detached('background step', { env: ctx.fake.env(), resume: first.id() ?? '', logFile });
    const later = await ctx.session.load('worker-job', { defaults: { env: ctx.fake.env() } });
    const result = await later.adoptDetached('background step', run.logFile, { pollMs: 20 });
    expect(result.text).toBe('echo: background step');
    expect(later.messages().map((m) => m.content)).toEqual([
      'setup',
      'echo: setup',
      'background step',
      'echo: background step',
    ]);
    expect(later.state().sessionChain).toEqual([first.id()]);
    expect((await ctx.storage.load('worker-job')).messages).toHaveLength(4);
  });

  it('adoptDetached records a failed background run as a failed turn', async () => {
    const s = withFake();
    await s.claude('setup');
    const logFile = `${ctx.fake.dir}/adopt-fail.jsonl`;
    await detached('x', { env: ctx.fake.env('api-error'), resume: s.id() ?? '', logFile });
    await expect(s.adoptDetached('x', logFile, { pollMs: 20 })).rejects.toSatisfy(ClaudeRunError.is);
    expect(s.messages().at(-1)).toMatchObject({ content: 'x', turn: { isError: true } });
  });

  it('interactive passes the prompt after --, and records prompt and outcome when it ends', async () => {
    const s = withFake(
      'same-id',
      {},
      { CLAUDE_CONFIG_DIR: `${ctx.fake.dir}/config`, FAKE_CLAUDE_COST: '0.02' },
    );
    const outcome = await s.interactive('let us pair');
    const [call] = ctx.fake.invocations();
    expect(call?.args).not.toContain('-p');
    expect(call?.args.slice(-2)).toEqual(['--', 'let us pair']);
    expect(outcome.sessionId).toBe(flag(call?.args ?? [], '--session-id'));
    expect(s.id()).toBe(outcome.sessionId);
    // The answer and the cost come from the CLI's transcript.
    expect(s.messages().map((m) => `${m.role}:${m.content}`)).toEqual([
      'user:let us pair',
      'assistant:typed answer to let us pair',
    ]);
    expect(s.usage().totalCostUsd).toBeCloseTo(0.02, 10);

    await s.interactive('and more', {
      env: ctx.fake.env('same-id', { CLAUDE_CONFIG_DIR: `${ctx.fake.dir}/config`, FAKE_CLAUDE_COST: '0.05' }),
    });
    expect(flag(ctx.fake.invocations()[1]?.args ?? [], '--resume')).toBe(outcome.sessionId);
    expect(s.messages().at(-1)?.content).toBe('typed answer to and more');
    expect(s.usage().totalCostUsd).toBeCloseTo(0.05, 10);
  });

  it('interactive without a transcript to read records an empty answer', async () => {
    const s = withFake(
      'same-id',
      {},
      { CLAUDE_CONFIG_DIR: `${ctx.fake.dir}/config`, FAKE_CLAUDE_NO_TRANSCRIPT: '1' },
    );
    await s.interactive();
    expect(ctx.fake.invocations()[0]?.args).not.toContain('--');
    expect(s.messages().map((m) => `${m.role}:${m.content}`)).toEqual(['user:', 'assistant:']);
  });

  it('an interactive session that exits non-zero records the prompt as failed', async () => {
    const s = withFake('api-error');
    await expect(s.interactive('x')).rejects.toSatisfy(ClaudeRunError.is);
    expect(s.messages()).toMatchObject([{ content: 'x', turn: { isError: true } }]);
  });

  it('fork resumes the parent with --fork-session and its own id; the parent goes on unchanged', async () => {
    const parent = withFake('same-id', { name: 'parent' });
    await parent.claude('base');
    const child = parent.fork('child');
    await child.claude('branch');
    const call = ctx.fake.invocations().at(-1);
    expect(flag(call?.args ?? [], '--resume')).toBe(parent.id());
    expect(call?.args).toContain('--fork-session');
    const childId = flag(call?.args ?? [], '--session-id');
    expect(child.id()).toBe(childId);
    expect(child.id()).not.toBe(parent.id());
    expect(child.state().metadata.parent).toEqual({
      name: 'parent',
      sessionId: parent.id(),
      messageCount: 2,
    });
    expect(parent.messages()).toHaveLength(2);
    expect(child.messages()).toHaveLength(4);
  });
});
