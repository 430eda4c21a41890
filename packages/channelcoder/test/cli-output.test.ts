import {
  ClaudeNotFoundError,
  ClaudeRunError,
  InvalidSessionNameError,
  LeaseLostError,
  ResumeNotFoundError,
  SessionBusyError,
  SessionConflictError,
  SessionCorruptError,
  SessionNotFoundError,
  SessionSaveError,
  StorageUnavailableError,
} from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { dataOption } from '../src/cli/args.js';
import { NoTrashError } from '../src/cli/commands/session-trash.js';
import { EXIT, exitCodeOf } from '../src/cli/exit-codes.js';
import { formatCost, formatDuration, relativeTime, table } from '../src/cli/output/format.js';
import { startSpinner } from '../src/cli/output/spinner.js';
import { styleFor } from '../src/cli/output/style.js';
import { UsageError } from '../src/cli/usage-error.js';
import { StorageAdapterNotInstalledError, StorageUrlError } from '../src/index.js';
import { MissingTemplateVariablesError } from '../src/templates/errors.js';

describe('relativeTime', () => {
  const now = new Date('2026-06-15T12:00:00Z');
  const ago = (seconds: number) => relativeTime(new Date(now.getTime() - seconds * 1000), now);
  it.each([
    [10, 'just now'],
    [50, '1 minute ago'],
    [5 * 60, '5 minutes ago'],
    [3600, '1 hour ago'],
    [3 * 86_400, '3 days ago'],
    [14 * 86_400, '2 weeks ago'],
    [60 * 86_400, '2 months ago'],
    [400 * 86_400, '2025-05-11'],
    [-7200, 'in 2 hours'],
  ])('%i seconds → %s', (seconds, text) => {
    expect(ago(seconds)).toBe(text);
  });
});

describe('formatting', () => {
  it('costs, durations and tables', () => {
    expect(formatCost(undefined)).toBe('-');
    expect(formatCost(0.00213)).toBe('$0.0021');
    expect(formatCost(12.5)).toBe('$12.50');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(4200)).toBe('4.2 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(
      table(
        ['NAME', 'N'],
        [
          ['a', '1'],
          ['long-name', '22'],
        ],
        ['left', 'right'],
      ),
    ).toBe('NAME        N\na           1\nlong-name  22');
  });

  it('colours only on a terminal, never with NO_COLOR', () => {
    expect(styleFor({ write: () => true, isTTY: true }, {}).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(styleFor({ write: () => true, isTTY: false }, {}).red('x')).toBe('x');
    expect(styleFor({ write: () => true, isTTY: true }, { NO_COLOR: '1' }).red('x')).toBe('x');
  });

  it('the spinner writes nothing when its stream is not a terminal', () => {
    const written: string[] = [];
    const spinner = startSpinner({ write: (t: string) => written.push(t), isTTY: false }, 'working');
    spinner.stop();
    expect(written).toEqual([]);
    const tty: string[] = [];
    const live = startSpinner({ write: (t: string) => tty.push(t), isTTY: true }, 'working');
    live.stop();
    expect(tty[0]).toMatch(/working 0s$/);
    expect(tty.at(-1)).toBe('\r\u001b[2K');
  });
});

describe('exit codes', () => {
  it.each([
    [new UsageError('x'), EXIT.usage],
    [new StorageUrlError('ftp://x', 'no'), EXIT.usage],
    [new StorageAdapterNotInstalledError('redis', ['ioredis'], undefined), EXIT.usage],
    [new MissingTemplateVariablesError('a.md', ['x']), EXIT.usage],
    [new InvalidSessionNameError('../x', 'bad'), EXIT.usage],
    [new SessionNotFoundError('x'), EXIT.usage],
    [new ClaudeNotFoundError('claude'), EXIT.run],
    [new ClaudeRunError('failed', { exitCode: 1, stderr: '' }), EXIT.run],
    [new ResumeNotFoundError('id', { exitCode: 1, stderr: '' }), EXIT.run],
    [new StorageUnavailableError('Redis', 'list', new Error('down')), EXIT.storage],
    [new SessionCorruptError('x', 'messages', 'bad'), EXIT.storage],
    [new SessionConflictError('x', 1, 2), EXIT.storage],
    [new SessionSaveError('x', { text: 'paid' }, new Error('down')), EXIT.storage],
    [new LeaseLostError('x', 3), EXIT.storage],
    [new NoTrashError('memory', 'list a trash'), EXIT.storage],
    [new SessionBusyError('x', 'host:1:ab', new Date(0)), EXIT.busy],
    [
      new ClaudeRunError('stopped', {
        exitCode: null,
        stderr: '',
        interrupted: true,
        interruptedBy: 'SIGINT',
      }),
      130,
    ],
    [
      new ClaudeRunError('stopped', {
        exitCode: null,
        stderr: '',
        interrupted: true,
        interruptedBy: 'SIGTERM',
      }),
      143,
    ],
    [new Error('unexpected'), EXIT.run],
  ])('%s → %i', (error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });
});

describe('--data', () => {
  it('builds nested data; JSON for arrays and objects, text otherwise', () => {
    expect(
      dataOption(
        { data: ['user.name=Ann', 'user.age=41', 'files=["a.ts","b.ts"]', 'note=a=b', 'empty='] },
        'run',
      ),
    ).toEqual({ user: { name: 'Ann', age: '41' }, files: ['a.ts', 'b.ts'], note: 'a=b', empty: '' });
  });

  it('refuses to set the session context', () => {
    expect(() => dataOption({ data: ['session.id=x'] }, 'run')).toThrow(/cannot set "session"/);
  });
});
