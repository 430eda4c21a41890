/**
 * Every session command end to end: the built `channelcoder` executable, the real `claude` CLI, the mock
 * Anthropic API, on the file storage (the default) and on Redis.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastUserText } from '@channelcoder/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

function redisStorageUrl(): string {
  const url = new URL(inject('redisUrl'));
  url.searchParams.set('prefix', `cc-cli-test-${randomUUID().slice(0, 8)}:`);
  return url.toString();
}

const storages: Array<{ label: string; storageArgs: () => string[]; onRedis: boolean }> = [
  { label: 'file storage (default: $CHANNELCODER_HOME/sessions)', storageArgs: () => [], onRedis: false },
  {
    label: 'Redis (--storage redis://…?prefix=…)',
    storageArgs: () => ['--storage', redisStorageUrl()],
    onRedis: true,
  },
];

const CLAUDE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(storages)('channelcoder CLI on the $label', ({ storageArgs, onRedis }) => {
  let world: CliWorld;
  let storage: string[];
  const cli = (...args: string[]) => world.cli([...args, ...storage]);
  const showJson = async (name: string) => {
    const shown = await cli('session', 'show', name, '--json');
    expect(shown.code, shown.stderr).toBe(0);
    return JSON.parse(shown.stdout) as {
      messages: Array<{ role: string; content: string; turn?: { isError?: boolean } }>;
      sessionChain: string[];
      currentSessionId?: string;
      metadata: { name: string; parent?: { name: string } };
    };
  };

  beforeAll(async () => {
    world = await startCliWorld();
    storage = storageArgs();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('run --session starts a named session and prints the answer', async () => {
    const r = await cli('run', 'Start project', '--session', 'my-project');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('turn 1: Start project\n');
    // Piped: no spinner, no colours, no summary line.
    expect(r.stderr).toBe('');
    const state = await showJson('my-project');
    expect(state.messages.map((m) => m.content)).toEqual(['Start project', 'turn 1: Start project']);
    expect(state.currentSessionId).toMatch(CLAUDE_ID);
    const fileStore = join(world.channelcoderHome, 'sessions');
    const onDisk = existsSync(fileStore) ? readdirSync(fileStore) : [];
    expect(onDisk.includes('my-project')).toBe(!onRedis);
  });

  it('run --session refuses an existing name unless --force, which starts it over', async () => {
    const requestsBefore = world.mock.messageRequests().length;
    const refused = await cli('run', 'Again', '--session', 'my-project');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already exists');
    expect(world.mock.messageRequests().length).toBe(requestsBefore);

    await cli('run', 'Scratch', '--session', 'scratch');
    const forced = await cli('run', 'Fresh start', '--session', 'scratch', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toBe('turn 1: Fresh start\n');
    expect((await showJson('scratch')).messages.map((m) => m.content)).toEqual([
      'Fresh start',
      'turn 1: Fresh start',
    ]);
  });

  it('run -p --load-session continues the conversation (Claude sees the history)', async () => {
    const before = await showJson('my-project');
    const r = await cli('run', '-p', 'Add tests', '--load-session', 'my-project');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('turn 2: Add tests\n');
    expect(world.mock.lastMessageRequest()?.userTurns).toBe(2);
    const after = await showJson('my-project');
    expect(after.messages).toHaveLength(4);
    expect(after.currentSessionId).toBe(before.currentSessionId);
  });

  it('run FILE.md --load-session -d key=value renders the template with data and session context', async () => {
    // The README's template, as published.
    copyFileSync(
      new URL('../examples/continue-task.md', import.meta.url),
      join(world.sandbox.cwd, 'continue-task.md'),
    );
    const r = await cli('run', 'continue-task.md', '--load-session', 'my-project', '-d', 'feature=auth');
    expect(r.code, r.stderr).toBe(0);
    const sent = world.mock.lastMessageRequest();
    const expected =
      'Continue with auth (normal) in my-project.\nYou last said: turn 2: Add tests [4 messages]';
    expect(lastUserText((sent?.body as { messages?: unknown } | undefined)?.messages)).toBe(expected);
    expect(r.stdout).toBe(`turn 3: ${expected}\n`);
  });

  it("a template's frontmatter sets the run options of a new conversation", async () => {
    writeFileSync(
      join(world.sandbox.cwd, 'kickoff.md'),
      '---\nappendSystemPrompt: You are helping with an ongoing project\nmaxTurns: 2\n---\nKick off {what}\n',
    );
    const r = await cli('run', 'kickoff.md', '--session', 'kickoff', '-d', 'what=the API');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('turn 1: Kick off the API\n');
    expect(JSON.stringify(world.mock.lastMessageRequest()?.body)).toContain(
      'You are helping with an ongoing project',
    );
  });

  it('templates fail before Claude starts: session required, missing variables, bad frontmatter', async () => {
    const requests = world.mock.messageRequests().length;
    const required = await cli('run', 'continue-task.md', '-d', 'feature=x');
    expect(required.code).toBe(2);
    expect(required.stderr).toMatch(/continue-task\.md requires a session/);

    writeFileSync(join(world.sandbox.cwd, 'vars.md'), 'Fix {issue.id} in {files[0]}\n');
    const missing = await cli('run', 'vars.md', '--load-session', 'my-project');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('{issue.id}, {files[0]}');

    writeFileSync(join(world.sandbox.cwd, 'bad.md'), '---\nmaxTurns: many\n---\nHi\n');
    const bad = await cli('run', 'bad.md');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid frontmatter in bad.md: maxTurns');
    expect(world.mock.messageRequests().length).toBe(requests);
  });

  it('stream prints the text as it arrives and records the turn once', async () => {
    const r = await cli('stream', '-p', 'Stream it', '--load-session', 'my-project');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('turn 4: Stream it\n');
    const state = await showJson('my-project');
    expect(state.messages).toHaveLength(8);
    expect(state.messages.at(-1)?.content).toBe('turn 4: Stream it');
  });

  it('interactive --load-session hands over to Claude and records the outcome', async () => {
    // Without a terminal the Claude CLI answers like -p; the session records the prompt and keeps its id.
    const before = await showJson('my-project');
    const r = await cli('interactive', 'Over to you', '--load-session', 'my-project');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('turn 5: Over to you');
    expect(world.mock.lastMessageRequest()?.userTurns).toBe(5);
    const after = await showJson('my-project');
    expect(after.messages.at(-2)?.content).toBe('Over to you');
    expect(after.currentSessionId).toBe(before.currentSessionId);
  });

  it('session list prints a table; --json, --limit and --list-sessions', async () => {
    const table = await cli('session', 'list');
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+MESSAGES\s+LAST ACTIVE\s+COST\s+CLAUDE SESSION$/);
    expect(table.stdout).not.toContain('\u001b[');
    const state = await showJson('my-project');
    const row = lines.find((line) => line.startsWith('my-project '));
    expect(row).toMatch(
      // The last turn ran in the set-up: on a loaded machine that may be a few minutes before this listing.
      new RegExp(
        `^my-project\\s+10\\s+(?:just now|\\d+ minutes? ago)\\s+\\$\\d+\\.\\d{4}\\s+${state.currentSessionId}$`,
      ),
    );
    expect(lines.some((line) => line.startsWith('scratch '))).toBe(true);

    const json = await cli('session', 'list', '--json');
    const infos = JSON.parse(json.stdout) as Array<{
      name: string;
      messageCount: number;
      lastActive: string;
    }>;
    expect(infos.map((i) => i.name)).toEqual(['my-project', 'kickoff', 'scratch']);
    expect(infos[0]?.messageCount).toBe(10);
    expect(Number.isNaN(Date.parse(infos[0]?.lastActive ?? ''))).toBe(false);

    const limited = JSON.parse((await cli('session', 'list', '--json', '--limit', '1')).stdout) as unknown[];
    expect(limited).toHaveLength(1);

    const alias = await cli('--list-sessions');
    expect(alias.code).toBe(0);
    // The same table; relative times may tick over between the two listings on a loaded machine.
    const normalized = (text: string) =>
      text.replace(/just now|\d+ (?:minute|hour)s? ago/g, 'T').replace(/ +/g, ' ');
    expect(normalized(alias.stdout)).toBe(normalized(table.stdout));
  });

  it('session show prints the conversation readably', async () => {
    const r = await cli('session', 'show', 'my-project');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^my-project\n/);
    expect(r.stdout).toContain('  messages      10');
    expect(r.stdout).toMatch(/\nuser \S+\nAdd tests\n/);
    expect(r.stdout).toMatch(/\nassistant \S+\nturn 2: Add tests\n/);
  });

  it('session fork saves a branch whose first turn forks the Claude conversation', async () => {
    const source = await showJson('my-project');
    const r = await cli('session', 'fork', 'my-project', 'experiment');
    expect(r.code, r.stderr).toBe(0);
    const next = await cli('run', '-p', 'Try another way', '--load-session', 'experiment');
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toBe('turn 6: Try another way\n');
    const forked = await showJson('experiment');
    expect(forked.metadata.parent?.name).toBe('my-project');
    expect(forked.currentSessionId).toMatch(CLAUDE_ID);
    expect(forked.currentSessionId).not.toBe(source.currentSessionId);
    expect((await showJson('my-project')).messages).toHaveLength(source.messages.length);
    expect((await cli('session', 'fork', 'my-project', 'experiment')).code).toBe(2);
  });

  it('session export and import move a session through a portable document, into another storage', async () => {
    const exported = await cli('session', 'export', 'my-project', 'my-project.json');
    expect(exported.code, exported.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(world.sandbox.cwd, 'my-project.json'), 'utf8'));
    expect(doc).toMatchObject({ type: 'channelcoder.session', version: 1, name: 'my-project' });

    // Into the other kind of storage, then continued there.
    const other = onRedis ? [] : ['--storage', redisStorageUrl()];
    const imported = await world.cli(['session', 'import', 'my-project.json', '--name', 'moved', ...other]);
    expect(imported.code, imported.stderr).toBe(0);
    const moved = await world.cli(['session', 'show', 'moved', '--json', ...other]);
    const original = await showJson('my-project');
    expect(JSON.parse(moved.stdout).messages).toEqual(original.messages);
    const continued = await world.cli(['run', '-p', 'Still there?', '--load-session', 'moved', ...other]);
    expect(continued.stdout).toBe('turn 6: Still there?\n');

    const again = await world.cli(['session', 'import', 'my-project.json', '--name', 'moved', ...other]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    const forced = await world.cli([
      'session',
      'import',
      'my-project.json',
      '--name',
      'moved',
      '--force',
      ...other,
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(
      JSON.parse((await world.cli(['session', 'show', 'moved', '--json', ...other])).stdout).messages,
    ).toHaveLength(10);

    const toStdout = await cli('session', 'export', 'scratch');
    const fromStdin = await world.cli(['session', 'import', '-', '--name', 'scratch-copy', ...storage], {
      input: toStdout.stdout,
    });
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
  });

  it('session remove needs --yes without a terminal, then removes; a second remove says it is gone', async () => {
    const refused = await cli('session', 'remove', 'scratch');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    const removed = await cli('session', 'remove', 'scratch', '--yes');
    expect(removed.code, removed.stderr).toBe(0);
    const names = (
      JSON.parse((await cli('session', 'list', '--json')).stdout) as Array<{ name: string }>
    ).map((i) => i.name);
    expect(names).not.toContain('scratch');
    expect((await cli('session', 'remove', 'scratch', '--yes')).code).toBe(2);
  });

  it('a failed Claude turn exits 1 and is recorded in the session', async () => {
    world.mock.failNext(1, { status: 500, message: 'mock outage' });
    const r = await cli('run', '-p', 'This fails', '--load-session', 'my-project');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('recorded in session "my-project"');
    const state = await showJson('my-project');
    const failed = state.messages.find((m) => m.content === 'This fails');
    expect(failed?.turn?.isError).toBe(true);
  });

  it('run --json and stream --json print machine-readable results', async () => {
    const r = await cli('run', 'As JSON', '--session', 'json-run', '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      session: 'json-run',
      text: 'turn 1: As JSON',
      isError: false,
      messageCount: 2,
    });
    expect(result.claudeSessionId).toMatch(CLAUDE_ID);
    expect(result.turnCostUsd).toBeGreaterThan(0);

    const streamed = await cli('stream', '-p', 'Lines', '--load-session', 'json-run', '--json');
    expect(streamed.code, streamed.stderr).toBe(0);
    const lines = streamed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.at(0)).toEqual({ type: 'text', content: 'turn 2: Lines' });
    expect(lines.at(-1)).toMatchObject({ type: 'result', session: 'json-run', messageCount: 4 });
  });

  it('run - reads the prompt from standard input', async () => {
    const r = await world.cli(['run', '-', '--session', 'from-stdin', ...storage], {
      input: 'Piped prompt\n',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('turn 1: Piped prompt\n');
  });

  it('unknown sessions are usage errors', async () => {
    const r = await cli('run', '-p', 'Hi', '--load-session', 'nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"nope" was not found');
    expect((await cli('session', 'show', 'nope')).code).toBe(2);
  });
});
