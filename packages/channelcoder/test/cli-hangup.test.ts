/**
 * A closed terminal loses no paid answer (DESIGN 11): the terminal of `channelcoder interactive` is closed
 * (the tmux server killed, so the pseudo-terminal's master closes and its foreground group gets SIGHUP)
 * right after Claude Code showed an answer, and `channelcoder run` gets SIGHUP while Claude answers, as
 * the answer arrives (the command is frozen while claude answers and exits, so the signal and the answer
 * reach it together), and while the answered turn is being saved (Redis writes paused). Each command ends with status 129, its lease is released or
 * runs out, and the answered turn is in the session's storage (saved, or recovered from Claude's local
 * transcript by the next command on the session) exactly once; a turn Claude never finished is recorded
 * as interrupted. Real processes, real signals, the real `claude` CLI and the in-repo mock API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PrivateRedis, startPrivateRedis } from '@channelcoder/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI_PATH, type CliWorld, startCliWorld } from './support/cli-world.js';
import { claudePidsIn, running } from './support/processes.js';
import { openTerminal, type Terminal } from './support/tmux.js';

vi.setConfig({ testTimeout: 120_000 });

const EXIT_STATUS = join(import.meta.dirname, 'support', 'exit-status.mjs');
/**
 * The lease a dead command could not release runs out after this instead of the default 30 s (renewed
 * every third of it, which leaves room on a busy machine).
 */
const LEASE = { CHANNELCODER_LEASE_TTL_MS: '8000' };

let world: CliWorld;
const terminals: Terminal[] = [];
beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  for (const t of terminals) await t.close();
  await world?.close();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface StoredMessage {
  role: string;
  content: string;
  recovered?: boolean;
  turn?: { isError?: boolean; interrupted?: boolean; sessionId?: string };
}
interface StoredSession {
  messages: StoredMessage[];
  pendingTurn?: unknown;
  currentSessionId?: string;
  [key: string]: unknown;
}

async function stored(name: string, storage?: string): Promise<StoredSession> {
  const shown = await world.cli([
    'session',
    'show',
    name,
    '--json',
    ...(storage ? ['--storage', storage] : []),
  ]);
  expect(shown.stderr).toBe('');
  expect(shown.code).toBe(0);
  return JSON.parse(shown.stdout) as StoredSession;
}

async function waitForFile(path: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      if (text !== '') return text;
    }
    await sleep(50);
  }
  throw new Error(`${path} was not written`);
}

/** The shell's status for a process that ended with `code` or by `signal` (128 + the signal's number). */
function shellStatus(ended: { code: number | null; signal: string | null }): number | null {
  if (ended.code !== null) return ended.code;
  return ended.signal === 'SIGHUP'
    ? 129
    : ended.signal === 'SIGINT'
      ? 130
      : ended.signal === 'SIGTERM'
        ? 143
        : null;
}

describe('interactive: the terminal is closed after Claude Code showed an answer', () => {
  it('exits 129 and the answered turn ends up in the session once, with its Claude session id', async () => {
    const key = world.env.ANTHROPIC_API_KEY ?? '';
    writeFileSync(
      join(world.sandbox.configDir, '.claude.json'),
      JSON.stringify({
        hasCompletedOnboarding: true,
        customApiKeyResponses: { approved: [key.slice(-20)], rejected: [] },
        projects: { [world.sandbox.cwd]: { hasTrustDialogAccepted: true } },
      }),
    );
    const first = await world.cli(['run', 'First turn', '--session', 'tui-hup']);
    expect(first.code, first.stderr).toBe(0);
    const before = await stored('tui-hup');

    const status = join(world.sandbox.root, 'tui-hup.status');
    const t = await openTerminal(
      world.sandbox.cwd,
      `node ${EXIT_STATUS} ${status} ${process.execPath} ${CLI_PATH} interactive "Hello before the hang-up" --load-session tui-hup`,
      { ...world.env, ...LEASE },
    );
    terminals.push(t);
    await t.waitFor(/turn 2: Hello before the hang-up/, 60_000);
    const cliPid = Number(await waitForFile(`${status}.pid`));
    expect(running(cliPid)).toBe(true);
    // The user closes the terminal window.
    await t.close();
    const ended = JSON.parse(await waitForFile(status)) as { code: number | null; signal: string | null };
    expect(shellStatus(ended)).toBe(129);
    // Claude Code went with the terminal: nothing it started keeps running in the project folder.
    await until(() => processesIn(world.sandbox.cwd).length === 0, 'nothing runs in the project folder');

    // The next command on the session finds the turn (saved, or recovered from Claude's transcript).
    // The next command on the session waits out the lease the dead command held, finds the answered
    // turn (recovered from Claude's transcript when it was not saved) and runs its own turn after it.
    const next = await world.cli(['run', 'Third turn', '--load-session', 'tui-hup']);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    const doc = await stored('tui-hup');
    expect(doc.pendingTurn).toBeUndefined();
    expect(doc.messages.map((m) => m.content)).toEqual([
      'First turn',
      'turn 1: First turn',
      'Hello before the hang-up',
      'turn 2: Hello before the hang-up',
      'Third turn',
      'turn 3: Third turn',
    ]);
    // Nothing stored before the hang-up changed.
    expect(doc.messages.slice(0, 2)).toEqual(before.messages);
    // The answered turn carries the Claude session id and its tokens; its cost is counted in the total.
    const answer = doc.messages[3] as StoredMessage & { sessionId?: string; turn?: Record<string, unknown> };
    expect(answer.sessionId).toBe(before.currentSessionId);
    expect(answer.turn?.isError).toBeUndefined();
    expect(answer.turn?.outputTokens).toBeGreaterThan(0);
    expect(doc.currentSessionId).toBe(before.currentSessionId);
    const usage = doc.usage as { turns: number; failedTurns: number; totalCostUsd: number };
    const firstCost = (before.usage as { totalCostUsd: number }).totalCostUsd;
    expect(usage.turns).toBe(3);
    expect(usage.failedTurns).toBe(0);
    expect(usage.totalCostUsd).toBeCloseTo(3 * firstCost, 10);
  });
});

interface Command {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** `channelcoder ARGS` in a process group of its own (as a shell job is), with pipes for its output. */
function startCli(args: string[], env: NodeJS.ProcessEnv): Command {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: world.sandbox.cwd,
    env: { ...world.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited };
}

/** SIGHUP to the command's whole process group, as a terminal that hangs up sends it. */
function hangUp(command: Command): void {
  process.kill(-(command.child.pid as number), 'SIGHUP');
}

/** PIDs of live processes whose working directory is `cwd`. */
function processesIn(cwd: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`) === cwd && running(pid);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    });
}

/** Whether the process has a handler for SIGHUP (bit 1 of SigCgt in /proc/PID/status). */
function catchesSighup(pid: number): boolean {
  const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
  return (BigInt(`0x${caught}`) & 1n) === 1n;
}

/** How many clients wait on Redis right now (writes held by CLIENT PAUSE count). */
async function blockedClients(admin: Redis): Promise<number> {
  return Number(/blocked_clients:(\d+)/.exec(await admin.info('clients'))?.[1] ?? 0);
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await sleep(25);
  }
}

describe('run: SIGHUP', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis({ appendOnly: true });
  });
  afterAll(async () => {
    await redis?.destroy();
  });

  it('while Claude answers: claude is stopped, the turn is recorded as interrupted, exit 129', async () => {
    const first = await world.cli(['run', 'First', '--session', 'run-hup'], { env: LEASE });
    expect(first.code, first.stderr).toBe(0);
    const hold = world.mock.holdNextReply();
    const command = startCli(['run', 'Long answer', '--load-session', 'run-hup'], LEASE);
    await hold.reached;
    const [claude] = claudePidsIn(world.sandbox.cwd);
    expect(claude).toBeDefined();
    hangUp(command);
    const ended = await command.exited;
    hold.release();
    expect(shellStatus(ended), ended.stderr).toBe(129);
    expect(ended.stdout).toBe('');
    await until(() => !running(claude as number), 'claude is stopped', 5000);

    const doc = await stored('run-hup');
    expect(doc.pendingTurn).toBeUndefined();
    expect(doc.messages).toMatchObject([
      { content: 'First' },
      { content: 'turn 1: First' },
      { content: 'Long answer', turn: { isError: true, interrupted: true } },
    ]);
    // The lease was released: the next turn runs at once (--no-wait fails on a held lease).
    const next = await world.cli(['run', 'Again', '--load-session', 'run-hup', '--no-wait'], { env: LEASE });
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
  });

  it('as the answer arrives (the command is busy when claude exits): the answered turn is stored once, exit 129', async () => {
    const first = await world.cli(['run', 'First', '--session', 'busy-hup'], { env: LEASE });
    expect(first.code, first.stderr).toBe(0);
    const hold = world.mock.holdNextReply();
    const command = startCli(['run', 'Second', '--load-session', 'busy-hup'], LEASE);
    const pid = command.child.pid as number;
    await hold.reached;
    const [claude] = claudePidsIn(world.sandbox.cwd);
    expect(claude).toBeDefined();
    // The command is frozen while claude answers and exits, so the hang-up reaches it together with the
    // answer and claude's exit, before it has handled either.
    process.kill(pid, 'SIGSTOP');
    hold.release();
    await until(() => !running(claude as number), 'claude has answered and exited');
    hangUp(command);
    process.kill(pid, 'SIGCONT');
    const ended = await command.exited;
    expect(shellStatus(ended), ended.stderr).toBe(129);
    // Claude had answered: the answer is printed and recorded as answered, not as an interrupted turn.
    expect(ended.stdout).toBe('turn 2: Second\n');
    expect(ended.stderr).toContain('Claude had answered before the interruption');

    const next = await world.cli(['run', 'Third', '--load-session', 'busy-hup'], { env: LEASE });
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    const doc = await stored('busy-hup');
    expect(doc.pendingTurn).toBeUndefined();
    expect(doc.messages.map((m) => m.content)).toEqual([
      'First',
      'turn 1: First',
      'Second',
      'turn 2: Second',
      'Third',
      'turn 3: Third',
    ]);
    expect(doc.messages[3]?.turn?.isError).toBeUndefined();
  });

  it('right after claude exits, during the save: the answered turn is stored once (saved or recovered), exit 129', async () => {
    const storage = `${redis.url}?prefix=hup:`;
    const first = await world.cli(['run', 'First', '--session', 'save-hup', '--storage', storage], {
      env: LEASE,
    });
    expect(first.code, first.stderr).toBe(0);
    const admin = new Redis(redis.url);
    try {
      const hold = world.mock.holdNextReply();
      const command = startCli(['run', 'Second', '--load-session', 'save-hup', '--storage', storage], LEASE);
      await hold.reached;
      const [claude] = claudePidsIn(world.sandbox.cwd);
      expect(claude).toBeDefined();
      // The pending turn is stored; the save of the answered turn will wait on Redis.
      await admin.call('CLIENT', 'PAUSE', '20000', 'WRITE');
      hold.release();
      await until(() => !running(claude as number), 'claude has answered and exited');
      // The run is over for the command (its SIGHUP handler is gone) and its save waits on Redis.
      await until(() => !catchesSighup(command.child.pid as number), 'the command is past the run');
      await until(async () => (await blockedClients(admin)) > 0, 'the save waits on Redis');
      hangUp(command);
      const ended = await command.exited;
      await admin.call('CLIENT', 'UNPAUSE');
      expect(shellStatus(ended), ended.stderr).toBe(129);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      admin.disconnect();
    }
    const next = await world.cli(['run', 'Third', '--load-session', 'save-hup', '--storage', storage], {
      env: LEASE,
    });
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    const doc = await stored('save-hup', storage);
    expect(doc.pendingTurn).toBeUndefined();
    expect(doc.messages.map((m) => m.content)).toEqual([
      'First',
      'turn 1: First',
      'Second',
      'turn 2: Second',
      'Third',
      'turn 3: Third',
    ]);
    expect(doc.messages[3]?.turn?.isError).toBeUndefined();
    // Claude's last request carried exactly the stored history.
    expect(world.mock.lastMessageRequest()?.userTurns).toBe(3);
  });
});
