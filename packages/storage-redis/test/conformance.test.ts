import { describeSessionStorage } from '@channelcoder/storage-conformance/vitest';
import type { Redis } from 'ioredis';
import { afterAll, inject } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { backdoor, connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const client: Redis = connect(inject('redisUrl'));
afterAll(async () => {
  await client.quit();
});

describeSessionStorage(
  'RedisSessionStorage',
  () => new RedisSessionStorage({ client, prefix: uniquePrefix('conformance') }),
  {
    backdoor: (storage) => backdoor(client, storage.prefix),
    sibling: (storage) =>
      new RedisSessionStorage({ client, prefix: storage.prefix, ttlSeconds: storage.ttlSeconds }),
    destroy: async (storage) => {
      await storage.close();
      await deletePrefix(client, storage.prefix);
    },
  },
);

describeSessionStorage(
  'RedisSessionStorage (ttlSeconds, prefix with glob characters)',
  () => new RedisSessionStorage({ client, prefix: `${uniquePrefix('glob')}*?[x]\\{`, ttlSeconds: 600 }),
  {
    backdoor: (storage) => backdoor(client, storage.prefix),
    sibling: (storage) =>
      new RedisSessionStorage({ client, prefix: storage.prefix, ttlSeconds: storage.ttlSeconds }),
    destroy: async (storage) => {
      await deletePrefix(client, storage.prefix);
    },
  },
);
