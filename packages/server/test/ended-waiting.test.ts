/**
 * A task waiting for the session's lease while the session is ended elsewhere: two real `channelcoder
 * serve` processes over one file storage. Replica A runs a turn (the mock holds its reply, so A keeps the
 * lease); a task sent to replica B passes its checks and waits for the lease; B is stopped (SIGSTOP) so that
 * `end` on A takes the lease first, deterministically; once B continues, its task takes the lease, sees the
 * ended mark in the state it reads under the lease and is refused with 409 SESSION_ENDED. The mock sees no
 * further request and the session keeps its one task.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startService, startWorld } from './support/service.js';

describe('a task waiting for the lease of a session ended meanwhile', () => {
  let world: Awaited<ReturnType<typeof startWorld>>;
  let a: Service;
  let b: Service;

  beforeAll(async () => {
    world = await startWorld();
    const storageUrl = `file://${join(world.sandbox.root, 'sessions')}`;
    const options = { storageUrl, mockUrl: world.mock.url, sandbox: world.sandbox };
    [a, b] = await Promise.all([startService(options), startService(options)]);
  });
  afterAll(async () => {
    if (b?.process.signalCode === 'SIGSTOP') b.process.kill('SIGCONT');
    await Promise.all([a?.stop(), b?.stop()]);
    await world?.close();
  });

  it('is refused with 409 SESSION_ENDED once it gets the lease, and nothing runs', async () => {
    const created = await a.fetch('/sessions', {
      method: 'POST',
      json: { name: 'ended-while-waiting', workingDirectory: world.project },
    });
    expect(created.status).toBe(201);

    // A's turn holds the lease while the mock holds its reply.
    const hold = world.mock.holdNextReply();
    const first = a.fetch('/sessions/ended-while-waiting/tasks', {
      method: 'POST',
      json: { prompt: 'the only turn' },
    });
    await hold.reached;
    const requestsWhileHeld = world.mock.messageRequests().length;

    // B's task passes its checks (the session is active) and waits for the lease.
    const waiting = b.fetch('/sessions/ended-while-waiting/tasks', {
      method: 'POST',
      json: { prompt: 'must never run', onBusy: 'wait', waitMs: 120_000 },
    });
    for (;;) {
      const view = (await (await b.fetch('/sessions/ended-while-waiting')).json()) as {
        running: { holder: string } | null;
      };
      if (view.running !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }

    // B cannot take the lease while stopped: A's turn ends and A's `end` gets the lease next.
    b.process.kill('SIGSTOP');
    try {
      hold.release();
      const done = await first;
      expect(done.status).toBe(200);
      const ended = await a.fetch('/sessions/ended-while-waiting/end', { method: 'POST' });
      expect(ended.status).toBe(200);
      expect(((await ended.json()) as { metadata: { status: string } }).metadata.status).toBe('ended');
    } finally {
      b.process.kill('SIGCONT');
    }

    const refused = await waiting;
    expect(refused.status).toBe(409);
    const problem = (await refused.json()) as { code: string; detail: string };
    expect(problem.code).toBe('SESSION_ENDED');
    expect(problem.detail).toContain('ended-while-waiting');

    // No turn after the held one reached the mock, and the session keeps exactly its one task.
    const requests = world.mock.messageRequests();
    expect(requests.length).toBe(requestsWhileHeld);
    const tasks = (await (await a.fetch('/sessions/ended-while-waiting/tasks')).json()) as {
      tasks: Array<{ prompt: string; status: string }>;
    };
    expect(tasks.tasks.map((t) => [t.prompt, t.status])).toEqual([['the only turn', 'completed']]);
    // B is free again: the lease was released when the task was refused.
    const again = await b.fetch('/sessions/ended-while-waiting/tasks', {
      method: 'POST',
      json: { prompt: 'also refused', onBusy: 'fail' },
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('SESSION_ENDED');
  });
});
