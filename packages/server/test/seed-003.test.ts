/**
 * Seed 003 over HTTP: a plan's tasks run in order in one session, each continuing the conversation of the
 * ones before it (the mock sees turns 1…5), with progress while it runs; a failed task (the mock's
 * injected 500) stops the plan with the failure recorded; a plan whose transcript expired locally
 * continues from the stored one, or fails with the typed error when none is stored.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startService, startWorld } from './support/service.js';

interface PlanView {
  id: string;
  status: string;
  total: number;
  done: number;
  failed: number;
  running: number | null;
  next: number | null;
  steps: Array<{ index: number; status: string; taskId?: string; error?: { code: string; status: number } }>;
}

describe('seed 003: plans', () => {
  let world: Awaited<ReturnType<typeof startWorld>>;
  let service: Service;
  let sessionsDir: string;

  beforeAll(async () => {
    world = await startWorld();
    sessionsDir = join(world.sandbox.root, 'sessions');
    service = await startService({
      storageUrl: `file://${sessionsDir}`,
      mockUrl: world.mock.url,
      sandbox: world.sandbox,
    });
  });
  afterAll(async () => {
    await service?.stop();
    await world?.close();
  });

  async function createSession(name: string) {
    const res = await service.fetch('/sessions', {
      method: 'POST',
      json: { name, workingDirectory: world.project },
    });
    expect(res.status).toBe(201);
  }
  async function plan(id: string): Promise<PlanView> {
    const res = await service.fetch(`/plans/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as PlanView;
  }
  async function settled(id: string): Promise<PlanView> {
    for (;;) {
      const view = await plan(id);
      if (view.status !== 'running') return view;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  async function startPlan(name: string, body: unknown): Promise<PlanView> {
    const res = await service.fetch(`/sessions/${name}/plans`, { method: 'POST', json: body });
    expect(res.status).toBe(202);
    return (await res.json()) as PlanView;
  }
  const tasks = (n: number) => Array.from({ length: n }, (_, i) => ({ prompt: `step ${i + 1}` }));

  it('runs 5 tasks in order in one session, reporting progress while it runs', async () => {
    world.mock.reset();
    await createSession('plan-five');
    const first = world.mock.holdNextReply();
    const started = await startPlan('plan-five', { tasks: tasks(5) });
    expect(started).toMatchObject({ status: 'running', total: 5, done: 0 });

    await first.reached;
    expect(await plan(started.id)).toMatchObject({ status: 'running', done: 0, running: 0, next: 1 });
    const second = world.mock.holdNextReply();
    first.release();
    await second.reached;
    const midway = await plan(started.id);
    expect(midway).toMatchObject({ status: 'running', done: 1, running: 1, next: 2 });
    expect(midway.steps[0]).toMatchObject({ status: 'completed', taskId: expect.any(String) });
    second.release();

    const done = await settled(started.id);
    expect(done).toMatchObject({ status: 'completed', done: 5, failed: 0, running: null, next: null });
    expect(world.mock.messageRequests().map((r) => r.userTurns)).toEqual([1, 2, 3, 4, 5]);

    const stored = (await (await service.fetch('/sessions/plan-five/tasks')).json()) as {
      tasks: Array<{ id: string; result: string }>;
    };
    expect(stored.tasks.map((t) => t.result)).toEqual([1, 2, 3, 4, 5].map((n) => `turn ${n}: step ${n}`));
    expect(stored.tasks.map((t) => t.id)).toEqual(done.steps.map((s) => s.taskId));
  });

  it('a failed task (API 500) stops the plan; the failure is recorded in the session', async () => {
    world.mock.reset();
    await createSession('plan-fails');
    const first = world.mock.holdNextReply();
    const started = await startPlan('plan-fails', { tasks: tasks(4) });
    await first.reached;
    world.mock.failNext(1, { status: 500, message: 'injected failure' });
    first.release();

    const done = await settled(started.id);
    expect(done).toMatchObject({ status: 'failed', done: 1, failed: 1, next: null });
    expect(done.steps.map((s) => s.status)).toEqual(['completed', 'failed', 'skipped', 'skipped']);
    expect(done.steps[1]?.error).toMatchObject({ code: 'CLAUDE_RUN_FAILED' });
    expect(world.mock.messageRequests()).toHaveLength(2);

    const view = (await (await service.fetch('/sessions/plan-fails')).json()) as {
      stats: { totalTasks: number; failedTasks: number; successRate: number };
    };
    expect(view.stats).toMatchObject({ totalTasks: 2, failedTasks: 1, successRate: 50 });
    const failed = (await (
      await service.fetch(`/sessions/plan-fails/tasks/${done.steps[1]?.taskId}`)
    ).json()) as {
      status: string;
      prompt: string;
    };
    expect(failed).toMatchObject({ status: 'failed', prompt: 'step 2' });
  });

  it('continueOnError runs the rest after a failure', async () => {
    world.mock.reset();
    await createSession('plan-continues');
    const first = world.mock.holdNextReply();
    const started = await startPlan('plan-continues', { tasks: tasks(3), continueOnError: true });
    await first.reached;
    world.mock.failNext(1, { status: 500 });
    first.release();
    const done = await settled(started.id);
    expect(done.steps.map((s) => s.status)).toEqual(['completed', 'failed', 'completed']);
    expect(done).toMatchObject({ status: 'failed', done: 2, failed: 1 });
  });

  it('a plan on a session whose local transcript expired continues from the stored transcript', async () => {
    world.mock.reset();
    await createSession('plan-restored');
    const one = await service.fetch('/sessions/plan-restored/tasks', {
      method: 'POST',
      json: { prompt: 'remember 42' },
    });
    expect(one.status).toBe(200);
    rmSync(join(world.sandbox.configDir, 'projects'), { recursive: true, force: true });

    const done = await settled((await startPlan('plan-restored', { tasks: tasks(2) })).id);
    expect(done).toMatchObject({ status: 'completed', done: 2 });
    expect(world.mock.messageRequests().map((r) => r.userTurns)).toEqual([1, 2, 3]);
  });

  it('without a stored transcript either, the plan fails with the typed error instead of starting over', async () => {
    world.mock.reset();
    await createSession('plan-lost');
    expect(
      (await service.fetch('/sessions/plan-lost/tasks', { method: 'POST', json: { prompt: 'remember 7' } }))
        .status,
    ).toBe(200);
    rmSync(join(world.sandbox.configDir, 'projects'), { recursive: true, force: true });
    rmSync(join(sessionsDir, 'plan-lost', 'transcripts'), { recursive: true, force: true });

    const done = await settled((await startPlan('plan-lost', { tasks: tasks(2) })).id);
    expect(done.status).toBe('failed');
    expect(done.steps.map((s) => s.status)).toEqual(['failed', 'skipped']);
    expect(['RESUME_NOT_FOUND', 'TRANSCRIPT_FAILED']).toContain(done.steps[0]?.error?.code);
    // No fresh conversation was started: the only turn the mock saw is the first task's.
    expect(world.mock.messageRequests().map((r) => r.userTurns)).toEqual([1]);
  });
});
