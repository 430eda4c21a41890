/** A private three-master Redis Cluster on loopback for tests, stopped by PID. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assertRedisServerInstalled } from '@channelcoder/testkit';

const run = promisify(execFile);

export interface PrivateCluster {
  ports: number[];
  destroy(): Promise<void>;
}

async function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (taken.has(port)) continue;
    if ((await canListen(port)) && (await canListen(port + 10_000))) return port;
  }
  throw new Error('no free port pair for a cluster node');
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  assertRedisServerInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'cc-redis-cluster-'));
  const taken = new Set<number>();
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const destroy = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await clusterPort(taken);
      taken.add(port);
      ports.push(port);
      children.push(
        spawn(
          'redis-server',
          [
            '--bind',
            '127.0.0.1',
            '--port',
            String(port),
            '--dir',
            dir,
            '--save',
            '',
            '--appendonly',
            'no',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    for (const port of ports) await waitFor(port, (out) => out.includes('PONG'), ['PING']);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const port of ports)
      await waitFor(port, (out) => out.includes('cluster_state:ok'), ['CLUSTER', 'INFO']);
    return { ports, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

async function waitFor(port: number, ok: (out: string) => boolean, command: string[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...command]);
      if (ok(stdout)) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`cluster node ${port} not ready (${command.join(' ')})`);
}
