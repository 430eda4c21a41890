/**
 * On a terminal the CLI shows a spinner with elapsed time while Claude works, then colours; in a pipe it
 * writes plain text only. Driven through tmux (a real pseudo-terminal) with the real `claude` CLI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, type CliWorld, startCliWorld } from './support/cli-world.js';
import { openTerminal, type Terminal } from './support/tmux.js';

let world: CliWorld;
const terminals: Terminal[] = [];

beforeAll(async () => {
  // Each reply waits long enough for the spinner to be seen ticking.
  world = await startCliWorld({ delayMs: 2500 });
});
afterAll(async () => {
  for (const t of terminals) await t.close();
  await world?.close();
});

async function terminal(command: string): Promise<Terminal> {
  const t = await openTerminal(world.sandbox.cwd, command, world.env);
  terminals.push(t);
  return t;
}

const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Claude is working… \d+s/;

describe('on a terminal', () => {
  it('run shows a spinner with elapsed seconds, then the answer and a coloured summary', async () => {
    const t = await terminal(`node ${CLI_PATH} run "Hello there" --session tty-run`);
    await t.waitFor(/Claude is working… [1-9]\d*s/);
    const done = await t.waitFor(/\[exit \d+\]/);
    expect(done).toContain('[exit 0]');
    expect(done).toContain('turn 1: Hello there');
    expect(done).not.toMatch(SPINNER);
    expect(done).toMatch(/✓ tty-run · 2 messages · turn \$\d+\.\d{4} · total \$\d+\.\d{4} · \d+\.\d s/);
    expect(await t.screen(true)).toContain('\u001b[32m✓');
  });

  it('session remove asks for confirmation', async () => {
    const t = await terminal(`node ${CLI_PATH} session remove tty-run`);
    await t.waitFor(/Move session "tty-run" \(2 messages\) to the trash\? \[y\/N\]/);
    await t.keys('y', 'Enter');
    const done = await t.waitFor(/\[exit \d+\]/);
    expect(done).toContain('Moved session "tty-run" to the trash');
    expect(done).toContain('[exit 0]');
  });
});

describe('interactive on a terminal', () => {
  it('hands the terminal to Claude Code and records the turn when the user leaves', async () => {
    // Past Claude Code's first-run screens (onboarding, API key approval, folder trust), as a user would be.
    const key = world.env.ANTHROPIC_API_KEY ?? '';
    writeFileSync(
      join(world.sandbox.configDir, '.claude.json'),
      JSON.stringify({
        hasCompletedOnboarding: true,
        customApiKeyResponses: { approved: [key.slice(-20)], rejected: [] },
        projects: { [world.sandbox.cwd]: { hasTrustDialogAccepted: true } },
      }),
    );
    const started = await world.cli(['run', 'First turn', '--session', 'tui']);
    expect(started.code, started.stderr).toBe(0);

    const t = await terminal(`node ${CLI_PATH} interactive "Hello from the terminal" --load-session tui`);
    // Claude Code's own UI shows the earlier conversation and answers the new prompt.
    await t.waitFor(/turn 2: Hello from the terminal/, 60_000);
    expect(await t.screen()).not.toMatch(SPINNER);
    await t.keys('/exit');
    await t.waitFor(/\/exit/);
    await t.keys('Enter');
    const done = await t.waitFor(/\[exit \d+\]/);
    expect(done).toContain('Recorded in session tui (4 messages).');
    expect(done).toContain('[exit 0]');

    const shown = JSON.parse((await world.cli(['session', 'show', 'tui', '--json'])).stdout);
    expect(shown.messages.map((m: { content: string }) => m.content).slice(0, 3)).toEqual([
      'First turn',
      'turn 1: First turn',
      'Hello from the terminal',
    ]);
    expect(shown.sessionChain).toHaveLength(1);
  });
});

describe('in a pipe', () => {
  it('run writes no spinner and no escape codes, even started from a terminal', async () => {
    const out = join(world.sandbox.cwd, 'piped.txt');
    const t = await terminal(`node ${CLI_PATH} run "Piped please" --session piped 2>&1 | cat > ${out}`);
    await t.waitFor(/\[exit \d+\]/);
    const text = readFileSync(out, 'utf8');
    expect(text).toBe('turn 1: Piped please\n');
    expect(text).not.toContain('\u001b');
  });
});
