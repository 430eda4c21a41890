/**
 * The `channelcoder` executable under Bun (the workspace's `bun` dev dependency): the same commands against
 * the real `claude` CLI and the mock API, on the file storage and on Redis.
 */

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bunBinary } from './support/bun.js';
import { CLI_PATH, type CliResult, type CliWorld, startCliWorld } from './support/cli-world.js';

let world: CliWorld;
let bun: string;

beforeAll(async () => {
  bun = bunBinary();
  world = await startCliWorld();
});
afterAll(async () => {
  await world?.close();
});

function underBun(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bun, [CLI_PATH, ...args], { env: world.env, cwd: world.sandbox.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.stdin.end();
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const storages = [
  { label: 'file storage', args: () => [] as string[] },
  {
    label: 'Redis',
    args: () => {
      const url = new URL(inject('redisUrl'));
      url.searchParams.set('prefix', `cc-cli-bun-${randomUUID().slice(0, 8)}:`);
      return ['--storage', url.toString()];
    },
  },
];

describe.each(storages)('channelcoder under Bun on the $label', ({ args }) => {
  it('starts, continues, streams and lists a session', async () => {
    const storage = args();
    const name = `bun-${randomUUID().slice(0, 8)}`;
    const started = await underBun(['run', 'Hello from Bun', '--session', name, ...storage]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toBe('turn 1: Hello from Bun\n');
    const continued = await underBun(['stream', '-p', 'Still Bun', '--load-session', name, ...storage]);
    expect(continued.code, continued.stderr).toBe(0);
    expect(continued.stdout).toBe('turn 2: Still Bun\n');
    const list = await underBun(['session', 'list', '--json', ...storage]);
    const infos = JSON.parse(list.stdout) as Array<{ name: string; messageCount: number }>;
    expect(infos.find((i) => i.name === name)?.messageCount).toBe(4);
  });
});

describe('usage and storage errors under Bun', () => {
  it('exit 2 for a bad storage URL, 3 for an unreachable Redis', async () => {
    expect((await underBun(['session', 'list', '--storage', 'ftp://x'])).code).toBe(2);
    expect((await underBun(['session', 'list', '--storage', 'redis://127.0.0.1:1/0'])).code).toBe(3);
  });
});
