/**
 * Nothing paid is lost when the process dies: 30 SIGKILLs of an autosaving `session()` script (file
 * storage, the real `claude` CLI, the mock API), each at a point spread by a seeded random delay over one
 * of three windows: while the process loads and starts the CLI, while Claude's answer is streaming (the
 * mock holds it), and after the answer (the CLI writing its transcript and exiting, the save of the turn,
 * the transcript mirror, the exit). A kill is a crash of the whole run: the script and the `claude`
 * process group it started die at the same instant (the script is frozen first so it cannot start more).
 * After every kill the session loads; at the end one more turn runs. Then: every answer the CLI recorded
 * is in the store once (those the dead process had not saved marked `recovered`), every prompt is stored
 * once, a prompt Claude never saw is an `interrupted` turn, and Claude's last request carried exactly the
 * stored history.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Message, SessionState } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { promptText } from '@channelcoder/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

vi.setConfig({ testTimeout: 900_000 });

const KILLS = 30;
const SCRIPT = join(import.meta.dirname, 'support', 'autosave-turn.mjs');
const NAME = 'crashing';

/** mulberry32: the kill points are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let world: CliWorld;
let dir: string;
let storage: FileSessionStorage;
beforeAll(async () => {
  world = await startCliWorld();
  dir = join(world.sandbox.root, 'store');
  storage = new FileSessionStorage({ dir });
});
afterAll(async () => {
  await world?.close();
});

interface Turn {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function startTurn(prompt: string): Turn {
  const child = spawn(process.execPath, [SCRIPT, dir, NAME, prompt], {
    env: world.env,
    cwd: world.sandbox.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited };
}

/** Child pids of `pid` (every thread's list). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text !== '') out.push(...text.split(/\s+/).map(Number));
  }
  return out;
}

/** The crash: freeze the script, SIGKILL it and every process group its children lead (the `claude` CLI). */
async function crash(turn: Turn): Promise<void> {
  const pid = turn.child.pid as number;
  try {
    process.kill(pid, 'SIGSTOP');
  } catch {
    // Already gone: it finished before the chosen point.
  }
  let children: number[] = [];
  try {
    children = childrenOf(pid);
  } catch {
    children = [];
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  for (const child of children) {
    try {
      process.kill(-child, 'SIGKILL');
    } catch {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
  }
  await turn.exited;
}

/** Stored user prompts and their outcome (the assistant message after them, if any). */
function turnsOf(state: SessionState): Array<{ prompt: Message; answer?: Message }> {
  const turns: Array<{ prompt: Message; answer?: Message }> = [];
  for (const m of state.messages) {
    if (m.role === 'user') turns.push({ prompt: m });
    else {
      const last = turns.at(-1);
      if (last !== undefined && last.answer === undefined) last.answer = m;
    }
  }
  return turns;
}

/** What the CLI wrote in its transcripts: prompts it recorded, answers it recorded (by the prompt). */
function transcripts(): { prompts: Set<string>; answers: Map<string, string> } {
  const prompts = new Set<string>();
  const answers = new Map<string, string>();
  const root = join(world.sandbox.configDir, 'projects');
  if (!existsSync(root)) return { prompts, answers };
  for (const project of readdirSync(root)) {
    for (const file of readdirSync(join(root, project))) {
      if (!file.endsWith('.jsonl')) continue;
      for (const line of readFileSync(join(root, project, file), 'utf8').split('\n')) {
        let entry: { type?: string; message?: { role?: string; content?: unknown } };
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry.type === 'user') {
          const text = promptText(entry.message);
          if (text !== undefined) prompts.add(text);
        } else if (entry.type === 'assistant' && Array.isArray(entry.message?.content)) {
          for (const block of entry.message.content as Array<{ type?: string; text?: string }>) {
            const match = block.type === 'text' ? /^turn \d+: (.*)$/.exec(block.text ?? '') : null;
            if (match?.[1] !== undefined) answers.set(match[1], block.text as string);
          }
        }
      }
    }
  }
  return { prompts, answers };
}

describe('30 SIGKILLs of an autosaving session() script at spread points', () => {
  it('every session loads, every recorded answer is stored (recovered ones marked), Claude sees the stored history', async () => {
    const random = seeded(0x5eed11);
    // A first turn that completes, timed to size the windows the kills are spread over.
    const t0 = performance.now();
    const hold = world.mock.holdNextReply();
    const first = startTurn('crash start');
    await hold.reached;
    const toAnswer = performance.now() - t0;
    const t1 = performance.now();
    hold.release();
    const done = await first.exited;
    expect(done.code, done.stderr).toBe(0);
    const afterAnswer = performance.now() - t1;

    /** Per kill: where it was aimed, and whether the dead process had saved its answer itself. */
    const kills: Array<{ prompt: string; window: string; delayMs: number; savedByItself: boolean }> = [];
    for (let i = 0; i < KILLS; i++) {
      const prompt = `crash ${i}`;
      const window = ['loading', 'streaming', 'after the answer'][i % 3] as string;
      const turn = startTurn(prompt);
      let delayMs: number;
      if (window === 'loading') {
        delayMs = Math.round(random() * toAnswer);
        await sleep(delayMs);
        await crash(turn);
      } else {
        const held = world.mock.holdNextReply();
        const reached = await Promise.race([held.reached.then(() => true), turn.exited.then(() => false)]);
        expect(reached, `turn ${i} ended before Claude answered`).toBe(true);
        if (window === 'streaming') {
          delayMs = Math.round(random() * 200);
          await sleep(delayMs);
          await crash(turn);
          held.release();
        } else {
          delayMs = Math.round(random() * afterAnswer * 1.2);
          held.release();
          await sleep(delayMs);
          await crash(turn);
        }
      }
      // Loadable after every kill (read as it is stored, before any recovery).
      const stored = await storage.load(NAME);
      const savedByItself = turnsOf(stored).some(
        (t) => t.prompt.content === prompt && t.answer !== undefined && !t.prompt.turn?.isError,
      );
      kills.push({ prompt, window, delayMs, savedByItself });
    }

    const last = startTurn('crash final');
    const ended = await last.exited;
    expect(ended.code, ended.stderr).toBe(0);

    const stored = await storage.load(NAME);
    expect(stored.pendingTurn).toBeUndefined();
    const turns = turnsOf(stored);
    const storedPrompts = turns.map((t) => t.prompt.content);
    const seen = transcripts();
    const requests = world.mock.messageRequests().filter((r) => r.status === 200);
    const sentToClaude = new Set(requests.flatMap((r) => promptsOf(r.body)));
    // Every prompt at most once, in the order the runs were made; a prompt may be missing only when it
    // was killed before its turn started (nothing sent, nothing recorded by the CLI, nothing spent).
    const order = ['crash start', ...kills.map((k) => k.prompt), 'crash final'];
    expect(new Set(storedPrompts).size).toBe(storedPrompts.length);
    expect(storedPrompts).toEqual(order.filter((p) => storedPrompts.includes(p)));
    const missing = order.filter((p) => !storedPrompts.includes(p));
    expect.soft(missing.filter((p) => sentToClaude.has(p) || seen.prompts.has(p))).toEqual([]);

    // Every answer the CLI recorded is stored with its turn; the ones the dead process had not saved were
    // adopted from the transcript and say so.
    for (const kill of kills) {
      const t = turns.find((x) => x.prompt.content === kill.prompt);
      const answer = seen.answers.get(kill.prompt);
      if (answer !== undefined) {
        expect.soft(t?.answer?.content, `${kill.prompt} (${kill.window})`).toBe(answer);
        if (!kill.savedByItself) expect.soft(t?.answer?.recovered, kill.prompt).toBe(true);
      } else if (t !== undefined) {
        // No answer reached the transcript: a failed, interrupted turn.
        expect.soft(t.prompt.turn?.interrupted ?? t.answer?.turn?.interrupted, kill.prompt).toBe(true);
      }
    }

    // Claude's last request carried exactly the stored history: the stored prompts the CLI had recorded,
    // in order (a prompt killed before the CLI recorded it never reached Claude and is not history).
    const final = requests.find((r) => promptsOf(r.body).at(-1) === 'crash final');
    expect(final).toBeDefined();
    const history = promptsOf(final?.body).slice(0, -1);
    expect.soft(history).toEqual(storedPrompts.slice(0, -1).filter((p) => seen.prompts.has(p)));
    // Everything Claude was sent is stored.
    expect.soft([...sentToClaude].filter((p) => !storedPrompts.includes(p))).toEqual([]);

    const recovered = turns.filter((t) => t.answer?.recovered || t.prompt.recovered).length;
    const interrupted = turns.filter((t) => t.prompt.turn?.interrupted || t.answer?.turn?.interrupted).length;
    console.log(
      `crash: ${KILLS} kills (${missing.length} before the turn started, ` +
        `${kills.filter((k) => k.savedByItself).length} after the process saved its turn), ` +
        `${recovered} turns recovered from the transcript, ${interrupted} interrupted; ` +
        `windows: ${Math.round(toAnswer)} ms to the answer, ${Math.round(afterAnswer)} ms after it`,
    );
  });
});

/** The prompts of a Messages request, in order (the CLI may merge consecutive user entries: one per line). */
function promptsOf(body: unknown): string[] {
  const messages = (body as { messages?: unknown } | undefined)?.messages;
  if (!Array.isArray(messages)) return [];
  return messages.flatMap((m) => promptText(m)?.split('\n') ?? []);
}
