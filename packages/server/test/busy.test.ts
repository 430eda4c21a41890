/**
 * `busy` on session answers: a real `channelcoder serve` process and, in another process, a holder of the
 * session's lease taken through the storage itself (as a CLI turn or another replica holds it). The session,
 * the listing and the conversation show the holder and its expiry, read with the storage's `peekLease`
 * without taking the lease; a task sent meanwhile with `onBusy: 'fail'` is the 409 naming the same holder;
 * once the other process releases the lease, `busy` is null again and a task runs.
 *
 * Runs for each adapter that has `peekLease` (Redis and files).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { SessionStorage } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { RedisSessionStorage } from '@channelcoder/storage-redis';
import { type PrivateRedis, startPrivateRedis } from '@channelcoder/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdLeaseElsewhere, type Service, startService, startWorld } from './support/service.js';

interface BusyField {
  busy: { holder: string; expiresAt: string | null } | null;
}

const backends = [
  {
    kind: 'redis',
    has: typeof (RedisSessionStorage.prototype as SessionStorage).peekLease === 'function',
    async url(stack: Array<() => Promise<void>>) {
      let base = process.env.CHANNELCODER_TEST_REDIS_URL;
      if (!base) {
        const server: PrivateRedis = await startPrivateRedis();
        stack.push(() => server.destroy());
        base = server.url;
      }
      const url = new URL(base);
      url.searchParams.set('prefix', `cc-busy-${randomUUID().slice(0, 8)}:`);
      return url.toString();
    },
  },
  {
    kind: 'file',
    has: typeof (FileSessionStorage.prototype as SessionStorage).peekLease === 'function',
    async url(_stack: Array<() => Promise<void>>, root: string) {
      return `file://${join(root, 'sessions')}`;
    },
  },
];

for (const backend of backends) {
  describe.runIf(backend.has)(`busy, read with peekLease (${backend.kind})`, () => {
    let world: Awaited<ReturnType<typeof startWorld>>;
    let service: Service;
    let storageUrl: string;
    const cleanup: Array<() => Promise<void>> = [];

    beforeAll(async () => {
      world = await startWorld();
      storageUrl = await backend.url(cleanup, world.sandbox.root);
      service = await startService({ storageUrl, mockUrl: world.mock.url, sandbox: world.sandbox });
    });
    afterAll(async () => {
      await service?.stop();
      await world?.close();
      for (const step of cleanup.reverse()) await step();
    });

    it('shows the holder in another process on get, list and conversation; null once released', async () => {
      const name = `busy-${backend.kind}`;
      const created = await service.fetch('/sessions', {
        method: 'POST',
        json: { name, workingDirectory: world.project },
      });
      expect(created.status).toBe(201);
      const get = async () => (await (await service.fetch(`/sessions/${name}`)).json()) as BusyField;
      const listed = async () => {
        const page = (await (await service.fetch(`/sessions?prefix=${name}`)).json()) as {
          sessions: Array<BusyField & { name: string }>;
        };
        return page.sessions.find((s) => s.name === name)?.busy;
      };
      const conversation = async () =>
        ((await (await service.fetch(`/sessions/${name}/conversation`)).json()) as { session: BusyField })
          .session.busy;
      expect((await get()).busy).toBeNull();
      expect(await listed()).toBeNull();

      const holder = `cli-turn-elsewhere-${process.pid}`;
      const lease = await holdLeaseElsewhere(storageUrl, name, holder);
      try {
        const busy = { holder, expiresAt: lease.expiresAt };
        expect((await get()).busy?.holder).toBe(holder);
        expect(Date.parse((await get()).busy?.expiresAt ?? '')).toBeGreaterThanOrEqual(
          Date.parse(busy.expiresAt),
        );
        expect((await listed())?.holder).toBe(holder);
        expect((await conversation())?.holder).toBe(holder);
        // Reading it never took it: the holder still has it, and a task is refused naming it.
        const refused = await service.fetch(`/sessions/${name}/tasks`, {
          method: 'POST',
          json: { prompt: 'not now', onBusy: 'fail' },
        });
        expect(refused.status).toBe(409);
        const problem = (await refused.json()) as { code: string; holder: string };
        expect([problem.code, problem.holder]).toEqual(['SESSION_BUSY', holder]);
      } finally {
        await lease.release();
      }
      expect((await get()).busy).toBeNull();
      expect(await listed()).toBeNull();
      expect(await conversation()).toBeNull();
      const ran = await service.fetch(`/sessions/${name}/tasks`, {
        method: 'POST',
        json: { prompt: 'now it runs', onBusy: 'fail' },
      });
      expect(ran.status).toBe(200);
    });
  });
}
