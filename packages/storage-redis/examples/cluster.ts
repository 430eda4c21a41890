import { RedisSessionStorage } from '@channelcoder/storage-redis';
import { Cluster } from 'ioredis';

export function clusterStorage(nodes: { host: string; port: number }[]) {
  const client = new Cluster(nodes, {
    redisOptions: { maxRetriesPerRequest: 0, connectTimeout: 5000 },
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  // Each session's keys share the hash tag {<name>}, so sessions spread over the cluster's slots.
  const storage = new RedisSessionStorage({ client, prefix: 'myapp:sessions:' });
  return { client, storage }; // close with client.quit() at shutdown
}
