/**
 * End-to-end: session() driving the real `claude` binary (@anthropic-ai/claude-code, pinned) against the
 * mock Anthropic API, with a temporary CLAUDE_CONFIG_DIR and HOME and CLAUDE_CODE_MAX_RETRIES=0. The mock's
 * replies say how many user turns each request carried, so history is checked on the wire.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeNotFoundError, ClaudeRunError, ResumeNotFoundError } from '../../src/errors.js';
import * as core from '../../src/index.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import { run } from '../../src/runner/run.js';
import { createSessionFactory } from '../../src/session/factory.js';
import * as kit from '../../src/storage-kit.js';
import { createJsonFileStorage } from './support/json-file-storage.mjs';
import { type RealClaude, startRealClaude } from './support/real-claude.js';
import { CountingStorage } from './support/storages.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const distEntry = join(here, '../../dist/index.js');

let cli: RealClaude;
let storage: CountingStorage;
const session = createSessionFactory({ storage: () => storage });
beforeEach(async () => {
  cli = await startRealClaude();
  storage = new CountingStorage();
});
afterEach(async () => {
  await cli.close();
});

const open = (name?: string) =>
  session({ ...(name === undefined ? {} : { name }), cwd: cli.sandbox.cwd, defaults: { env: cli.env } });

describe('the claude CLI facts the chain relies on', { timeout: 60_000 }, () => {
  it('--resume keeps the id, --fork-session makes a new one, total_cost_usd is cumulative', async () => {
    const options = { env: cli.env, cwd: cli.sandbox.cwd };
    const first = await run('one', options);
    const second = await run('two', { ...options, resume: first.sessionId });
    const forked = await run('three', { ...options, resume: first.sessionId, forkSession: true });
    expect(second.sessionId).toBe(first.sessionId);
    expect(forked.sessionId).not.toBe(first.sessionId);
    expect(first.totalCostUsd).toBeGreaterThan(0);
    expect(second.totalCostUsd).toBeCloseTo(2 * (first.totalCostUsd ?? 0), 12);
    expect(forked.totalCostUsd).toBeCloseTo(3 * (first.totalCostUsd ?? 0), 12);
    expect(cli.mock.messageRequests().map((r) => r.claudeSessionId)).toEqual([
      first.sessionId,
      first.sessionId,
      forked.sessionId,
    ]);
  });
});

describe('API failures reach the caller as ClaudeRunError with the status (no retries)', {
  timeout: 60_000,
}, () => {
  it.each([529, 429, 401])('HTTP %i', async (status) => {
    cli.mock.failAll({ status });
    const err = await run('hello', { env: cli.env, cwd: cli.sandbox.cwd }).catch((e: unknown) => e);
    expect(ClaudeRunError.is(err)).toBe(true);
    const runError = err as ClaudeRunError;
    expect(runError.exitCode).toBe(1);
    expect(runError.resultLine?.is_error).toBe(true);
    expect(runError.resultLine?.api_error_status).toBe(status);
    if (status === 401) expect(runError.message).toContain('ANTHROPIC_API_KEY');
    expect(cli.mock.messageRequests().length).toBeGreaterThanOrEqual(1);
  });
});

describe('stopping the real CLI', { timeout: 60_000 }, () => {
  it('an AbortSignal fired while the API is answering stops the run with ClaudeRunError', async () => {
    const hold = cli.mock.holdNextReply();
    const controller = new AbortController();
    const running = run('long answer', { env: cli.env, cwd: cli.sandbox.cwd, signal: controller.signal });
    await hold.reached;
    controller.abort();
    const err = await running.catch((e: unknown) => e);
    hold.release();
    expect(ClaudeRunError.is(err)).toBe(true);
    expect((err as Error).message).toContain('aborted');
    expect((err as ClaudeRunError).resultLine).toBeUndefined();
  });
});

describe('session() with the real claude CLI', { timeout: 60_000 }, () => {
  it('1. new session, second turn, third turn: one id, the mock saw 3 user turns, 6 messages, usage summed', async () => {
    const s = open('three-turns');
    const r1 = await s.claude('What is TypeScript?');
    const r2 = await s.claude('Show me an example');
    const r3 = await s.claude('What about generics?');
    expect(r1.text).toBe('turn 1: What is TypeScript?');
    expect(r3.text).toBe('turn 3: What about generics?');
    expect([r2.sessionId, r3.sessionId]).toEqual([r1.sessionId, r1.sessionId]);
    expect(s.state().sessionChain).toEqual([r1.sessionId]);
    expect(cli.mock.messageRequests().map((r) => r.userTurns)).toEqual([1, 2, 3]);
    expect(cli.mock.lastMessageRequest()?.claudeSessionId).toBe(r1.sessionId);

    const stored = await storage.load('three-turns');
    expect(stored.messages).toHaveLength(6);
    expect(stored.usage.turns).toBe(3);
    // Per-turn costs add up to the CLI's cumulative figure (not to the sum of cumulative figures).
    expect(stored.usage.totalCostUsd).toBeCloseTo(r3.totalCostUsd ?? Number.NaN, 12);
    expect(stored.usage.inputTokens).toBe(r1.usage.inputTokens + r2.usage.inputTokens + r3.usage.inputTokens);
    expect(stored.usage.outputTokens).toBe(15); // the mock reports 5 output tokens per reply
  });

  it('2. save, then session.load in a NEW process continues with the history', async () => {
    expect(existsSync(distEntry), 'build first: pnpm --filter @channelcoder/session-core build').toBe(true);
    const dir = join(cli.sandbox.root, 'sessions');
    const fileStorage = createJsonFileStorage({ ...core, ...kit }, dir);
    const s = session({ storage: fileStorage, cwd: cli.sandbox.cwd, defaults: { env: cli.env } });
    await s.claude('Create a REST API');
    await s.claude('Add authentication');
    await s.save('user-api-project');

    const env = { ...process.env };
    for (const [key, value] of Object.entries(cli.env)) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    const script = join(here, 'support', 'continue-session.mjs');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [script, pathToFileURL(distEntry).href, dir, 'user-api-project', 'Add input validation'],
      { env, cwd: cli.sandbox.cwd },
    );
    const child = JSON.parse(stdout.trim()) as {
      before: number;
      after: number;
      text: string;
      id: string;
      chain: string[];
    };
    expect(child).toMatchObject({ before: 4, after: 6, text: 'turn 3: Add input validation', id: s.id() });
    expect(child.chain).toEqual([s.id()]);
    expect(cli.mock.lastMessageRequest()?.userTurns).toBe(3);
    const reloaded = await session.load('user-api-project', { storage: fileStorage });
    expect(reloaded.messages().map((m) => m.content)).toEqual([
      'Create a REST API',
      'turn 1: Create a REST API',
      'Add authentication',
      'turn 2: Add authentication',
      'Add input validation',
      'turn 3: Add input validation',
    ]);
  });

  it('3. fork: new id, parent set, the original untouched and still resumable', async () => {
    const original = open('original');
    await original.claude('base question');
    const originalId = original.id();
    const branch = original.fork('branch');
    const forked = await branch.claude('branch question');
    expect(forked.text).toBe('turn 2: branch question');
    expect(branch.id()).not.toBe(originalId);
    expect(branch.state().sessionChain).toEqual([branch.id()]);
    expect(branch.state().metadata.parent).toEqual({
      name: 'original',
      sessionId: originalId,
      messageCount: 2,
    });

    expect(original.messages()).toHaveLength(2);
    const again = await original.claude('original follow-up');
    // The fork's turn is not in the original conversation: it sees its own 2 turns only.
    expect(again.text).toBe('turn 2: original follow-up');
    expect(original.id()).toBe(originalId);
    expect((await storage.load('branch')).metadata.parent?.sessionId).toBe(originalId);
  });

  it('4. stream: chunks arrive before the reply ends, one turn recorded, saved once after the pending turn', async () => {
    const s = open('streamed');
    const hold = cli.mock.holdNextReply();
    let released = false;
    const chunks: string[] = [];
    const st = s.stream('Write docs');
    for await (const chunk of st) {
      chunks.push(chunk.content);
      if (!released) {
        // The mock has not sent the end of the reply yet: this chunk came while the turn was running
        // (only the pending turn, saved before the CLI started, is stored).
        expect(storage.saveCalls).toBe(1);
        released = true;
        hold.release();
      }
    }
    expect(released).toBe(true);
    expect(chunks.join('')).toBe('turn 1: Write docs');
    expect((await st.result).text).toBe('turn 1: Write docs');
    expect(storage.saveCalls).toBe(2);
    expect(s.messages()).toHaveLength(2);
  });

  it('5. detached: the id is known up front and the turn is recorded once the background run finishes', async () => {
    const s = open('background');
    const handle = await s.detached('Long task', { logFile: join(cli.sandbox.root, 'detached.jsonl') });
    expect(handle.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.messages()).toHaveLength(0);
    const result = await handle.done;
    expect(result.text).toBe('turn 1: Long task');
    expect(s.id()).toBe(handle.sessionId);
    expect(cli.mock.lastMessageRequest()?.claudeSessionId).toBe(handle.sessionId);
    expect((await storage.load('background')).messages).toHaveLength(2);
    const log = await core.readDetachedLog(handle.logFile);
    expect(log).toMatchObject({ sessionId: handle.sessionId, finished: true, exitCode: 0 });
  });

  it('6. API error 500: ClaudeRunError, the prompt kept with isError, the session still resumable', async () => {
    const s = open('flaky');
    await s.claude('first');
    cli.mock.failNext(1, { status: 500 });
    const err = await s.claude('second').catch((e: unknown) => e);
    expect(ClaudeRunError.is(err)).toBe(true);
    expect(ResumeNotFoundError.is(err)).toBe(false);
    expect((err as ClaudeRunError).resultLine?.api_error_status).toBe(500);
    const failed = s.messages().at(-1);
    expect(failed).toMatchObject({ role: 'user', content: 'second', turn: { isError: true } });
    expect(failed?.turn?.error).toContain('500');
    expect(s.usage()).toMatchObject({ turns: 2, failedTurns: 1 });

    const after = await s.claude('third');
    expect(after.sessionId).toBe(s.state().sessionChain[0]);
    expect(s.state().sessionChain).toHaveLength(1);
    expect(after.text).toMatch(/^turn 2: /);
    const body = cli.mock.lastMessageRequest()?.body as { messages: unknown[] };
    expect(JSON.stringify(body.messages)).toContain('first');
    expect((await storage.load('flaky')).messages).toHaveLength(5);
  });

  it('7. resuming an id the CLI does not know: ResumeNotFoundError, prompt kept, chain unchanged', async () => {
    const s = open();
    const unknown = randomUUID();
    s.setId(unknown);
    const err = await s.claude('hello?').catch((e: unknown) => e);
    expect(ResumeNotFoundError.is(err)).toBe(true);
    expect((err as ResumeNotFoundError).resumeId).toBe(unknown);
    expect(s.state().sessionChain).toEqual([unknown]);
    expect(s.messages()).toMatchObject([{ content: 'hello?', turn: { isError: true } }]);
    expect(cli.mock.messageRequests()).toHaveLength(0);
  });

  it('8. CLAUDE_BIN pointing nowhere: ClaudeNotFoundError', async () => {
    const s = session({
      storage: new MemorySessionStorage(),
      defaults: { env: { ...cli.env, CLAUDE_BIN: join(cli.sandbox.root, 'no', 'claude') } },
    });
    await expect(s.claude('hello')).rejects.toSatisfy(ClaudeNotFoundError.is);
    await expect(s.detached('hello')).rejects.toSatisfy(ClaudeNotFoundError.is);
  });
});
