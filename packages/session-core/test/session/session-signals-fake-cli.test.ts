/**
 * Ctrl-C, SIGTERM and SIGHUP while a turn runs: the CLI's whole process group stops (checked on the pids;
 * the 2 s bound itself is checked with the real CLI in channelcoder's cli-turns test), the turn is recorded as failed and interrupted, and a second Ctrl-C exits at once (130).
 * Real processes and real signals; the `claude` here is the fake CLI in `hang` mode, which also starts a
 * grandchild (the group, not only the child, must go).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeCli, makeFakeCli } from '../runner/support/fake-env.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', '..', 'dist', 'index.js');
const driver = join(here, 'support', 'interrupt-driver.mjs');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let fake: FakeCli;
let dir: string;
beforeEach(() => {
  fake = makeFakeCli();
  dir = mkdtempSync(join(tmpdir(), 'cc-signals-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  fake.remove();
});

async function startTurn(extra: Record<string, string> = {}) {
  const pidFile = join(fake.dir, 'grandchild.pid');
  const child = spawn(process.execPath, [driver, dist, join(dir, 'store'), 'sig', 'stop me'], {
    env: { ...process.env, ...fake.env('hang', { FAKE_CLAUDE_CHILD_PID: pidFile }), ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  await expect
    .poll(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '', { timeout: 20_000 })
    .toBe(true);
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  return { child: child as ChildProcess, grandchild, exited, output: () => out };
}

describe('signals while a session turn runs', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal}: the claude process group is stopped (SIGTERM, then SIGKILL) and the turn is recorded as interrupted`, async () => {
      const turn = await startTurn();
      expect(alive(turn.grandchild)).toBe(true);
      turn.child.kill(signal);
      // The runner sends SIGTERM to the group, then SIGKILL 1 s later: gone within 2 s on an idle machine.
      // The poll leaves room for a loaded one, where the kill timer itself can fire late.
      await expect.poll(() => alive(turn.grandchild), { timeout: 4000, interval: 100 }).toBe(false);
      const end = await turn.exited;
      expect(end.code).toBe(0);
      const reported = JSON.parse(turn.output().trim()) as { code: string; interrupted: boolean };
      expect(reported).toMatchObject({ code: 'CLAUDE_RUN_FAILED', interrupted: true });
      const stored = JSON.parse(readFileSync(join(dir, 'store', 'sig.json'), 'utf8'));
      expect(stored.pendingTurn).toBeUndefined();
      expect(stored.messages).toMatchObject([
        { content: 'stop me', turn: { isError: true, interrupted: true } },
      ]);
      expect(stored.usage).toMatchObject({ turns: 1, failedTurns: 1 });
    });
  }

  it('a second Ctrl-C while the interrupted turn is being recorded exits at once with 130', async () => {
    const turn = await startTurn({ SLOW_SAVE_MS: '60000' });
    turn.child.kill('SIGINT');
    await expect.poll(() => alive(turn.grandchild), { timeout: 5000 }).toBe(false);
    turn.child.kill('SIGINT');
    const end = await turn.exited;
    expect(end.code).toBe(130);
  });
});
