/**
 * Bad input against a real `channelcoder serve` with bearer tokens: every malformed request gets the right
 * 4xx as application/problem+json with the ChannelCoder `code` (and the field at fault), and nothing is
 * stored or run. Also: the OpenAPI 3.1 document validates against the OpenAPI 3.1 schema, the operations
 * endpoints, and the refusal to bind another address without tokens.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, PACKAGE_DIR, type Service, startService, startWorld } from './support/service.js';

const TOKEN = 'test-token-0123456789abcdef';

describe('bad input is refused with the right 4xx; nothing is stored', () => {
  let world: Awaited<ReturnType<typeof startWorld>>;
  let service: Service;

  beforeAll(async () => {
    world = await startWorld();
    const tokenFile = join(world.sandbox.root, 'tokens');
    writeFileSync(tokenFile, `# service tokens\n${TOKEN}\n`);
    service = await startService({
      storageUrl: `file://${join(world.sandbox.root, 'sessions')}`,
      mockUrl: world.mock.url,
      sandbox: world.sandbox,
      args: ['--token-file', tokenFile],
      token: TOKEN,
    });
    const created = await service.fetch('/sessions', {
      method: 'POST',
      json: { name: 'exists', workingDirectory: world.project },
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await service?.stop();
    await world?.close();
  });

  const huge = 'x'.repeat(2 * 1024 * 1024);
  const cases: Array<{
    what: string;
    path: string;
    method?: string;
    json?: unknown;
    body?: string;
    headers?: Record<string, string>;
    status: number;
    code: string;
    field?: string;
  }> = [
    {
      what: 'no token',
      path: '/sessions',
      headers: { authorization: '' },
      status: 401,
      code: 'UNAUTHORIZED',
    },
    {
      what: 'a wrong token',
      path: '/sessions',
      headers: { authorization: 'Bearer not-the-token-0000000000' },
      status: 401,
      code: 'UNAUTHORIZED',
    },
    {
      what: 'a token of another scheme',
      path: '/sessions',
      headers: { authorization: `Basic ${TOKEN}` },
      status: 401,
      code: 'UNAUTHORIZED',
    },
    {
      what: 'name of the wrong type',
      path: '/sessions',
      method: 'POST',
      json: { name: 42 },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.name',
    },
    {
      what: 'a name with ..',
      path: '/sessions',
      method: 'POST',
      json: { name: 'a..b' },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.name',
    },
    {
      what: 'a name with a slash',
      path: '/sessions',
      method: 'POST',
      json: { name: '../etc/passwd' },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.name',
    },
    {
      what: 'a name with a space',
      path: '/sessions',
      method: 'POST',
      json: { name: 'my session' },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.name',
    },
    {
      what: 'an unknown field',
      path: '/sessions',
      method: 'POST',
      json: { name: 'ok', colour: 'red' },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.colour',
    },
    {
      what: 'tags not an array',
      path: '/sessions',
      method: 'POST',
      json: { tags: 'a,b' },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.tags',
    },
    {
      what: 'a reserved tag',
      path: '/sessions',
      method: 'POST',
      json: { tags: ['cc.ended=now'] },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.tags.0',
    },
    {
      what: 'a number as a string (no coercion)',
      path: '/sessions',
      method: 'POST',
      json: { defaults: { maxTurns: '2' } },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.defaults.maxTurns',
    },
    {
      what: 'an unknown permission mode',
      path: '/sessions',
      method: 'POST',
      json: { defaults: { permissionMode: 'yolo' } },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.defaults.permissionMode',
    },
    {
      what: 'a relative working directory',
      path: '/sessions',
      method: 'POST',
      json: { workingDirectory: 'project' },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.workingDirectory',
    },
    {
      what: 'path traversal in workingDirectory',
      path: '/sessions',
      method: 'POST',
      json: { workingDirectory: '/tmp/../etc' },
      status: 403,
      code: 'PATH_NOT_ALLOWED',
      field: 'body.workingDirectory',
    },
    {
      what: 'a working directory outside the roots',
      path: '/sessions',
      method: 'POST',
      json: { workingDirectory: '/' },
      status: 403,
      code: 'PATH_NOT_ALLOWED',
      field: 'body.workingDirectory',
    },
    {
      what: 'a body that is not JSON',
      path: '/sessions',
      method: 'POST',
      body: '{"name":',
      headers: { 'content-type': 'application/json' },
      status: 400,
      code: 'INVALID_ARGUMENT',
    },
    {
      what: 'a body of another media type',
      path: '/sessions',
      method: 'POST',
      body: 'name=x',
      headers: { 'content-type': 'text/csv' },
      status: 415,
      code: 'INVALID_ARGUMENT',
    },
    {
      what: 'a huge body',
      path: '/sessions/exists/tasks',
      method: 'POST',
      json: { prompt: huge },
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      what: 'a task on an unknown session',
      path: '/sessions/nope/tasks',
      method: 'POST',
      json: { prompt: 'hi' },
      status: 404,
      code: 'SESSION_NOT_FOUND',
    },
    {
      what: 'a task without a prompt',
      path: '/sessions/exists/tasks',
      method: 'POST',
      json: {},
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.prompt',
    },
    {
      what: 'a task with prompt and template',
      path: '/sessions/exists/tasks',
      method: 'POST',
      json: { prompt: 'a', template: 'b' },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.template',
    },
    {
      what: 'a prompt of the wrong type',
      path: '/sessions/exists/tasks',
      method: 'POST',
      json: { prompt: ['a'] },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.prompt',
    },
    {
      what: 'an unknown onBusy',
      path: '/sessions/exists/tasks',
      method: 'POST',
      json: { prompt: 'a', onBusy: 'sometimes' },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.onBusy',
    },
    {
      what: 'a negative waitMs',
      path: '/sessions/exists/tasks',
      method: 'POST',
      json: { prompt: 'a', waitMs: -1 },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.waitMs',
    },
    {
      what: 'a template missing its data',
      path: '/sessions/exists/tasks',
      method: 'POST',
      json: { template: 'Fix {file}' },
      status: 400,
      code: 'INVALID_ARGUMENT',
    },
    {
      what: 'path traversal in a task working directory',
      path: '/sessions/exists/tasks',
      method: 'POST',
      json: { prompt: 'a', workingDirectory: `${PACKAGE_DIR}/../../..` },
      status: 403,
      code: 'PATH_NOT_ALLOWED',
      field: 'body.workingDirectory',
    },
    {
      what: 'a plan without tasks',
      path: '/sessions/exists/plans',
      method: 'POST',
      json: { tasks: [] },
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'body.tasks',
    },
    {
      what: 'a plan on an unknown session',
      path: '/sessions/nope/plans',
      method: 'POST',
      json: { tasks: [{ prompt: 'a' }] },
      status: 404,
      code: 'SESSION_NOT_FOUND',
    },
    {
      what: 'a limit that is not a number',
      path: '/sessions?limit=abc',
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'query.limit',
    },
    {
      what: 'a limit of 0',
      path: '/sessions?limit=0',
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'query.limit',
    },
    {
      what: 'a bad name in the path',
      path: '/sessions/a..b',
      status: 400,
      code: 'INVALID_ARGUMENT',
      field: 'params.name',
    },
    { what: 'an unknown task', path: '/sessions/exists/tasks/nope', status: 404, code: 'TASK_NOT_FOUND' },
    { what: 'an unknown plan', path: '/plans/nope', status: 404, code: 'PLAN_NOT_FOUND' },
    { what: 'an unknown route', path: '/nothing-here', status: 404, code: 'ROUTE_NOT_FOUND' },
  ];

  it.each(cases)('$what → $status $code', async (c) => {
    const init: RequestInit & { json?: unknown } = { method: c.method ?? 'GET' };
    if (c.headers) init.headers = c.headers;
    if (c.json !== undefined) init.json = c.json;
    if (c.body !== undefined) init.body = c.body;
    const res = await service.fetch(c.path, init);
    expect(res.status).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res.json()) as { code: string; status: number; detail: string; field?: string };
    expect(problem.code).toBe(c.code);
    expect(problem.status).toBe(c.status);
    expect(problem.detail.length).toBeGreaterThan(10);
    if (c.field !== undefined) expect(problem.field).toBe(c.field);
  });

  it('a huge body sent slowly still gets its 413 (the upload is read to its end, not cut under the client)', async () => {
    const { request } = await import('node:http');
    const target = new URL('/sessions/exists/tasks', service.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(target, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
          'content-length': String(3 * 1024 * 1024),
        },
      });
      // Settles once the whole upload went out and the whole answer came back; a connection closed under the
      // upload fails it (EPIPE / ECONNRESET), as it fails fetch().
      let sent = false;
      let answered: { status: number; body: string } | undefined;
      const settle = () => {
        if (sent && answered) resolve(answered);
      };
      req.on('finish', () => {
        sent = true;
        settle();
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          answered = { status: res.statusCode ?? 0, body };
          settle();
        });
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let left = 48;
      const next = () => {
        if (left-- === 0) return void req.end();
        req.write(chunk, () => setTimeout(next, 2));
      };
      next();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
  });

  it('after all of them, only the one session created on purpose is stored and Claude was never called', async () => {
    const listed = (await (await service.fetch('/sessions')).json()) as {
      sessions: Array<{ name: string; messageCount: number }>;
    };
    expect(listed.sessions).toEqual([expect.objectContaining({ name: 'exists', messageCount: 0 })]);
    expect(world.mock.messageRequests()).toHaveLength(0);
  });

  it('serves an OpenAPI 3.1 document, built from the route schemas, that validates against the OpenAPI 3.1 schema', async () => {
    const res = await fetch(`${service.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/sessions', '/sessions/{name}', '/sessions/{name}/tasks', '/plans/{planId}']),
    );
    expect(JSON.stringify(doc.paths['/sessions/{name}/tasks']?.post)).toContain('onBusy');
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('health and readiness need no token; metrics do, in Prometheus text format', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${service.url}/readyz`)).json()).toEqual({ status: 'ready' });
    expect((await fetch(`${service.url}/metrics`)).status).toBe(401);
    const metrics = await service.fetch('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toContain('# TYPE channelcoder_tasks_total counter');
    expect(text).toContain('# TYPE channelcoder_task_duration_seconds histogram');
  });

  it('refuses to listen on another address without tokens', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, CHANNELCODER_ALLOWED_ROOTS: world.sandbox.root };
    delete env.CHANNELCODER_SERVER_TOKENS;
    const run = spawnSync(
      process.execPath,
      [
        CLI,
        'serve',
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--storage',
        `file://${join(world.sandbox.root, 'other')}`,
      ],
      { cwd: PACKAGE_DIR, env, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Refusing to listen on 0.0.0.0 without authentication');
  });

  it.each([
    ['--shutdown-timeout', 'soon'],
    ['--lease-ttl', '0'],
  ])('refuses %s %s with a usage error naming the flag', (flag, value) => {
    const run = spawnSync(
      process.execPath,
      [CLI, 'serve', '--port', '0', flag, value, '--storage', `file://${join(world.sandbox.root, 'other')}`],
      {
        cwd: PACKAGE_DIR,
        env: { ...process.env, CHANNELCODER_ALLOWED_ROOTS: world.sandbox.root },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`${flag} must be a positive number of seconds`);
  });
});
