import { createSessionState } from '@channelcoder/session-core';
import { RedisSessionStorage } from '@channelcoder/storage-redis';
import { Redis } from 'ioredis';

export async function quickstart(redisUrl: string): Promise<void> {
  // Options that make a stopped server fail fast instead of queueing commands.
  const client = new Redis(redisUrl, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 5000,
  });
  client.on('error', () => {}); // connection errors surface as StorageUnavailableError from each call
  const storage = new RedisSessionStorage({ client, prefix: 'myapp:sessions:', ttlSeconds: 7 * 24 * 3600 });

  const state = createSessionState({ cwd: '/srv/app' });
  state.messages.push({
    id: 'm1',
    role: 'user',
    content: 'Summarise the open issues',
    timestamp: new Date(),
    sessionId: '',
  });
  await storage.save(state, 'support-bot'); // state.revision is now 1

  const loaded = await storage.load('support-bot');
  console.log(loaded.messages.length, loaded.revision); // 1 1

  for (const info of await storage.list({ limit: 20 })) {
    console.log(info.name, info.lastActive.toISOString(), info.messageCount);
  }

  await storage.remove('support-bot');
  await client.quit(); // the storage never closes the client it was given
}
