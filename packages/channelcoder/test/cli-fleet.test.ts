/**
 * A fleet on one session: 6 `channelcoder run` processes × 5 turns each on one session name, file storage
 * with leases, the real `claude` CLI and the mock API. Checked from the outside: every turn is stored
 * exactly once, every request Claude received carried exactly the stored history before it (the mock
 * counts the user prompts it was sent), no process met a SessionConflictError, and a turn with --no-wait on
 * a busy session exits 4 without spending anything.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { lastUserText } from '@channelcoder/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI_PATH, type CliResult, type CliWorld, startCliWorld } from './support/cli-world.js';

// 31 serialized CLI turns with the real claude CLI: minutes on a busy machine.
vi.setConfig({ testTimeout: 600_000 });

const PROCESSES = 6;
const TURNS = 5;

let world: CliWorld;
beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  await world?.close();
});

/** `channelcoder …args` without the support's per-call kill timer (a fleet member may wait its turn). */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { env, cwd: world.sandbox.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdin.end();
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Stored {
  messages: Array<{ role: string; content: string }>;
}

async function fleet(name: string, storageDir: string, configDirFor: (worker: number) => string) {
  world.mock.reset();
  const storage = `file://${storageDir}`;
  const first = await cli(['run', `${name} start`, '--session', name, '--storage', storage], world.env);
  expect(first.stderr).toBe('');
  const results: CliResult[] = [];
  await Promise.all(
    Array.from({ length: PROCESSES }, async (_, worker) => {
      const env = { ...world.env, CLAUDE_CONFIG_DIR: configDirFor(worker) };
      for (let turn = 1; turn <= TURNS; turn++) {
        results.push(
          await cli(
            ['run', `${name} w${worker} t${turn}`, '--load-session', name, '--storage', storage],
            env,
          ),
        );
      }
    }),
  );
  const failures = results.filter((r) => r.code !== 0);
  expect(failures).toEqual([]);
  expect(results.filter((r) => /conflict/i.test(r.stderr))).toEqual([]);

  const doc = JSON.parse(
    (await cli(['session', 'show', name, '--json', '--storage', storage], world.env)).stdout,
  ) as Stored;
  const prompts = doc.messages.filter((m) => m.role === 'user').map((m) => m.content);
  // Every turn exactly once.
  expect(prompts).toHaveLength(1 + PROCESSES * TURNS);
  expect(new Set(prompts).size).toBe(prompts.length);
  // Every request carried exactly the stored history before it: the prompt at stored position k was sent
  // with k earlier prompts, and the answers came back in the stored order.
  const requests = world.mock.messageRequests().filter((r) => r.status === 200);
  expect(requests).toHaveLength(prompts.length);
  const divergent = requests.filter((r) => {
    const body = r.body as { messages?: unknown };
    const k = prompts.indexOf(lastUserText(body.messages));
    return k === -1 || r.userTurns !== k + 1;
  });
  expect(divergent).toEqual([]);
  return { prompts };
}

describe('6 processes × 5 turns on one session (file storage with leases)', () => {
  it('shared CLAUDE_CONFIG_DIR: every turn stored once, every request carries the stored history, no conflict', async () => {
    await fleet('fleet-shared', join(world.sandbox.root, 'fleet-shared'), () => world.sandbox.configDir);
  });

  it('a CLAUDE_CONFIG_DIR per process (transcripts restored from the storage): the same', async () => {
    const dirs = Array.from({ length: PROCESSES }, (_, i) => {
      const dir = join(world.sandbox.root, `config-${i}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    });
    await fleet('fleet-apart', join(world.sandbox.root, 'fleet-apart'), (worker) => dirs[worker] as string);
  });

  it('--no-wait on a busy session exits 4 naming the holder, and spends nothing', async () => {
    const dir = join(world.sandbox.root, 'fleet-busy');
    const storage = `file://${dir}`;
    expect((await cli(['run', 'start', '--session', 'busy', '--storage', storage], world.env)).code).toBe(0);
    const held = await new FileSessionStorage(dir).lease('busy', { holder: 'worker-9', ttlMs: 120_000 });
    try {
      const before = world.mock.messageRequests().length;
      const busy = await cli(
        ['run', 'next', '--load-session', 'busy', '--no-wait', '--storage', storage],
        world.env,
      );
      expect(busy.code).toBe(4);
      expect(busy.stdout).toBe('');
      expect(busy.stderr).toContain('worker-9');
      expect(busy.stderr).toContain(held.expiresAt.toISOString());
      const waited = await cli(
        ['run', 'next', '--load-session', 'busy', '--wait', '1', '--storage', storage],
        world.env,
      );
      expect(waited.code).toBe(4);
      expect(world.mock.messageRequests().length).toBe(before);
    } finally {
      await held.release();
    }
  });
});
