/**
 * What the CLI says when something is wrong, in its own words: flags and `channelcoder` commands, never SDK
 * calls. The built executable, the real `claude` CLI and the mock API; one world for the file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ClaudeRunError,
  SessionConflictError,
  SessionCorruptError,
  SessionNotFoundError,
  SessionSaveError,
} from '@channelcoder/session-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliMessage } from '../src/cli/messages.js';
import { SessionRequiredError } from '../src/templates/errors.js';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

let world: CliWorld;
beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  await world?.close();
});

/** Words of the SDK that must never reach a command-line user. */
const SDK_WORDS = /session\.(list|load|save)\(|resultLine|\.result\b|reapply your change/;

interface Stored {
  messages: Array<{ role: string; content: string; turn?: { isError?: boolean } }>;
  metadata: { systemPrompt?: string; appendSystemPrompt?: string };
}
async function show(name: string): Promise<Stored> {
  const shown = await world.cli(['session', 'show', name, '--json']);
  expect(shown.code, shown.stderr).toBe(0);
  return JSON.parse(shown.stdout) as Stored;
}

describe('parse errors', () => {
  it('name the flag as typed, the flag it most likely meant, and how to pass a prompt starting with "-"', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', 'hi', '--modle', 'sonnet'], /^channelcoder: Unknown flag --modle: did you mean --model\?/],
      [['run', 'hi', '--max_turns', '2'], /Unknown flag --max_turns: did you mean --max-turns\?/],
      [['session', 'list', '--jsn'], /^channelcoder: Unknown flag --jsn: did you mean --json\?\n/],
      [['run', 'hi', '--model'], /^channelcoder: --model needs a value \(--model VALUE\)\./],
      [['run', 'hi', '--force=yes', '--session', 'x'], /^channelcoder: --force takes no value\./],
      [
        ['run', '-x'],
        /Unknown flag -x\. A prompt that starts with "-" goes after "--": `channelcoder run -- "-x …"`/,
      ],
    ];
    for (const [args, expected] of cases) {
      const r = await world.cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).toContain(
        `Run \`channelcoder ${args[0] === 'session' ? 'session list' : 'run'} --help\``,
      );
      // Node's own text (with its unbalanced quote) is gone.
      expect(r.stderr).not.toContain('To specify a positional argument');
    }
    expect(world.mock.messageRequests()).toHaveLength(0);
  });
});

describe('failed first turn of --session NAME', () => {
  it('an API error says what happened in CLI words; the same command runs again in the session and keeps the failed attempt', async () => {
    world.mock.failNext(1, { status: 500, message: 'mock outage' });
    const failed = await world.cli(['run', 'Start the app', '--session', 'first']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('The failed turn was recorded in session "first".');
    // Claude Code's text ends with "(host:port)."; one full stop, then what to do, in CLI words.
    expect(failed.stderr).toMatch(
      /API status 500\): API Error: 500 mock outage.*\(127\.0\.0\.1:\d+\)\. Run the command again with CHANNELCODER_DEBUG=1 to see Claude Code's stderr\.\n$/,
    );
    expect(failed.stderr).not.toContain('..');
    expect(failed.stderr).not.toMatch(SDK_WORDS);

    const again = await world.cli(['run', 'Start the app', '--session', 'first']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('Session "first" exists but was never answered (1 failed turn)');
    expect(again.stdout).toMatch(/Start the app\n$/);
    const stored = await show('first');
    expect(stored.messages.map((m) => [m.role, m.content, m.turn?.isError === true])).toEqual([
      ['user', 'Start the app', true],
      ['user', 'Start the app', false],
      ['assistant', again.stdout.trimEnd(), false],
    ]);

    // Answered now: the name is taken, as before.
    const taken = await world.cli(['run', 'Start the app', '--session', 'first']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('already exists. Continue it with --load-session first');
  });

  it('without a claude binary, then with one', async () => {
    const missing = await world.cli(['run', 'hi', '--session', 'no-binary'], {
      env: { CLAUDE_BIN: join(world.sandbox.root, 'no-such-claude') },
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Claude Code CLI was not found');
    const again = await world.cli(['run', 'hi', '--session', 'no-binary']);
    expect(again.code, again.stderr).toBe(0);
    expect((await show('no-binary')).messages.map((m) => m.role)).toEqual(['user', 'user', 'assistant']);
  });
});

describe('system prompts and resumed sessions', () => {
  it('records the system prompt a session started with; a template or flag asking for another on a resume is warned about', async () => {
    const started = await world.cli([
      'run',
      'Kick off',
      '--session',
      'sys',
      '--system-prompt',
      'You are terse.',
    ]);
    expect(started.code, started.stderr).toBe(0);
    expect((await show('sys')).metadata).toMatchObject({ systemPrompt: 'You are terse.' });

    writeFileSync(
      join(world.sandbox.cwd, 'reviewer.md'),
      '---\nsystemPrompt: You are a reviewer.\nappendSystemPrompt: Be kind.\n---\nReview it\n',
    );
    const resumed = await world.cli(['run', 'reviewer.md', '--load-session', 'sys']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      'Warning: reviewer.md (systemPrompt) is ignored: session "sys" resumes its conversation, and Claude Code keeps the system prompt a conversation started with (recorded: "You are terse.").',
    );
    expect(resumed.stderr).toContain('Warning: reviewer.md (appendSystemPrompt) is ignored');
    expect(resumed.stderr).toContain('It takes effect on a new session (--session NAME).');
    // What the API got is still the first system prompt; the record stays.
    expect(JSON.stringify(world.mock.lastMessageRequest()?.body)).not.toContain('You are a reviewer.');
    expect((await show('sys')).metadata.systemPrompt).toBe('You are terse.');

    const same = await world.cli([
      'run',
      'More',
      '--load-session',
      'sys',
      '--system-prompt',
      'You are terse.',
    ]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).not.toContain('Warning');
    const flag = await world.cli(['run', 'More', '--load-session', 'sys', '--system-prompt', 'Other']);
    expect(flag.stderr).toContain('Warning: --system-prompt is ignored');
  });
});

describe('not-found and remove', () => {
  it('name channelcoder commands, with the closest saved name', async () => {
    const shown = await world.cli(['session', 'show', 'nope']);
    expect(shown.code).toBe(2);
    expect(shown.stderr).toContain('List the saved sessions with `channelcoder session list`');
    expect(shown.stderr).not.toMatch(SDK_WORDS);
    const loaded = await world.cli(['run', 'hi', '--load-session', 'nope']);
    expect(loaded.stderr).toContain('`channelcoder run PROMPT --session nope`');

    const removed = await world.cli(['session', 'remove', 'nope', '--yes']);
    expect(removed.code).toBe(2);
    expect(removed.stderr).toBe(
      'channelcoder: no session named "nope". List the saved sessions with `channelcoder session list`.\n',
    );
    const typo = await world.cli(['session', 'remove', 'no-binay', '--yes']);
    expect(typo.stderr).toContain('no session named "no-binay" (did you mean "no-binary"?)');
  });
});

describe('cliMessage', () => {
  it("words the SDK's conflict, save and run errors as commands to run", () => {
    const context = { cwd: '/work/app' };
    const race = cliMessage(new SessionConflictError('todo', 0, 2), context);
    expect(race).toBe(
      'Session "todo" was created by another command while this one ran, so this command did not overwrite it. ' +
        'See what it holds with `channelcoder session show todo`, then continue it with ' +
        '`channelcoder run PROMPT --load-session todo`.',
    );
    const answer = { text: 'hi' };
    const lost = cliMessage(
      new SessionSaveError('todo', answer, new SessionConflictError('todo', 3, 4)),
      context,
    );
    expect(lost).toContain(
      'The turn in session "todo" completed and its answer is printed above, but saving it failed',
    );
    expect(lost).toContain(
      '(this command started from revision 3, revision 4 is stored), and this turn was not stored in it',
    );
    expect(lost).toContain(
      '`channelcoder session adopt --project /work/app` keeps it as a session of its own.',
    );
    const timeout = new ClaudeRunError(
      'Claude Code did not finish within 5 ms and was stopped. Raise the timeout option if the task needs longer.',
      { exitCode: null, stderr: '' },
    );
    expect(cliMessage(timeout, context)).toMatch(/Give it longer with --timeout SECONDS\.$/);
    const corrupt = cliMessage(new SessionCorruptError('todo', 'messages[0]', 'is not an object'), context);
    expect(corrupt).toMatch(/or remove it with `channelcoder session remove todo --yes`\.$/);
    const required = cliMessage(new SessionRequiredError('task.md'), context);
    expect(required).toBe(
      'task.md requires a session (session.required: true): continue one with --load-session NAME.',
    );
    for (const message of [
      race,
      lost,
      corrupt,
      required,
      cliMessage(new SessionNotFoundError('x'), context),
    ]) {
      expect(message).not.toMatch(SDK_WORDS);
    }
  });
});
