/**
 * Graceful shutdown of a real `channelcoder serve` process on SIGTERM / SIGINT. It stops accepting (new
 * requests get 503 `SHUTTING_DOWN`), lets running tasks finish within `--shutdown-timeout`, and interrupts
 * the rest cleanly: session-core stops the claude process group, the turn is recorded as failed and
 * interrupted, the waiting client (JSON or Server-Sent Events) is told so, and the process exits 0 once
 * everything is saved. A plan interrupted that way is left for the next replica, which continues it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents, type Service, startService, startWorld } from './support/service.js';

interface StoredTask {
  id: string;
  prompt: string;
  status: string;
  interrupted?: boolean;
}

describe('graceful shutdown', () => {
  let world: Awaited<ReturnType<typeof startWorld>>;
  let storageUrl: string;

  beforeAll(async () => {
    world = await startWorld();
    storageUrl = `file://${join(world.sandbox.root, 'sessions')}`;
  });
  afterAll(async () => {
    await world?.close();
  });

  const start = (timeoutSeconds: number) =>
    startService({
      storageUrl,
      mockUrl: world.mock.url,
      sandbox: world.sandbox,
      args: ['--shutdown-timeout', String(timeoutSeconds)],
    });
  async function create(service: Service, name: string) {
    const res = await service.fetch('/sessions', {
      method: 'POST',
      json: { name, workingDirectory: world.project },
    });
    expect(res.status).toBe(201);
  }
  async function storedTasks(service: Service, name: string): Promise<StoredTask[]> {
    return ((await (await service.fetch(`/sessions/${name}/tasks`)).json()) as { tasks: StoredTask[] }).tasks;
  }

  it('a task that finishes within the deadline completes; requests meanwhile get 503; exit 0', async () => {
    world.mock.reset();
    const service = await start(120);
    await create(service, 'finishes');
    const hold = world.mock.holdNextReply();
    const task = service.fetch('/sessions/finishes/tasks', {
      method: 'POST',
      json: { prompt: 'almost done' },
    });
    await hold.reached;
    service.process.kill('SIGTERM');
    // Draining: the listener still answers, but takes no new work.
    // (Not waiting for the busy session: before the signal lands, that is a 409.)
    const late = () =>
      service.fetch('/sessions/finishes/tasks', { method: 'POST', json: { prompt: 'late', onBusy: 'fail' } });
    let refused = await late();
    for (let i = 0; i < 100 && refused.status !== 503; i++) {
      await new Promise((r) => setTimeout(r, 50));
      refused = await late();
    }
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('SHUTTING_DOWN');
    hold.release();
    const answered = await task;
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { task: StoredTask }).task).toMatchObject({ status: 'completed' });
    expect(await service.exited()).toBe(0);
    expect(world.mock.messageRequests()).toHaveLength(1);
  });

  it('past the deadline, running tasks are interrupted and recorded; JSON and SSE clients are told; exit 0', async () => {
    world.mock.reset();
    const service = await start(1);
    await create(service, 'json-client');
    await create(service, 'sse-client');
    const first = world.mock.holdNextReply();
    const second = world.mock.holdNextReply();
    const json = service.fetch('/sessions/json-client/tasks', {
      method: 'POST',
      json: { prompt: 'never ends' },
    });
    await first.reached;
    const sse = await service.fetch('/sessions/sse-client/tasks', {
      method: 'POST',
      json: { prompt: 'never ends either' },
      headers: { accept: 'text/event-stream' },
    });
    expect(sse.status).toBe(200);
    const events = readEvents(sse);
    await second.reached;
    service.process.kill('SIGINT');

    const answered = await json;
    expect(answered.status).toBe(503);
    const problem = (await answered.json()) as {
      code: string;
      detail: string;
      taskId: string;
      task: StoredTask;
    };
    expect(problem.code).toBe('SHUTTING_DOWN');
    expect(problem.detail).toContain('interrupted');
    expect(problem.task).toMatchObject({ id: problem.taskId, status: 'failed', interrupted: true });
    const last = (await events).at(-1);
    expect(last?.event).toBe('error');
    expect(last?.data).toMatchObject({
      code: 'SHUTTING_DOWN',
      task: { status: 'failed', interrupted: true },
    });
    expect(await service.exited()).toBe(0);
    first.release();
    second.release();

    const again = await start(30);
    try {
      expect(await storedTasks(again, 'json-client')).toEqual([
        expect.objectContaining({
          id: problem.taskId,
          prompt: 'never ends',
          status: 'failed',
          interrupted: true,
        }),
      ]);
      expect(await storedTasks(again, 'sse-client')).toEqual([
        expect.objectContaining({ prompt: 'never ends either', status: 'failed', interrupted: true }),
      ]);
    } finally {
      await again.stop();
    }
  });

  it('a plan cut short by shutdown is continued by the next replica: the interrupted step runs again', async () => {
    world.mock.reset();
    const service = await start(1);
    await create(service, 'handed-over');
    const first = world.mock.holdNextReply();
    const posted = await service.fetch('/sessions/handed-over/plans', {
      method: 'POST',
      json: { tasks: [{ prompt: 'plan step 1' }, { prompt: 'plan step 2' }] },
    });
    expect(posted.status).toBe(202);
    const { id } = (await posted.json()) as { id: string };
    await first.reached;
    service.process.kill('SIGTERM');
    expect(await service.exited()).toBe(0);
    first.release();

    const next = await start(30);
    try {
      let view: { status: string; takeovers: number; steps: Array<{ status: string; attempts: number }> };
      for (;;) {
        const res = await next.fetch(`/plans/${encodeURIComponent(id)}`);
        expect(res.status).toBe(200);
        view = (await res.json()) as typeof view;
        if (view.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(view).toMatchObject({ status: 'completed', takeovers: 1 });
      expect(view.steps.map((s) => [s.status, s.attempts])).toEqual([
        ['completed', 2],
        ['completed', 1],
      ]);
      expect((await storedTasks(next, 'handed-over')).map((t) => [t.prompt, t.status])).toEqual([
        ['plan step 1', 'failed'],
        ['plan step 1', 'completed'],
        ['plan step 2', 'completed'],
      ]);
    } finally {
      await next.stop();
    }
  });
});
