/**
 * `session adopt`: sessions made through channelcoder plus bare `claude -p` runs (the real CLI, mock API);
 * adopt brings in exactly the bare ones, with their messages, tokens, costs and transcripts; a second run
 * adds nothing; a bare conversation continued later adds only its new turn.
 * At the scale the issue asks for: 200 sessions through channelcoder and 50 bare runs (about 2 minutes on an
 * idle 2-core machine). CHANNELCODER_ADOPT_PROJECT_SESSIONS / CHANNELCODER_ADOPT_BARE_RUNS set other counts
 * (e.g. 3 and 3 for a quick local run).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeBinary } from '@channelcoder/testkit';
import { FileSessionStorage } from 'channelcoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

const PROJECT_SESSIONS = Number(process.env.CHANNELCODER_ADOPT_PROJECT_SESSIONS ?? 200);
const BARE_RUNS = Number(process.env.CHANNELCODER_ADOPT_BARE_RUNS ?? 50);
/** Real CLI runs one after another: the setup's bound grows with their number. */
const SETUP_TIMEOUT_MS = Math.max(240_000, (PROJECT_SESSIONS + BARE_RUNS) * 10_000);
/** One adopt run stores every session it finds (state, compressed transcript, search words). */
const ADOPT_TIMEOUT_MS = Math.max(50_000, (PROJECT_SESSIONS + BARE_RUNS) * 600);
/** A test runs adopt up to three times. */
const TEST_TIMEOUT_MS = 3 * ADOPT_TIMEOUT_MS + 30_000;

interface BareResult {
  session_id: string;
  total_cost_usd: number;
  usage: { input_tokens: number; output_tokens: number };
}

function bareClaude(world: CliWorld, cwd: string, prompt: string, resume?: string): Promise<BareResult> {
  const args = ['-p', '--output-format', 'json', ...(resume === undefined ? [] : ['--resume', resume])];
  return new Promise((resolve, reject) => {
    const child = spawn(claudeBinary(), args, { env: world.env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    child.stdin.end(prompt);
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`claude exited ${code}: ${err}${out}`));
      else resolve(JSON.parse(out) as BareResult);
    });
  });
}

function localTranscript(world: CliWorld, id: string): unknown[] {
  const projects = join(world.sandbox.configDir, 'projects');
  for (const folder of readdirSync(projects)) {
    try {
      const text = readFileSync(join(projects, folder, `${id}.jsonl`), 'utf8');
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as unknown);
    } catch {}
  }
  throw new Error(`no transcript for ${id}`);
}

describe('session adopt', () => {
  let world: CliWorld;
  let storage: FileSessionStorage;
  const bare: Array<{ id: string; turns: number; total: number; prompt: string }> = [];
  const cli = (...args: string[]) => world.cli(args, { timeoutMs: ADOPT_TIMEOUT_MS });

  beforeAll(async () => {
    world = await startCliWorld({ usage: { input_tokens: 900, output_tokens: 150 } });
    storage = new FileSessionStorage(join(world.channelcoderHome, 'sessions'));
    for (let i = 0; i < PROJECT_SESSIONS; i++) {
      const r = await cli('run', `project task ${i}`, '--session', `project-${i}`);
      expect(r.code, r.stderr).toBe(0);
    }
    const elsewhere = join(world.sandbox.root, 'other-project');
    mkdirSync(elsewhere, { recursive: true });
    for (let i = 0; i < BARE_RUNS; i++) {
      const prompt = `Bare run number ${i}: fix the login bug!`;
      const first = await bareClaude(world, i === 0 ? elsewhere : world.sandbox.cwd, prompt);
      let last = first;
      if (i === 1) last = await bareClaude(world, world.sandbox.cwd, 'and now the tests', first.session_id);
      bare.push({ id: first.session_id, turns: i === 1 ? 2 : 1, total: last.total_cost_usd, prompt });
    }
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await world?.close();
  });

  it(
    'adopts exactly the bare runs, with message counts, costs, tokens and transcripts',
    async () => {
      const before = (await storage.list()).length;
      const r = await cli('session', 'adopt', '--all', '--json');
      expect(r.code, r.stderr).toBe(0);
      const outcomes = JSON.parse(r.stdout) as Array<{
        claudeSessionId: string;
        name: string;
        action: string;
      }>;
      expect(outcomes.filter((o) => o.action === 'project')).toHaveLength(PROJECT_SESSIONS);
      const added = outcomes.filter((o) => o.action === 'added');
      expect(added.map((o) => o.claudeSessionId).sort()).toEqual(bare.map((b) => b.id).sort());
      expect((await storage.list()).length).toBe(before + BARE_RUNS);

      for (const run of bare) {
        const name = added.find((o) => o.claudeSessionId === run.id)?.name as string;
        expect(name).toBe(`bare-run-number-${bare.indexOf(run)}-fix-the-login-bug-${run.id.slice(0, 8)}`);
        const state = await storage.load(name);
        expect(state.messages).toHaveLength(run.turns * 2);
        expect(state.messages[0]?.content).toBe(run.prompt);
        expect(state.messages[1]?.content).toMatch(/^turn 1: Bare run number/);
        expect(state.sessionChain).toEqual([run.id]);
        expect(state.metadata.tags).toEqual(['adopted']);
        expect(state.usage.turns).toBe(run.turns);
        expect(state.usage.inputTokens).toBe(900 * run.turns);
        expect(state.usage.totalCostUsd).toBeGreaterThan(0);
        expect(state.usage.totalCostUsd).toBeCloseTo(run.total, 10);
        const perTurn = state.messages.reduce((sum, m) => sum + (m.turn?.costUsd ?? 0), 0);
        expect(perTurn).toBeCloseTo(run.total, 10);
        expect(await storage.loadTranscript(name, run.id)).toEqual(localTranscript(world, run.id));
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a second run adds nothing; a continued bare conversation adds only its new turn',
    async () => {
      const again = await cli('session', 'adopt', '--all');
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain(`0 adopted into`);
      expect(again.stdout).toContain(`0 grown, ${BARE_RUNS} unchanged, ${PROJECT_SESSIONS} already sessions`);

      const run = bare[2] as (typeof bare)[number];
      const next = await bareClaude(world, world.sandbox.cwd, 'one more thing', run.id);
      const grown = JSON.parse((await cli('session', 'adopt', '--all', '--json')).stdout) as Array<{
        claudeSessionId: string;
        name: string;
        action: string;
        turnsAdded: number;
      }>;
      expect(grown.filter((o) => o.action === 'added')).toEqual([]);
      const entry = grown.find((o) => o.claudeSessionId === run.id);
      expect(entry).toMatchObject({ action: 'grown', turnsAdded: 1 });
      const state = await storage.load(entry?.name as string);
      expect(state.messages.map((m) => m.content).slice(-2)).toEqual([
        'one more thing',
        'turn 2: one more thing',
      ]);
      expect(state.usage.totalCostUsd).toBeCloseTo(next.total_cost_usd, 10);
      expect(await storage.loadTranscript(entry?.name as string, run.id)).toEqual(
        localTranscript(world, run.id),
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'by default adopts only the current project folder; --since in the future finds nothing',
    async () => {
      const fresh = await world.cli(['session', 'adopt', '--json'], {
        env: { CHANNELCODER_HOME: join(world.sandbox.root, 'fresh-home') },
        timeoutMs: ADOPT_TIMEOUT_MS,
      });
      const outcomes = JSON.parse(fresh.stdout) as Array<{ claudeSessionId: string; action: string }>;
      // bare[0] ran in another folder; the project's own sessions are in a new storage, so they count as new.
      expect(outcomes.map((o) => o.claudeSessionId)).not.toContain(bare[0]?.id);
      expect(outcomes.filter((o) => o.action === 'added')).toHaveLength(PROJECT_SESSIONS + BARE_RUNS - 1);
      const later = await cli('session', 'adopt', '--all', '--since', '2999-01-01', '--json');
      expect(JSON.parse(later.stdout)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
