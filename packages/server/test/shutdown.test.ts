/**
 * Shutdown of a real `channelcoder serve` process on SIGTERM while a task runs: the running turn is interrupted cleanly (session-core stops the claude process group on
 * the signal) and recorded as a failed turn, its request is answered with the problem, and the process
 * exits 0 once everything is saved and the storage is closed.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, startWorld } from './support/service.js';

describe('shutdown on SIGTERM', () => {
  let world: Awaited<ReturnType<typeof startWorld>>;
  let storageUrl: string;

  beforeAll(async () => {
    world = await startWorld();
    storageUrl = `file://${join(world.sandbox.root, 'sessions')}`;
  });
  afterAll(async () => {
    await world?.close();
  });

  it('records the running task as interrupted, answers it, exits 0', async () => {
    const service = await startService({ storageUrl, mockUrl: world.mock.url, sandbox: world.sandbox });
    await service.fetch('/sessions', {
      method: 'POST',
      json: { name: 'stopped', workingDirectory: world.project },
    });
    const hold = world.mock.holdNextReply();
    const task = service.fetch('/sessions/stopped/tasks', { method: 'POST', json: { prompt: 'never ends' } });
    await hold.reached;
    service.process.kill('SIGTERM');
    const answered = await task;
    expect(answered.status).toBe(502);
    const problem = (await answered.json()) as { code: string; taskId: string };
    expect(problem.code).toBe('CLAUDE_RUN_FAILED');
    expect(await service.exited()).toBe(0);
    hold.release();

    const again = await startService({ storageUrl, mockUrl: world.mock.url, sandbox: world.sandbox });
    try {
      const tasks = (await (await again.fetch('/sessions/stopped/tasks')).json()) as {
        tasks: Array<{ id: string; prompt: string; status: string }>;
      };
      expect(tasks.tasks).toEqual([
        expect.objectContaining({ id: problem.taskId, prompt: 'never ends', status: 'failed' }),
      ]);
    } finally {
      await again.stop();
    }
  });
});
