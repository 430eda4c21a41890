/**
 * `session stats` and the cost column of `session list`, from turns run by the real `claude` CLI (mock API):
 * per-turn costs add up to the CLI's own cumulative `total_cost_usd` across resume, fork and a restart
 * (a new process continuing the session), and grouped totals equal the sum over the sessions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSessionStorage, type SessionState, session } from 'channelcoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

interface StatsJson {
  groups: Array<{ key: string; sessions: number; turns: number; costUsd: number; inputTokens: number }>;
  total: { turns: number; costUsd: number; sessions: number };
}

/** The CLI's cumulative cost of a conversation: the last `cost-state` line of its transcript. */
function cliTotalCost(world: CliWorld, claudeId: string): number {
  const projects = join(world.sandbox.configDir, 'projects');
  for (const folder of readdirSync(projects)) {
    const file = join(projects, folder, `${claudeId}.jsonl`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const states = text
      .split('\n')
      .filter((line) => line.includes('"cost-state"'))
      .map((line) => JSON.parse(line) as { totalCostUSD: number });
    const last = states.at(-1);
    if (last !== undefined) return last.totalCostUSD;
  }
  throw new Error(`no transcript with a cost-state line for ${claudeId}`);
}

const sumTurnCosts = (state: SessionState) =>
  state.messages.reduce((sum, m) => sum + (m.turn?.costUsd ?? 0), 0);

describe('costs and stats from the ledgers', () => {
  let world: CliWorld;
  let storage: FileSessionStorage;
  const cli = (...args: string[]) => world.cli(args);
  const open = (name: string, tags?: string[]) =>
    session({
      name,
      storage,
      cwd: world.sandbox.cwd,
      ...(tags === undefined ? {} : { tags }),
      defaults: { env: world.env as Record<string, string> },
    });

  beforeAll(async () => {
    world = await startCliWorld({ usage: { input_tokens: 1200, output_tokens: 300 } });
    storage = new FileSessionStorage(join(world.channelcoderHome, 'sessions'));
    const alpha = open('alpha', ['red', 'blue']);
    await alpha.claude('one');
    await alpha.claude('two'); // resume
    const gamma = open('gamma', ['green']);
    await gamma.claude('only turn');
    // A restart: another process continues alpha, then a fork of it runs its own turns.
    expect((await cli('run', '-p', 'three', '--load-session', 'alpha')).code).toBe(0);
    expect((await cli('session', 'fork', 'alpha', 'beta')).code).toBe(0);
    expect((await cli('run', '-p', 'fork one', '--load-session', 'beta')).code).toBe(0);
    expect((await cli('run', '-p', 'fork two', '--load-session', 'beta')).code).toBe(0);
    expect((await cli('run', 'untagged', '--session', 'delta')).code).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await world?.close();
  });

  it('the per-turn costs of a conversation add up to the CLI cumulative total_cost_usd (resume, restart, fork)', async () => {
    const alpha = await storage.load('alpha');
    const beta = await storage.load('beta');
    expect(alpha.usage.turns).toBe(3);
    expect(sumTurnCosts(alpha)).toBeGreaterThan(0);
    expect(sumTurnCosts(alpha)).toBeCloseTo(cliTotalCost(world, alpha.currentSessionId as string), 10);
    // The fork's transcript carries its parent's history, and the CLI's total counts it: so do the messages.
    expect(beta.currentSessionId).not.toBe(alpha.currentSessionId);
    expect(sumTurnCosts(beta)).toBeCloseTo(cliTotalCost(world, beta.currentSessionId as string), 10);
    // The fork's own ledger holds only its own two turns.
    expect(beta.usage.turns).toBe(2);
    expect(beta.usage.totalCostUsd).toBeCloseTo(sumTurnCosts(beta) - sumTurnCosts(alpha), 10);
  });

  it('stats --by tag: each tag totals the sessions carrying it; --by session totals every ledger', async () => {
    const states = Object.fromEntries(
      await Promise.all(
        ['alpha', 'beta', 'gamma', 'delta'].map(async (n) => [n, await storage.load(n)] as const),
      ),
    );
    const byTag = JSON.parse((await cli('session', 'stats', '--by', 'tag', '--json')).stdout) as StatsJson;
    const tagged = (tag: string) =>
      Object.values(states).filter((s) => (s.metadata.tags ?? []).includes(tag));
    expect(byTag.groups.map((g) => g.key).sort()).toEqual(['(untagged)', 'blue', 'green', 'red']);
    for (const group of byTag.groups) {
      const members =
        group.key === '(untagged)'
          ? Object.values(states).filter((s) => (s.metadata.tags ?? []).length === 0)
          : tagged(group.key);
      expect(group.sessions, group.key).toBe(members.length);
      expect(group.turns, group.key).toBe(members.reduce((n, s) => n + s.usage.turns, 0));
      expect(group.costUsd, group.key).toBeCloseTo(
        members.reduce((n, s) => n + s.usage.totalCostUsd, 0),
        10,
      );
    }
    const bySession = JSON.parse((await cli('session', 'stats', '--json')).stdout) as StatsJson;
    const all = Object.values(states);
    expect(bySession.total.turns).toBe(all.reduce((n, s) => n + s.usage.turns, 0));
    expect(bySession.total.costUsd).toBeCloseTo(
      all.reduce((n, s) => n + s.usage.totalCostUsd, 0),
      10,
    );
    expect(bySession.total.sessions).toBe(4);
    expect(byTag.total).toEqual(bySession.total);
  });

  it('stats --by day and --by model, --since in the future, and the table', async () => {
    const byDay = JSON.parse((await cli('session', 'stats', '--by', 'day', '--json')).stdout) as StatsJson;
    expect(byDay.groups.map((g) => g.key)).toEqual([new Date().toISOString().slice(0, 10)]);
    expect(byDay.groups[0]?.turns).toBe(7); // alpha 3, beta 2 of its own, gamma 1, delta 1
    const byModel = JSON.parse(
      (await cli('session', 'stats', '--by', 'model', '--json')).stdout,
    ) as StatsJson;
    expect(byModel.groups).toHaveLength(1);
    expect(byModel.groups[0]?.key).toMatch(/^claude-/);
    const later = JSON.parse(
      (await cli('session', 'stats', '--since', '2999-01-01', '--json')).stdout,
    ) as StatsJson;
    expect(later.total.turns).toBe(0);
    const bad = await cli('session', 'stats', '--by', 'week');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--by must be one of day, tag, model, session');

    const table = await cli('session', 'stats', '--by', 'tag');
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TAG\s+SESSIONS\s+TURNS\s+INPUT TOKENS\s+OUTPUT TOKENS\s+COST$/);
    expect(lines.at(-1)).toMatch(/^total\s+4\s+7\s+\d+\s+\d+\s+\$\d/);
  });

  it('session list shows each session cost and a total line', async () => {
    const list = await cli('session', 'list');
    expect(list.code, list.stderr).toBe(0);
    const total = (await Promise.all(['alpha', 'beta', 'gamma', 'delta'].map((n) => storage.load(n)))).reduce(
      (sum, s) => sum + s.usage.totalCostUsd,
      0,
    );
    expect(list.stdout).toMatch(/\nalpha\s+6\s+.*\$0\.\d{4}\s/);
    // beta holds its 6 inherited messages and 4 of its own: listings count messages, not turns.
    expect(list.stdout.trimEnd().split('\n').at(-1)).toBe(
      `Total: 4 sessions · 20 messages · $${total.toFixed(4)}`,
    );
  });
});
