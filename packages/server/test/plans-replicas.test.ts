/**
 * Plans across two `channelcoder serve` replicas on one Redis, each with its own Claude config directory
 * (as on two machines): a plan is stored with its session, so the replica that did not accept it reports its
 * progress; when the replica running it is killed (SIGKILL) mid-task, the other one takes it over once the
 * dead replica's lease lapses and continues it: the task cut short runs again (its interrupted turn stays
 * recorded), restored from the stored transcript, and the rest of the plan follows.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  MockAnthropicServer,
  makeClaudeSandbox,
  makeTempDir,
  type PrivateRedis,
  startPrivateRedis,
  type TempDir,
} from '@channelcoder/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startService } from './support/service.js';

interface PlanView {
  id: string;
  status: string;
  done: number;
  running: number | null;
  owner: string | null;
  takeovers: number;
  steps: Array<{ status: string; taskId?: string; attempts: number }>;
}

describe('plans across two replicas on one Redis', () => {
  let mock: MockAnthropicServer;
  let redis: PrivateRedis | undefined;
  let root: TempDir;
  let project: string;
  let storageUrl: string;
  const replicas: Service[] = [];

  async function replica(id: string): Promise<Service> {
    const service = await startService({
      storageUrl,
      mockUrl: mock.url,
      sandbox: makeClaudeSandbox(`cc-plan-replica-${id}`),
      // A dead replica's holds lapse after 3 s instead of 30.
      args: ['--lease-ttl', '3'],
      env: { CHANNELCODER_ALLOWED_ROOTS: root.path },
    });
    replicas.push(service);
    return service;
  }
  async function view(service: Service, id: string): Promise<PlanView> {
    const res = await service.fetch(`/plans/${encodeURIComponent(id)}`);
    expect(res.status).toBe(200);
    return (await res.json()) as PlanView;
  }
  async function settled(service: Service, id: string): Promise<PlanView> {
    for (;;) {
      const v = await view(service, id);
      if (v.status !== 'running') return v;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  beforeAll(async () => {
    mock = await MockAnthropicServer.start();
    root = makeTempDir('cc-plan-replicas');
    project = join(root.path, 'project');
    mkdirSync(project, { recursive: true });
    let base = process.env.CHANNELCODER_TEST_REDIS_URL;
    if (!base) {
      redis = await startPrivateRedis();
      base = redis.url;
    }
    const url = new URL(base);
    url.searchParams.set('prefix', `cc-plans-${randomUUID().slice(0, 8)}:`);
    storageUrl = url.toString();
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await mock?.close();
    await redis?.destroy();
    root?.remove();
  });

  it('the other replica reports a running plan and, after it finished, the same outcome', async () => {
    const [a, b] = await Promise.all([replica('a'), replica('b')]);
    if (a === undefined || b === undefined) throw new Error('replicas did not start');
    mock.reset();
    expect(
      (await a.fetch('/sessions', { method: 'POST', json: { name: 'planned', workingDirectory: project } }))
        .status,
    ).toBe(201);
    const hold = mock.holdNextReply();
    const posted = await a.fetch('/sessions/planned/plans', {
      method: 'POST',
      json: { tasks: [{ prompt: 'one' }, { prompt: 'two' }] },
    });
    expect(posted.status).toBe(202);
    const { id } = (await posted.json()) as PlanView;
    await hold.reached;
    // B did not accept the plan and is not running it: it reads the stored progress, and leaves it alone.
    expect(await view(b, id)).toMatchObject({ status: 'running', running: 0, takeovers: 0 });
    hold.release();
    const fromA = await settled(a, id);
    expect(fromA).toMatchObject({ status: 'completed', done: 2, owner: null });
    // The last write of a plan lands just after it reports finished: wait for B to see it too.
    expect(await settled(b, id)).toEqual(fromA);
    expect(mock.messageRequests().map((r) => r.userTurns)).toEqual([1, 2]);
  }, 300_000);

  it('a replica SIGKILLed mid-plan: the other takes the plan over and completes it', async () => {
    const [a, b] = replicas;
    if (a === undefined || b === undefined) throw new Error('replicas did not start');
    mock.reset();
    expect(
      (await a.fetch('/sessions', { method: 'POST', json: { name: 'orphaned', workingDirectory: project } }))
        .status,
    ).toBe(201);
    const first = mock.holdNextReply();
    const second = mock.holdNextReply();
    const posted = await a.fetch('/sessions/orphaned/plans', {
      method: 'POST',
      json: { tasks: [{ prompt: 'step 1' }, { prompt: 'step 2' }, { prompt: 'step 3' }] },
    });
    const { id } = (await posted.json()) as PlanView;
    await first.reached;
    first.release();
    await second.reached;
    await a.stop('SIGKILL');
    second.release();

    const done = await settled(b, id);
    expect(done).toMatchObject({ status: 'completed', done: 3, takeovers: 1 });
    expect(done.steps.map((s) => [s.status, s.attempts])).toEqual([
      ['completed', 1],
      ['completed', 2],
      ['completed', 1],
    ]);
    const tasks = (
      (await (await b.fetch('/sessions/orphaned/tasks')).json()) as {
        tasks: Array<{ id: string; prompt: string; status: string; interrupted?: boolean }>;
      }
    ).tasks;
    expect(tasks.map((t) => [t.prompt, t.status, t.interrupted === true])).toEqual([
      ['step 1', 'completed', false],
      ['step 2', 'failed', true],
      ['step 2', 'completed', false],
      ['step 3', 'completed', false],
    ]);
    expect(done.steps.map((s) => s.taskId)).toEqual([tasks[0]?.id, tasks[2]?.id, tasks[3]?.id]);
    // B restored the conversation from the stored transcript: the re-run continues step 1's turn.
    expect(mock.messageRequests().map((r) => r.userTurns)).toEqual([1, 2, 2, 3]);
  }, 300_000);
});
