/** Bad command lines and bad storage URLs: exit code 2, a message saying what is wrong, nothing run. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

let world: CliWorld;
beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  await world?.close();
});

describe('usage errors exit with 2 and reach neither Claude nor a storage', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['no command', [], /Usage: channelcoder <command>/],
    ['an unknown command', ['frobnicate'], /Unknown command "frobnicate"/],
    ['an unknown flag', ['run', 'hi', '--bogus'], /Unknown option '--bogus'/],
    ['a missing prompt', ['run', '--session', 'x'], /Missing the prompt/],
    ['a prompt twice', ['run', 'hi', '-p', 'there'], /Give the prompt once/],
    ['--session with --load-session', ['run', 'hi', '--session', 'a', '--load-session', 'b'], /not both/],
    ['--force without --session', ['run', 'hi', '--force'], /--force goes with --session/],
    ['a bad --max-turns', ['run', 'hi', '--max-turns', '0'], /--max-turns must be a positive integer/],
    ['a bad --timeout', ['run', 'hi', '--timeout', 'soon'], /--timeout must be a positive number/],
    ['a bad --wait', ['run', 'hi', '--wait', 'forever'], /--wait must be a positive number/],
    [
      '--wait with --no-wait',
      ['run', 'hi', '--wait', '5', '--no-wait'],
      /--wait SECONDS or --no-wait, not both/,
    ],
    ['a bad -d pair', ['run', 'hi', '-d', 'novalue'], /--data expects KEY=VALUE/],
    ['bad JSON data', ['run', 'hi', '-d', 'list=[1,'], /not valid JSON/],
    ['a missing prompt file', ['run', 'nope.md'], /Prompt file not found: nope\.md/],
    ['an invalid session name', ['run', 'hi', '--session', '../etc'], /Invalid session name/],
    ['a bad --limit', ['session', 'list', '--limit', 'ten'], /--limit must be a positive integer/],
    ['an unknown session subcommand', ['session', 'explode'], /Unknown session command "explode"/],
    ['session show without a name', ['session', 'show'], /Missing argument/],
    ['session fork with one name', ['session', 'fork', 'a'], /Missing argument/],
    ['an unreadable import file', ['session', 'import', 'missing.json'], /Cannot read missing\.json/],
    [
      'an unknown storage scheme',
      ['session', 'list', '--storage', 'ftp://host/x'],
      /scheme "ftp:" is not supported/,
    ],
    ['a remote file URL', ['session', 'list', '--storage', 'file://server/dir'], /local directory/],
    ['a file URL with a query', ['session', 'list', '--storage', 'file:///tmp/x?y=1'], /no query parameters/],
    ['a Redis URL without host', ['session', 'list', '--storage', 'redis://'], /no host|well-formed/],
    [
      'a Redis database that is not a number',
      ['session', 'list', '--storage', 'redis://localhost/abc'],
      /"abc" is not a number/,
    ],
    [
      'an unknown Redis parameter',
      ['session', 'list', '--storage', 'redis://localhost?db=1'],
      /unknown parameter "db"/,
    ],
    [
      'a bad Redis ttl',
      ['session', 'list', '--storage', 'redis://localhost?ttl=-5'],
      /ttl must be a positive/,
    ],
    ['a bad S3 bucket', ['session', 'list', '--storage', 's3://UPPER_case/x'], /not a valid bucket name/],
    [
      'a bad S3 endpoint',
      ['session', 'list', '--storage', 's3://bucket?endpoint=ftp://x'],
      /endpoint must be an http/,
    ],
    [
      'an unknown S3 parameter',
      ['session', 'list', '--storage', 's3://bucket?acl=public'],
      /unknown parameter "acl"/,
    ],
    [
      'a malformed PostgreSQL URL',
      ['session', 'list', '--storage', 'postgresql://[bad'],
      /not a well-formed URL/,
    ],
  ];

  it.each(cases)('%s', async (_label, args, message) => {
    const before = world.mock.requests.length;
    const r = await world.cli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(world.mock.requests.length).toBe(before);
  });

  it('CHANNELCODER_STORAGE is checked like --storage', async () => {
    const r = await world.cli(['session', 'list'], { env: { CHANNELCODER_STORAGE: 'mongodb://x' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"mongodb:" is not supported');
  });

  it('an import file that is not an export is a usage error', async () => {
    writeFileSync(join(world.sandbox.cwd, 'other.json'), '{"hello": "world"}');
    const r = await world.cli(['session', 'import', 'other.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a ChannelCoder session export');
  });
});

describe('storage failures exit with 3', () => {
  it('an unreachable Redis server', async () => {
    const r = await world.cli(['session', 'list', '--storage', 'redis://127.0.0.1:1/0']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/storage is unavailable/);
  });

  it('a file storage root that cannot be created', async () => {
    const blocker = join(mkdtempSync(join(tmpdir(), 'cc-blocked-')), 'a-file');
    writeFileSync(blocker, 'not a directory');
    const r = await world.cli(['run', 'hi', '--session', 'x', '--storage', `file://${blocker}/sessions`]);
    expect(r.code).toBe(3);
  });
});

describe('--help', () => {
  const commands = [
    'run',
    'stream',
    'interactive',
    'session',
    'session list',
    'session show',
    'session remove',
    'session restore',
    'session fork',
    'session export',
    'session import',
  ];

  it.each(commands)('channelcoder %s --help prints usage with examples', async (command) => {
    const args = command.split(' ');
    const r = await world.cli([...args, '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: channelcoder /);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain(`channelcoder ${command}`);
  });

  it('channelcoder --help lists the commands and exit codes', async () => {
    const r = await world.cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('session list|show|remove|restore|fork|export|import');
    expect(r.stdout).toContain('Exit codes: 0 success, 1 Claude/run failure, 2 usage error, 3 storage error');
    expect(r.stdout).toContain('4 session busy');
    expect(r.stdout).toContain('130 interrupted by\nCtrl-C');
  });
});

describe('run failures exit with 1', () => {
  it('a claude binary that is not there', async () => {
    const r = await world.cli(['run', 'hi'], { env: { CLAUDE_BIN: '/nonexistent/claude' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Claude Code CLI was not found');
  });

  it('an API error', async () => {
    world.mock.failNext(1, { status: 529 });
    const r = await world.cli(['run', 'hi']);
    expect(r.code).toBe(1);
  });
});
