/**
 * On a terminal the CLI shows a spinner with elapsed time while Claude works, then colours; in a pipe it
 * writes plain text only. Driven through tmux (a real pseudo-terminal) with the real `claude` CLI.
 */
import { readFileSync } from 'node:fs';
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
    await t.waitFor(/Remove session "tty-run" \(2 messages\)\? \[y\/N\]/);
    await t.keys('y', 'Enter');
    const done = await t.waitFor(/\[exit \d+\]/);
    expect(done).toContain('Removed session "tty-run".');
    expect(done).toContain('[exit 0]');
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
