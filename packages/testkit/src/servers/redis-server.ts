/**
 * A private redis-server process for tests: started on a free loopback port, stopped by its PID. The
 * shared server from CI (CHANNELCODER_TEST_REDIS_URL) is never stopped or restarted by a test; fault tests
 * always start one of these.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface PrivateRedisOptions {
  /** Run with `appendonly yes` and `appendfsync always` (every acknowledged write is on disk). */
  appendOnly?: boolean;
}

export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  pid(): number | undefined;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: no shutdown save, no final fsync) and wait for exit. */
  kill(): Promise<void>;
  /** Start again on the same port and data directory. */
  start(): Promise<void>;
  /** Stop and delete the data directory. */
  destroy(): Promise<void>;
}

export function assertRedisServerInstalled(): void {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'redis-server is not installed, and CHANNELCODER_TEST_REDIS_URL is not set. ' +
        'Install it with `apt-get install -y redis-server` (or point CHANNELCODER_TEST_REDIS_URL at a server).',
    );
  }
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(500, () => socket.destroy());
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.once('close', () => resolve(reply.startsWith('+PONG')));
    socket.once('error', () => resolve(false));
  });
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  assertRedisServerInstalled();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cc-redis-'));
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', ''];
  args.push(
    ...(options.appendOnly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
  );
  let child: ChildProcess | undefined;

  const waitExit = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const proc = child;
      child = undefined;
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });

  const start = async () => {
    if (child !== undefined) return;
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    child = proc;
    let exited = false;
    proc.once('exit', () => {
      exited = true;
    });
    for (let i = 0; i < 200; i++) {
      if (exited) throw new Error(`redis-server on port ${port} exited during startup`);
      if (await ping(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pid: () => child?.pid,
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
    start,
    destroy: async () => {
      await waitExit('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
