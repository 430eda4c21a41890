/** Constructor options, prefixes as separate key spaces, and what close() leaves alone. */
import { InvalidArgumentError } from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const client: Redis = connect(inject('redisUrl'));
afterAll(async () => {
  await client.quit();
});

describe('options', () => {
  it('defaults to the prefix channelcoder:, sliding expiry and a 5 s bound', () => {
    const storage = new RedisSessionStorage({ client });
    expect(storage.prefix).toBe('channelcoder:');
    expect(storage.ttlSeconds).toBeUndefined();
    expect(storage.slidingTtl).toBe(true);
    expect(storage.timeoutMs).toBe(5000);
  });

  it('rejects a missing client, a non-string prefix and a bad timeout with InvalidArgumentError', () => {
    const bad = [
      () => new RedisSessionStorage({} as never),
      () => new RedisSessionStorage({ client, prefix: 42 as never }),
      () => new RedisSessionStorage({ client, timeoutMs: 0 }),
      () => new RedisSessionStorage({ client, timeoutMs: Number.NaN }),
    ];
    for (const make of bad) expect(make).toThrow(InvalidArgumentError);
  });

  it('keeps prefixes apart, even when one prefix starts with the other', async () => {
    const base = uniquePrefix('apart');
    const a = new RedisSessionStorage({ client, prefix: base });
    const b = new RedisSessionStorage({ client, prefix: `${base}x:` });
    await a.save(makeState(), 'same-name');
    await b.save(makeState({ messages: 4 }), 'same-name');
    expect((await a.list()).map((i) => i.messageCount)).toEqual([2]);
    expect((await b.list()).map((i) => i.messageCount)).toEqual([4]);
    expect(await a.remove('same-name')).toBe(true);
    expect(await b.exists('same-name')).toBe(true);
    await deletePrefix(client, base);
  });

  it('close() leaves the caller’s client open', async () => {
    const storage = new RedisSessionStorage({ client, prefix: uniquePrefix('close') });
    await storage.close();
    expect(client.status).toBe('ready');
    expect(await storage.list()).toEqual([]);
  });
});
