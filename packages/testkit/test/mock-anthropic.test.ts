import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claudeBinary,
  countUserTurns,
  MockAnthropicServer,
  makeClaudeSandbox,
  offlineClaudeEnv,
} from '../src/index.js';

let mock: MockAnthropicServer;
beforeEach(async () => {
  mock = await MockAnthropicServer.start();
});
afterEach(async () => {
  await mock.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** Messages shaped like the CLI's: system entries, reminders, tool results and a merged failed prompt. */
const cliMessages = [
  {
    role: 'user',
    content: [
      { type: 'text', text: '<system-reminder>\nattribution\n</system-reminder>\n' },
      { type: 'text', text: 'first' },
    ],
  },
  { role: 'system', content: '# Environment' },
  { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: {} }] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] },
  { role: 'assistant', content: [{ type: 'text', text: 'turn 1: first' }] },
  { role: 'user', content: 'second' },
];

describe('MockAnthropicServer', () => {
  it('counts real user prompts only', () => {
    expect(countUserTurns(cliMessages)).toBe(2);
    expect(
      countUserTurns([
        { role: 'user', content: [{ type: 'text', text: '<system-reminder>x</system-reminder>' }] },
      ]),
    ).toBe(0);
  });

  it('answers stream:false with a JSON message revealing the turn count, and records the request', async () => {
    const res = await post(
      '/v1/messages?beta=true',
      { model: 'm', stream: false, messages: cliMessages },
      {
        'x-claude-code-session-id': 'sid-1',
      },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { content: Array<{ text: string }>; stop_reason: string };
    expect(body.content[0]?.text).toBe('turn 2: second');
    expect(body.stop_reason).toBe('end_turn');
    expect(mock.lastMessageRequest()).toMatchObject({
      query: 'beta=true',
      claudeSessionId: 'sid-1',
      userTurns: 2,
      status: 200,
    });
  });

  it('streams the Server-Sent Events sequence of the Messages API', async () => {
    const res = await post('/v1/messages', {
      stream: true,
      messages: [{ role: 'user', content: 'a long enough prompt text' }],
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    const events = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events[0]).toBe('message_start');
    expect(events.slice(1, 3)).toEqual(['content_block_start', 'content_block_delta']);
    expect(events.slice(-4)).toEqual([
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const deltas = [...text.matchAll(/"text_delta","text":("(?:[^"\\]|\\.)*")/g)].map((m) =>
      JSON.parse(m[1] ?? '""'),
    );
    expect(deltas.join('')).toBe('turn 1: a long enough prompt text');
    expect(text).toContain('"stop_reason":"end_turn"');
  });

  it('fails the next N requests with the injected status, then recovers', async () => {
    mock.failNext(2, { status: 529 });
    const body = { stream: false, messages: [{ role: 'user', content: 'x' }] };
    expect((await post('/v1/messages', body)).status).toBe(529);
    const second = await post('/v1/messages', body);
    expect(second.status).toBe(529);
    expect(((await second.json()) as { error: { type: string } }).error.type).toBe('overloaded_error');
    expect((await post('/v1/messages', body)).status).toBe(200);
  });

  it('can be controlled over HTTP from another process', async () => {
    await post('/__mock/fail-next', { count: 1, status: 401 });
    const body = { stream: false, messages: [{ role: 'user', content: 'x' }] };
    expect((await post('/v1/messages', body)).status).toBe(401);
    const recorded = (await (await fetch(`${mock.url}/__mock/requests`)).json()) as unknown[];
    expect(recorded).toHaveLength(1);
    await post('/__mock/reset', {});
    expect(mock.requests).toHaveLength(0);
  });

  it('holds a streamed reply after its content until released', async () => {
    const hold = mock.holdNextReply();
    const pending = post('/v1/messages', { stream: true, messages: [{ role: 'user', content: 'x' }] }).then(
      (r) => r.text(),
    );
    await hold.reached;
    let finished = false;
    void pending.then(() => {
      finished = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(finished).toBe(false);
    hold.release();
    expect(await pending).toContain('message_stop');
  });

  it('answers count_tokens and models', async () => {
    const count = (await (await post('/v1/messages/count_tokens', { messages: [] })).json()) as {
      input_tokens: number;
    };
    expect(count.input_tokens).toBeGreaterThan(0);
    const models = (await (await fetch(`${mock.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data[0]?.id).toBe('claude-mock-1');
  });
});

describe('offline CLI helpers', () => {
  it('finds the real claude binary', () => {
    expect(existsSync(claudeBinary())).toBe(true);
  });

  it('builds an offline environment without account credentials', () => {
    const sandbox = makeClaudeSandbox();
    try {
      const env = offlineClaudeEnv({
        baseUrl: mock.url,
        configDir: sandbox.configDir,
        home: sandbox.home,
        base: { PATH: '/bin', ANTHROPIC_AUTH_TOKEN: 'secret', CLAUDE_CODE_OAUTH_TOKEN: 'secret' },
      });
      expect(env).toMatchObject({
        PATH: '/bin',
        ANTHROPIC_BASE_URL: mock.url,
        CLAUDE_CONFIG_DIR: sandbox.configDir,
        HOME: sandbox.home,
        CLAUDE_CODE_MAX_RETRIES: '0',
      });
      expect(env.ANTHROPIC_AUTH_TOKEN).toBeUndefined();
      expect(env.CLAUDE_CODE_OAUTH_TOKEN).toBeUndefined();
      expect(existsSync(sandbox.cwd)).toBe(true);
    } finally {
      sandbox.remove();
    }
  });
});
