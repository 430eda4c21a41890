/**
 * `session open NAME`: a session made on another machine (its own CLAUDE_CONFIG_DIR and HOME, the storage
 * shared) is continued in Claude Code's terminal UI on this one, in the session's working directory. Driven
 * through tmux with the real `claude` CLI against the mock API.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectFolderName } from '@channelcoder/session-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, type CliWorld, startCliWorld } from './support/cli-world.js';
import { openTerminal, type Terminal } from './support/tmux.js';

let world: CliWorld;
const terminals: Terminal[] = [];

beforeAll(async () => {
  world = await startCliWorld({ reply: (ctx) => `turn ${ctx.userTurns}: ${ctx.lastUserText}` });
});
afterAll(async () => {
  for (const t of terminals) await t.close();
  await world?.close();
});

/** Claude Code's first-run screens (onboarding, API key approval, folder trust) already passed for `dirs`. */
function pastFirstRun(configDir: string, dirs: string[]): void {
  const key = world.env.ANTHROPIC_API_KEY ?? '';
  writeFileSync(
    join(configDir, '.claude.json'),
    JSON.stringify({
      hasCompletedOnboarding: true,
      customApiKeyResponses: { approved: [key.slice(-20)], rejected: [] },
      projects: Object.fromEntries(dirs.map((d) => [d, { hasTrustDialogAccepted: true }])),
    }),
  );
}

describe('session open', () => {
  it('continues a session made on another machine, in its working directory, with its history', async () => {
    const project = join(world.sandbox.root, 'project');
    mkdirSync(project);
    // The other machine: its own config dir and home; the same storage.
    const elsewhere = {
      config: join(world.sandbox.root, 'other-config'),
      home: join(world.sandbox.root, 'other-home'),
    };
    mkdirSync(elsewhere.config);
    mkdirSync(elsewhere.home);
    const made = await world.cli(['run', 'Remember the word zebra', '--session', 'far', '--cwd', project], {
      env: { CLAUDE_CONFIG_DIR: elsewhere.config, HOME: elsewhere.home },
    });
    expect(made.code, made.stderr).toBe(0);
    const id = JSON.parse((await world.cli(['session', 'show', 'far', '--json'])).stdout).currentSessionId;
    expect(existsSync(join(elsewhere.config, 'projects', projectFolderName(project), `${id}.jsonl`))).toBe(
      true,
    );
    // Nothing of it on this machine yet.
    expect(existsSync(join(world.sandbox.configDir, 'projects'))).toBe(false);

    pastFirstRun(world.sandbox.configDir, [project]);
    world.mock.reset();
    const t = await openTerminal(world.sandbox.cwd, `node ${CLI_PATH} session open far`, world.env);
    terminals.push(t);
    // Claude Code's own UI shows the earlier conversation.
    await t.waitFor(/turn 1: Remember the word zebra/, 60_000);
    await t.keys('What was the word?');
    await t.waitFor(/What was the word\?/);
    await t.keys('Enter');
    await t.waitFor(/turn 2: What was the word\?/, 60_000);
    await t.keys('/exit');
    await t.waitFor(/\/exit/);
    await t.keys('Enter');
    const done = await t.waitFor(/\[exit \d+\]/);
    expect(done).toContain(`Opening session far (2 messages) in ${project}.`);
    expect(done).toContain('Recorded in session far (4 messages).');
    expect(done.replace(/\s+/g, '')).toContain('Tocontinueit,run`channelcodersessionopenfar`');
    expect(done).toContain('[exit 0]');

    // The mock saw the history in the new turn's request.
    const request = world.mock
      .messageRequests()
      .map((r) => JSON.stringify(r.body))
      .find((body) => body.includes('What was the word?'));
    expect(request).toContain('Remember the word zebra');
    expect(request).toContain('turn 1: Remember the word zebra');

    // Restored into this machine's project folder of the working directory; Claude ran there.
    const local = join(world.sandbox.configDir, 'projects', projectFolderName(project), `${id}.jsonl`);
    const lines = readFileSync(local, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { cwd?: string; type?: string });
    expect(lines.filter((l) => l.cwd !== undefined).every((l) => l.cwd === project)).toBe(true);
    expect(readdirSync(join(world.sandbox.configDir, 'projects'))).toEqual([projectFolderName(project)]);

    const shown = JSON.parse((await world.cli(['session', 'show', 'far', '--json'])).stdout);
    expect(shown.currentSessionId).toBe(id);
    expect(shown.messages.map((m: { content: string }) => m.content)).toEqual([
      'Remember the word zebra',
      'turn 1: Remember the word zebra',
      'What was the word?',
      'turn 2: What was the word?',
    ]);
  });

  it('refuses a working directory that is not here, and an unknown session, saying what to do', async () => {
    const gone = join(world.sandbox.root, 'gone');
    mkdirSync(gone);
    expect((await world.cli(['run', 'Hi', '--session', 'moved', '--cwd', gone])).code).toBe(0);
    rmSync(gone, { recursive: true });
    const r = await world.cli(['session', 'open', 'moved']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Session "moved" was made in ${gone}, which is not a directory here.`);
    expect(r.stderr).toContain('--cwd DIR');
    const bad = await world.cli(['session', 'open', 'moved', '--cwd', join(gone, 'nope')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no such directory');
    const unknown = await world.cli(['session', 'open', 'nobody-here']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('nobody-here');
    expect((await world.cli(['session', 'open'])).code).toBe(2);
  });
});
