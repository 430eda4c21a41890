// The Redis server the benchmarks use: CHANNELCODER_TEST_REDIS_URL, else a private redis-server started on a
// free loopback port and stopped by PID.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function redisUrl() {
  const shared = process.env.CHANNELCODER_TEST_REDIS_URL;
  if (shared) return { url: shared, stop: async () => {} };
  const port = await freePort();
  let child;
  try {
    child = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', resolve);
    });
  } catch {
    throw new Error(
      'redis-server not found: apt-get install -y redis-server, or set CHANNELCODER_TEST_REDIS_URL',
    );
  }
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
  probe.on('error', () => {});
  await probe.ping();
  probe.disconnect();
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}
