/**
 * Seed 004 over HTTP: a coding agent's REST API for sessions and per-session task statistics, served by a
 * real `channelcoder serve` process on file storage, turns run by the real `claude` CLI against the mock API.
 */
import { join } from 'node:path';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents, type Service, startService, startWorld } from './support/service.js';

describe('seed 004: sessions with task statistics over HTTP', () => {
  let world: Awaited<ReturnType<typeof startWorld>>;
  let service: Service;

  beforeAll(async () => {
    world = await startWorld({ usage: { input_tokens: 120, output_tokens: 30 } });
    service = await startService({
      storageUrl: `file://${join(world.sandbox.root, 'sessions')}`,
      mockUrl: world.mock.url,
      sandbox: world.sandbox,
    });
  });
  afterAll(async () => {
    await service?.stop();
    await world?.close();
  });

  it('create with a working directory, three tasks (one streamed), stats, list, end, a fourth task → 409', async () => {
    const created = await service.fetch('/sessions', {
      method: 'POST',
      json: { workingDirectory: world.project, tags: ['feature-x'], defaults: { permissionMode: 'default' } },
    });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { name: string; metadata: Record<string, unknown> };
    expect(session.name).toMatch(/^session-\d{8}-\d{6}-[0-9a-f]{8}$/);
    expect(session.metadata.workingDirectory).toBe(world.project);
    expect(session.metadata.tags).toEqual(['feature-x']);
    const name = session.name;

    const first = await service.fetch(`/sessions/${name}/tasks`, {
      method: 'POST',
      json: { prompt: 'Create a component called UserProfile' },
    });
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as {
      task: { id: string; status: string };
      result: { text: string };
    };
    expect(firstBody.result.text).toBe('turn 1: Create a component called UserProfile');
    expect(firstBody.task.status).toBe('completed');

    const streamed = await service.fetch(`/sessions/${name}/tasks`, {
      method: 'POST',
      headers: { accept: 'text/event-stream' },
      json: { prompt: 'Add tests' },
    });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(streamed);
    expect(events.map((e) => e.event)).toEqual(['start', 'text', 'result']);
    expect(events[1]?.data).toEqual({ content: 'turn 2: Add tests' });
    const streamedTask = (events[2]?.data as { task: { id: string } } | undefined)?.task as { id: string };

    const third = await service.fetch(`/sessions/${name}/tasks`, {
      method: 'POST',
      json: {
        template: 'Document {component} in {file}',
        data: { component: 'UserProfile', file: 'README.md' },
      },
    });
    expect(third.status).toBe(200);
    expect(((await third.json()) as { result: { text: string } }).result.text).toBe(
      'turn 3: Document UserProfile in README.md',
    );
    // The mock saw each task continue the conversation.
    expect(world.mock.messageRequests().map((r) => r.userTurns)).toEqual([1, 2, 3]);

    const got = await service.fetch(`/sessions/${name}`);
    expect(got.status).toBe(200);
    const view = (await got.json()) as {
      stats: Record<string, number | string>;
      metadata: { status: string };
    };
    expect(view.stats.totalTasks).toBe(3);
    expect(view.stats.completedTasks).toBe(3);
    expect(view.stats.failedTasks).toBe(0);
    expect(view.stats.successRate).toBe(100);
    expect(view.stats.costUsd).toBeGreaterThan(0);
    expect(view.stats.status).toBe('active');
    expect((view.stats.tokens as unknown as { input: number }).input).toBeGreaterThanOrEqual(360);

    // The streamed task is stored with its turn and readable by id.
    const task = await service.fetch(`/sessions/${name}/tasks/${streamedTask.id}`);
    expect(task.status).toBe(200);
    expect(await task.json()).toMatchObject({
      id: streamedTask.id,
      prompt: 'Add tests',
      result: 'turn 2: Add tests',
    });

    const messages = (await (await service.fetch(`/sessions/${name}/messages?limit=4&offset=2`)).json()) as {
      messages: Array<{ role: string; content: string }>;
      total: number;
      nextOffset: number | null;
    };
    expect(messages.total).toBe(6);
    expect(messages.messages.map((m) => m.content)).toEqual([
      'Add tests',
      'turn 2: Add tests',
      'Document UserProfile in README.md',
      'turn 3: Document UserProfile in README.md',
    ]);
    expect(messages.nextOffset).toBeNull();

    const listed = (await (await service.fetch('/sessions?tag=feature-x')).json()) as {
      sessions: Array<{ name: string; messageCount: number; status: string }>;
    };
    expect(listed.sessions).toEqual([expect.objectContaining({ name, messageCount: 6, status: 'active' })]);

    const ended = await service.fetch(`/sessions/${name}/end`, { method: 'POST' });
    expect(ended.status).toBe(200);
    expect(((await ended.json()) as { stats: { status: string } }).stats.status).toBe('ended');

    const fourth = await service.fetch(`/sessions/${name}/tasks`, {
      method: 'POST',
      json: { prompt: 'One more' },
    });
    expect(fourth.status).toBe(409);
    expect(fourth.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await fourth.json()).toMatchObject({ status: 409, code: 'SESSION_ENDED' });
    expect(world.mock.messageRequests()).toHaveLength(3);

    // A fork of the ended session is active and continues the conversation.
    const forked = await service.fetch(`/sessions/${name}/fork`, {
      method: 'POST',
      json: { name: 'feature-x-2' },
    });
    expect(forked.status).toBe(201);
    const fifth = await service.fetch('/sessions/feature-x-2/tasks', {
      method: 'POST',
      json: { prompt: 'Go on' },
    });
    expect(((await fifth.json()) as { result: { text: string } }).result.text).toBe('turn 4: Go on');

    expect((await service.fetch('/sessions/feature-x-2', { method: 'DELETE' })).status).toBe(204);
    expect((await service.fetch('/sessions/feature-x-2')).status).toBe(404);
    // The file storage keeps a trash: the deleted session is there, whole, until purged.
    const storage = new FileSessionStorage(join(world.sandbox.root, 'sessions'));
    const [trashed] = await storage.listTrash({ name: 'feature-x-2' });
    expect(trashed).toMatchObject({ name: 'feature-x-2', reason: 'removed' });
    expect(trashed?.session.messageCount).toBe(8);
    expect((await service.fetch(`/sessions/${name}?purge=true`, { method: 'DELETE' })).status).toBe(204);
    expect(await storage.listTrash({ name })).toEqual([]);
    expect((await service.fetch('/sessions/x?purge=yes', { method: 'DELETE' })).status).toBe(400);
  });
});
