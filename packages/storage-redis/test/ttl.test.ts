/** Expiry with ttlSeconds: keys expire together, saves and loads extend them, the index does not grow. */
import { SessionConflictError, SessionNotFoundError } from '@channelcoder/session-core';
import { addMessages, makeState } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { indexKeys, sessionKeys } from '../src/keys.js';
import { connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const client: Redis = connect(inject('redisUrl'));
let prefix: string;

beforeEach(() => {
  prefix = uniquePrefix('ttl');
});
afterEach(async () => {
  await deletePrefix(client, prefix);
});
afterAll(async () => {
  await client.quit();
});

/** Absolute expiry (unix ms) of both keys of a session, read in one transaction. */
async function expiries(name: string): Promise<[number, number]> {
  const keys = sessionKeys(prefix, name);
  const replies = await client
    .multi()
    .call('PEXPIRETIME', keys.head)
    .call('PEXPIRETIME', keys.messages)
    .exec();
  return [Number(replies?.[0]?.[1]), Number(replies?.[1]?.[1])];
}

/** Pretends time passed: both keys now expire in `ms`. */
async function shorten(name: string, ms: number): Promise<void> {
  const keys = sessionKeys(prefix, name);
  const at = Date.now() + ms;
  await client.multi().pexpireat(keys.head, at).pexpireat(keys.messages, at).exec();
}

async function untilGone(name: string): Promise<void> {
  const { head } = sessionKeys(prefix, name);
  for (let i = 0; i < 200 && (await client.exists(head)) === 1; i++)
    await new Promise((r) => setTimeout(r, 50));
  expect(await client.exists(head)).toBe(0);
}

describe('ttlSeconds', () => {
  it('gives every key of a session the same expiry', async () => {
    const storage = new RedisSessionStorage({ client, prefix, ttlSeconds: 3600 });
    await storage.save(makeState({ messages: 4 }), 'expiring');
    const [head, messages] = await expiries('expiring');
    expect(head).toBeGreaterThan(Date.now() + 3_500_000);
    expect(messages).toBe(head);
  });

  it('extends the expiry on save, and on load when slidingTtl', async () => {
    const storage = new RedisSessionStorage({ client, prefix, ttlSeconds: 3600 });
    const state = makeState({ messages: 2 });
    await storage.save(state, 'sliding');
    await shorten('sliding', 60_000);
    await storage.load('sliding');
    const [afterLoad, afterLoadMessages] = await expiries('sliding');
    expect(afterLoad).toBeGreaterThan(Date.now() + 3_500_000);
    expect(afterLoadMessages).toBe(afterLoad);

    await shorten('sliding', 60_000);
    addMessages(state, 2);
    await storage.save(state, 'sliding');
    const [afterSave, afterSaveMessages] = await expiries('sliding');
    expect(afterSave).toBeGreaterThan(Date.now() + 3_500_000);
    expect(afterSaveMessages).toBe(afterSave);
  });

  it('does not extend on load when slidingTtl is false', async () => {
    const storage = new RedisSessionStorage({ client, prefix, ttlSeconds: 3600, slidingTtl: false });
    await storage.save(makeState({ messages: 2 }), 'fixed');
    await shorten('fixed', 60_000);
    await storage.load('fixed');
    const [head, messages] = await expiries('fixed');
    expect(head).toBeLessThan(Date.now() + 61_000);
    expect(messages).toBe(head);
  });

  it('removes the expiry of every key when a storage without ttlSeconds saves the session', async () => {
    const expiring = new RedisSessionStorage({ client, prefix, ttlSeconds: 3600 });
    const state = makeState({ messages: 2 });
    await expiring.save(state, 'kept');
    addMessages(state, 2);
    await new RedisSessionStorage({ client, prefix }).save(state, 'kept');
    expect(await expiries('kept')).toEqual([-1, -1]);
  });

  it('an expired session is gone: load says not found, a stale save conflicts, list does not show it', async () => {
    const storage = new RedisSessionStorage({ client, prefix, ttlSeconds: 0.2 });
    const state = makeState({ messages: 2 });
    await storage.save(state, 'brief');
    await untilGone('brief');
    await expect(storage.load('brief')).rejects.toSatisfy(SessionNotFoundError.is);
    addMessages(state, 1);
    await expect(storage.save(state, 'brief')).rejects.toSatisfy(SessionConflictError.is);
    expect(await storage.list()).toEqual([]);
    expect(await storage.exists('brief')).toBe(false);
  });

  it('drops expired sessions from the index as list() meets them: the index does not keep growing', async () => {
    const brief = new RedisSessionStorage({ client, prefix, ttlSeconds: 0.2 });
    const lasting = new RedisSessionStorage({ client, prefix });
    const index = indexKeys(prefix);
    await lasting.save(makeState(), 'lasting');
    const sizes: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 10; i++) await brief.save(makeState({ messages: 2 }), `round-${round}-${i}`);
      expect(await client.zcard(index.order)).toBe(11);
      await untilGone(`round-${round}-9`);
      expect((await brief.list()).map((i) => i.name)).toEqual(['lasting']);
      sizes.push(await client.zcard(index.order), await client.hlen(index.members));
    }
    expect(sizes).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('pruneIndex() drops expired entries without a listing', async () => {
    const storage = new RedisSessionStorage({ client, prefix, ttlSeconds: 0.2 });
    for (let i = 0; i < 5; i++) await storage.save(makeState(), `p-${i}`);
    await untilGone('p-4');
    expect(await storage.pruneIndex()).toBe(5);
    expect(await client.zcard(indexKeys(prefix).order)).toBe(0);
    expect(await client.hlen(indexKeys(prefix).members)).toBe(0);
  });

  it('rejects a ttlSeconds that is not a positive number', () => {
    for (const ttlSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new RedisSessionStorage({ client, prefix, ttlSeconds })).toThrow(/ttlSeconds/);
    }
  });
});
