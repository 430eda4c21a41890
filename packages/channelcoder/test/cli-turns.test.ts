/**
 * Nothing paid is lost through the CLI, with the real `claude` CLI and the mock API: Ctrl-C in a real
 * terminal stops Claude Code within 2 s (checked on its pid), records the turn as interrupted and exits
 * 130; a save that fails after the turn (a read-only or full file system, Redis stopped, Redis writes
 * paused past the timeout) still prints the answer, exits 3, and the next turn stores the answered turn
 * exactly once (recovered from the transcript).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type PrivateRedis, startPrivateRedis } from '@channelcoder/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI_PATH, type CliWorld, startCliWorld } from './support/cli-world.js';
import { claudePidsIn, running } from './support/processes.js';
import { openTerminal } from './support/tmux.js';

// Three CLI turns per scenario with the real claude CLI (and a backend restart): slow on a busy machine.
vi.setConfig({ testTimeout: 150_000 });

let world: CliWorld;
beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  await world?.close();
});

interface StoredMessage {
  role: string;
  content: string;
  recovered?: boolean;
  turn?: { isError?: boolean; interrupted?: boolean };
}

async function stored(
  name: string,
  storage?: string,
): Promise<{ messages: StoredMessage[]; pendingTurn?: unknown }> {
  const shown = await world.cli([
    'session',
    'show',
    name,
    '--json',
    ...(storage ? ['--storage', storage] : []),
  ]);
  expect(shown.stderr).toBe('');
  return JSON.parse(shown.stdout);
}

function userPrompts(doc: { messages: StoredMessage[] }): string[] {
  return doc.messages.filter((m) => m.role === 'user').map((m) => m.content);
}

describe('Ctrl-C in a terminal', () => {
  it('stops claude within 2 s, records the turn as interrupted and exits 130', async () => {
    const t = await openTerminal(
      world.sandbox.cwd,
      `node ${CLI_PATH} run "Long job" --session ctrl-c`,
      world.env,
    );
    try {
      const hold = world.mock.holdNextReply();
      await hold.reached;
      const [pid] = claudePidsIn(world.sandbox.cwd);
      expect(pid).toBeDefined();
      expect(running(pid as number)).toBe(true);
      await t.keys('C-c');
      // Gone within 2 s of the key (checked every 50 ms, so a quick stop does not wait out the 2 s).
      const deadline = Date.now() + 2000;
      while (running(pid as number) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(running(pid as number)).toBe(false);
      const screen = await t.waitFor(/\[exit \d+\]/);
      expect(screen).toContain('[exit 130]');
      expect(screen).toContain('interrupted');
      hold.release();
      const doc = await stored('ctrl-c');
      expect(doc.pendingTurn).toBeUndefined();
      expect(doc.messages).toMatchObject([
        { content: 'Long job', turn: { isError: true, interrupted: true } },
      ]);
    } finally {
      await t.close();
    }
  });
});

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * One failed-save scenario: turn 1 is stored, turn 2's save is made to fail while Claude answers, then the
 * storage comes back and turn 3 runs. The answer of turn 2 reaches stdout and is stored once afterwards.
 */
async function failedSaveScenario(options: {
  name: string;
  storage: string;
  breakStorage: () => Promise<void>;
  repairStorage: () => Promise<void>;
  /** The failed save may have been applied after all (a timeout): then the turn is stored, not recovered. */
  mayHaveLanded?: boolean;
}) {
  const { name, storage } = options;
  // The broken backend keeps turn 2's lease from being released, so turn 3 waits for it to run out: an
  // 8 s ttl instead of the default 30 s (renewed every third of it, which leaves room on a busy machine).
  const env = { CHANNELCODER_LEASE_TTL_MS: '8000' };
  const first = await world.cli(['run', 'First', '--session', name, '--storage', storage], { env });
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);

  const hold = world.mock.holdNextReply();
  const second = world.cli(['run', 'Second', '--load-session', name, '--storage', storage], { env });
  await hold.reached;
  await options.breakStorage();
  hold.release();
  const failed = await second;
  expect(failed.stdout).toBe('turn 2: Second\n');
  expect(failed.code).toBe(3);
  expect(failed.stderr).toMatch(/saving it failed/);

  await options.repairStorage();
  const third = await world.cli(['run', 'Third', '--load-session', name, '--storage', storage], { env });
  expect(third.stderr).toBe('');
  expect(third.stdout).toBe('turn 3: Third\n');
  const doc = await stored(name, storage);
  expect(userPrompts(doc)).toEqual(['First', 'Second', 'Third']);
  expect(doc.messages.map((m) => m.content)).toEqual([
    'First',
    'turn 1: First',
    'Second',
    'turn 2: Second',
    'Third',
    'turn 3: Third',
  ]);
  const recovered = doc.messages.filter((m) => m.recovered).map((m) => m.content);
  if (options.mayHaveLanded === true && recovered.length === 0) expect(doc.pendingTurn).toBeUndefined();
  else expect(recovered).toEqual(['Second', 'turn 2: Second']);
  // Claude's last request carried exactly the stored history.
  expect(world.mock.lastMessageRequest()?.userTurns).toBe(3);
}

describe.skipIf(!canMount())(
  'a save that fails after the turn (file storage on a tmpfs; needs root to mount)',
  () => {
    const mounts: string[] = [];
    afterAll(() => {
      for (const m of mounts) {
        try {
          execFileSync('umount', [m]);
        } catch {
          // already unmounted
        }
        rmSync(m, { recursive: true, force: true });
      }
    });

    function tmpfs(label: string, size: string): string {
      const dir = join(world.sandbox.root, label);
      mkdirSync(dir, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
      mounts.push(dir);
      return dir;
    }

    it('read-only root: the answer is printed, exit 3; after remounting it is stored once', async () => {
      const dir = tmpfs('ro', '16m');
      await failedSaveScenario({
        name: 'read-only',
        storage: `file://${dir}/sessions`,
        breakStorage: async () => {
          execFileSync('mount', ['-o', 'remount,ro', dir]);
        },
        repairStorage: async () => {
          execFileSync('mount', ['-o', 'remount,rw', dir]);
        },
      });
    });

    it('full disk: the answer is printed, exit 3; after freeing space it is stored once', async () => {
      const dir = tmpfs('full', '4m');
      const filler = join(dir, 'filler');
      await failedSaveScenario({
        name: 'full-disk',
        storage: `file://${dir}/sessions`,
        breakStorage: async () => {
          const block = Buffer.alloc(16 * 1024);
          try {
            for (;;) appendFileSync(filler, block);
          } catch (err) {
            expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
          }
        },
        repairStorage: async () => {
          rmSync(filler);
        },
      });
    });
  },
);

describe('a save that fails after the turn (Redis)', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis({ appendOnly: true });
  });
  afterAll(async () => {
    await redis?.destroy();
  });

  it('Redis stopped while Claude answers: the answer is printed, exit 3; after a restart it is stored once', async () => {
    await failedSaveScenario({
      name: 'redis-down',
      storage: `${redis.url}?prefix=down:`,
      breakStorage: () => redis.stop(),
      repairStorage: () => redis.start(),
    });
  });

  it('Redis writes paused past the timeout: the answer is printed, exit 3; the next turn stores it once', async () => {
    const admin = new Redis(redis.url);
    try {
      await failedSaveScenario({
        name: 'redis-paused',
        storage: `${redis.url}?prefix=paused:`,
        breakStorage: async () => {
          await admin.call('CLIENT', 'PAUSE', '8000', 'WRITE');
        },
        repairStorage: async () => {
          await admin.call('CLIENT', 'UNPAUSE');
        },
        // Redis runs the paused write once the pause ends, though its client had given up.
        mayHaveLanded: true,
      });
    } finally {
      admin.disconnect();
    }
  });
});
