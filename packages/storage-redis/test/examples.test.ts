/** The README's examples, run against the test server. */
import { readFileSync } from 'node:fs';
import { makeState } from '@channelcoder/storage-conformance';
import { type PrivateRedis, startPrivateRedis } from '@channelcoder/testkit';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { quickstart } from '../examples/quickstart.js';
import { RedisSessionStorage } from '../src/index.js';
import { connect, deletePrefix } from './support/fixtures.js';

describe('examples/quickstart.ts', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('saves, loads, lists and removes a session', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await quickstart(inject('redisUrl'));
    expect(log.mock.calls[0]).toEqual([1, 1]);
    expect(log.mock.calls.some((call) => call[0] === 'support-bot')).toBe(true);
    const check = connect(inject('redisUrl'));
    expect(
      await new RedisSessionStorage({ client: check, prefix: 'myapp:sessions:' }).exists('support-bot'),
    ).toBe(false);
    await deletePrefix(check, 'myapp:sessions:');
    await check.quit();
  });
});

describe('examples/acl-user.redis', () => {
  let server: PrivateRedis | undefined;
  afterEach(async () => {
    await server?.destroy();
  });

  it('grants a user exactly enough for every storage operation', async () => {
    // A private server: the test creates a user, which must not change the shared server.
    server = await startPrivateRedis();
    const admin = new Redis(server.url);
    const line = readFileSync(new URL('../examples/acl-user.redis', import.meta.url), 'utf8').trim();
    await admin.call(...(line.split(/\s+/) as [string, ...string[]]));

    const client = connect(server.url, { username: 'channelcoder', password: 'change-me' });
    const storage = new RedisSessionStorage({ client, prefix: 'myapp:sessions:', ttlSeconds: 600 });
    const state = makeState({ messages: 4 });
    await storage.save(state, 'acl-check');
    state.messages.push(...makeState({ messages: 2 }).messages);
    await storage.save(state, 'acl-check');
    await new RedisSessionStorage({ client, prefix: 'myapp:sessions:' }).save(state, 'acl-check');
    state.messages = [];
    await storage.save(state, 'acl-check');
    await storage.appendTranscript('acl-check', 'claude-id', [{ type: 'user' }, { type: 'assistant' }], 0);
    await storage.appendTranscript('acl-check', 'claude-id', [{ type: 'assistant' }, { type: 'user' }], 1);
    await storage.appendTranscript('acl-check', 'claude-id', [{ type: 'user', uuid: 'u1' }], 0, {
      dedupe: 'uuid',
    });
    expect(await storage.loadTranscript('acl-check', 'claude-id')).toHaveLength(4);
    expect(await storage.readRevision('acl-check')).toBe(4);
    expect(await storage.deleteTranscript('acl-check', 'claude-id')).toBe(true);
    expect((await storage.load('acl-check')).revision).toBe(4);
    expect((await storage.list()).map((i) => i.name)).toEqual(['acl-check']);
    expect(await storage.exists('acl-check')).toBe(true);
    expect(await storage.remove('acl-check')).toBe(true);
    await storage.save(makeState(), 'expired');
    await admin.del('myapp:sessions:{expired}:head');
    expect(await storage.pruneIndex()).toBe(1);
    const lease = await storage.lease('leased', { ttlMs: 60_000 });
    await lease.renew();
    await storage.save(makeState(), 'leased', { lease });
    await storage.appendTranscript('leased', 'claude-id', [{ type: 'user' }], 0, { lease });
    expect((await storage.peekLease('leased'))?.token).toBe(lease.token);
    await lease.release();

    // The user is confined to its prefix.
    const outside = new RedisSessionStorage({ client, prefix: 'other:' });
    await expect(outside.save(makeState(), 'x')).rejects.toThrow(/NOPERM|permission/i);
    await client.quit();
    await admin.quit();
  });
});
