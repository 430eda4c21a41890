/**
 * Replicas: two `channelcoder serve` processes on one Redis and on one PostgreSQL, each with its own
 * Claude config directory (as on two machines). Tasks on one session are serialized by the session's lease
 * across both: 20 concurrent tasks split across the replicas are all recorded once, in the order the mock
 * saw them, each continuing the one before; `onBusy: 'fail'` is a 409 naming the holder; a replica killed
 * with SIGKILL mid-task leaves the session loadable and the next task, on the other replica, runs.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import {
  MockAnthropicServer,
  makeClaudeSandbox,
  makeTempDir,
  type PostgresServer,
  type PrivateRedis,
  startPostgresServer,
  startPrivateRedis,
  type TempDir,
} from '@channelcoder/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startService } from './support/service.js';

const TOKEN = 'replica-token-0123456789abcdef';

interface Backend {
  kind: 'redis' | 'postgresql';
  url(): Promise<string>;
  stop(): Promise<void>;
}

function redisBackend(): Backend {
  let server: PrivateRedis | undefined;
  return {
    kind: 'redis',
    async url() {
      let base = process.env.CHANNELCODER_TEST_REDIS_URL;
      if (!base) {
        server = await startPrivateRedis();
        base = server.url;
      }
      const url = new URL(base);
      url.searchParams.set('prefix', `cc-server-${randomUUID().slice(0, 8)}:`);
      return url.toString();
    },
    stop: async () => server?.destroy(),
  };
}

function postgresBackend(): Backend {
  let server: PostgresServer | undefined;
  return {
    kind: 'postgresql',
    async url() {
      let base = process.env.CHANNELCODER_TEST_DATABASE_URL;
      if (!base) {
        server = await startPostgresServer();
        base = server.url;
      }
      const url = new URL(base);
      url.searchParams.set('schema', `cc_server_${randomUUID().replaceAll('-', '').slice(0, 10)}`);
      return url.toString();
    },
    stop: async () => server?.destroy(),
  };
}

/** POST without a client-side time limit (fetch gives up on headers after 300 s; queued tasks wait longer). */
function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe.each([redisBackend(), postgresBackend()])('two replicas on one $kind', (backend) => {
  let mock: MockAnthropicServer;
  let root: TempDir;
  let project: string;
  let storageUrl: string;
  const replicas: Service[] = [];

  async function replica(id: string): Promise<Service> {
    const sandbox = makeClaudeSandbox(`cc-replica-${id}`);
    const service = await startService({
      storageUrl,
      mockUrl: mock.url,
      sandbox,
      env: { CHANNELCODER_ALLOWED_ROOTS: root.path, CHANNELCODER_SERVER_TOKENS: TOKEN },
      token: TOKEN,
    });
    replicas.push(service);
    return service;
  }

  beforeAll(async () => {
    mock = await MockAnthropicServer.start();
    root = makeTempDir('cc-replicas');
    project = join(root.path, 'project');
    mkdirSync(project, { recursive: true });
    storageUrl = await backend.url();
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await mock?.close();
    await backend.stop();
    root?.remove();
  });

  it('20 concurrent tasks on one session, split across both: all recorded once, in one consistent order, no conflicts', async () => {
    const [a, b] = await Promise.all([replica('a'), replica('b')]);
    if (a === undefined || b === undefined) throw new Error('replicas did not start');
    mock.reset();
    const created = await a.fetch('/sessions', {
      method: 'POST',
      json: { name: 'shared', workingDirectory: project },
    });
    expect(created.status).toBe(201);

    const prompts = Array.from({ length: 20 }, (_, i) => `task ${i + 1}`);
    const responses = await Promise.all(
      prompts.map((prompt, i) =>
        postJson(`${(i % 2 === 0 ? a : b).url}/sessions/shared/tasks`, {
          prompt,
          onBusy: 'wait',
          waitMs: 1_200_000,
        }),
      ),
    );
    const bodies = responses.map((r) => r.json);
    expect(responses.map((r) => r.status)).toEqual(prompts.map(() => 200));

    // Each turn continued the one before: the mock saw 1…20 user turns, in order.
    const seen = mock.messageRequests();
    expect(seen.map((r) => r.userTurns)).toEqual(prompts.map((_, i) => i + 1));

    const stored = (await (await b.fetch('/sessions/shared/tasks')).json()) as {
      tasks: Array<{ id: string; prompt: string; status: string; result: string }>;
    };
    expect(stored.tasks).toHaveLength(20);
    expect(new Set(stored.tasks.map((t) => t.prompt))).toEqual(new Set(prompts));
    expect(stored.tasks.every((t) => t.status === 'completed')).toBe(true);
    // The stored order is the order the turns ran: the n-th stored answer is "turn n: …".
    expect(stored.tasks.map((t) => t.result)).toEqual(
      stored.tasks.map((t, i) => `turn ${i + 1}: ${t.prompt}`),
    );
    // Every response names its own stored task.
    expect(new Set(bodies.map((body) => (body as { task: { id: string } }).task.id))).toEqual(
      new Set(stored.tasks.map((t) => t.id)),
    );
    const view = (await (await a.fetch('/sessions/shared')).json()) as { stats: { totalTasks: number } };
    expect(view.stats.totalTasks).toBe(20);
  }, 1_500_000);

  it("onBusy 'fail' while the other replica runs a task → 409 SESSION_BUSY with the holder", async () => {
    const [a, b] = replicas;
    if (a === undefined || b === undefined) throw new Error('replicas did not start');
    const hold = mock.holdNextReply();
    const running = a.fetch('/sessions/shared/tasks', { method: 'POST', json: { prompt: 'long task' } });
    await hold.reached;
    const busy = await b.fetch('/sessions/shared/tasks', {
      method: 'POST',
      json: { prompt: 'now', onBusy: 'fail' },
    });
    expect(busy.status).toBe(409);
    const problem = (await busy.json()) as { code: string; holder: string; expiresAt: string };
    expect(problem.code).toBe('SESSION_BUSY');
    expect(problem.holder.length).toBeGreaterThan(0);
    expect(Date.parse(problem.expiresAt)).toBeGreaterThan(Date.now() - 1000);
    hold.release();
    expect((await running).status).toBe(200);
  }, 300_000);

  it('ending the session while the other replica runs a task: the turn is stored first, then the session ends', async () => {
    const [a, b] = replicas;
    if (a === undefined || b === undefined) throw new Error('replicas did not start');
    const created = await a.fetch('/sessions', {
      method: 'POST',
      json: { name: 'ending', workingDirectory: project },
    });
    expect(created.status).toBe(201);
    const hold = mock.holdNextReply();
    const running = a.fetch('/sessions/ending/tasks', { method: 'POST', json: { prompt: 'last task' } });
    await hold.reached;
    const ending = b.fetch('/sessions/ending/end', { method: 'POST', json: {} });
    hold.release();
    const [task, ended] = await Promise.all([running, ending]);
    expect(task.status).toBe(200);
    expect(ended.status).toBe(200);
    const tasks = (await (await b.fetch('/sessions/ending/tasks')).json()) as {
      tasks: Array<{ prompt: string; status: string }>;
    };
    expect(tasks.tasks).toEqual([expect.objectContaining({ prompt: 'last task', status: 'completed' })]);
    const refused = await a.fetch('/sessions/ending/tasks', { method: 'POST', json: { prompt: 'too late' } });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { code: string }).code).toBe('SESSION_ENDED');
  }, 300_000);

  it('deleting the session while the other replica runs a task: the task is answered, then the session goes', async () => {
    const [a, b] = replicas;
    if (a === undefined || b === undefined) throw new Error('replicas did not start');
    expect(
      (await a.fetch('/sessions', { method: 'POST', json: { name: 'deleting', workingDirectory: project } }))
        .status,
    ).toBe(201);
    const hold = mock.holdNextReply();
    const running = a.fetch('/sessions/deleting/tasks', { method: 'POST', json: { prompt: 'final words' } });
    await hold.reached;
    const deleting = b.fetch('/sessions/deleting', { method: 'DELETE' });
    hold.release();
    const [task, deleted] = await Promise.all([running, deleting]);
    expect(task.status).toBe(200);
    expect(((await task.json()) as { task: { result: string } }).task.result).toContain('final words');
    expect(deleted.status).toBe(204);
    expect((await a.fetch('/sessions/deleting')).status).toBe(404);
  }, 300_000);

  it.runIf(backend.kind === 'redis')(
    'a replica SIGKILLed mid-task: the session stays loadable and the next task runs on the other replica',
    async () => {
      const [a, b] = replicas;
      if (a === undefined || b === undefined) throw new Error('replicas did not start');
      const before = (await (await b.fetch('/sessions/shared')).json()) as { stats: { totalTasks: number } };
      const hold = mock.holdNextReply();
      const doomed = a.fetch('/sessions/shared/tasks', { method: 'POST', json: { prompt: 'killed midway' } });
      doomed.catch(() => undefined);
      await hold.reached;
      await a.stop('SIGKILL');
      hold.release();

      const loaded = await b.fetch('/sessions/shared');
      expect(loaded.status).toBe(200);
      // The dead replica's lease runs out (30 s), then the next task runs and settles the killed one.
      const next = await b.fetch('/sessions/shared/tasks', {
        method: 'POST',
        json: { prompt: 'after the crash', waitMs: 120_000 },
      });
      expect(next.status).toBe(200);
      const tasks = (await (await b.fetch('/sessions/shared/tasks')).json()) as {
        tasks: Array<{ prompt: string; status: string }>;
      };
      // The killed task's pending turn was settled by the next task: recovered, or recorded as interrupted.
      const killed = tasks.tasks.filter((t) => t.prompt === 'killed midway');
      expect(killed).toHaveLength(1);
      expect(['completed', 'failed']).toContain(killed[0]?.status);
      expect(tasks.tasks.at(-1)?.prompt).toBe('after the crash');
      expect(tasks.tasks.length).toBe(before.stats.totalTasks + 2);
    },
    300_000,
  );
});
