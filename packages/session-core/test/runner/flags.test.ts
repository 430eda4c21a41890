import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { buildClaudeArgs, childEnv, resolveClaudeBinary } from '../../src/runner/flags.js';

const UUID = '3b28a804-0990-4954-ac0f-2375b103f84b';

describe('buildClaudeArgs', () => {
  it('always runs print mode with stream-json and --verbose', () => {
    expect(buildClaudeArgs({}, 'print')).toEqual(['-p', '--output-format', 'stream-json', '--verbose']);
    expect(buildClaudeArgs({}, 'interactive')).toEqual([]);
  });

  it('maps every option to its flag', () => {
    const args = buildClaudeArgs(
      {
        resume: UUID,
        forkSession: true,
        sessionId: UUID,
        model: 'sonnet',
        systemPrompt: 'be brief',
        appendSystemPrompt: 'and kind',
        maxTurns: 3,
        permissionMode: 'plan',
        allowedTools: ['Read', 'Bash(git log:*)'],
        disallowedTools: ['Write'],
        includePartialMessages: true,
        extraArgs: ['--add-dir', '/tmp'],
      },
      'print',
    );
    expect(args).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--include-partial-messages',
      '--resume',
      UUID,
      '--fork-session',
      '--session-id',
      UUID,
      '--model',
      'sonnet',
      '--system-prompt',
      'be brief',
      '--append-system-prompt',
      'and kind',
      '--max-turns',
      '3',
      '--permission-mode',
      'plan',
      '--allowedTools',
      'Read',
      'Bash(git log:*)',
      '--disallowedTools',
      'Write',
      '--add-dir',
      '/tmp',
    ]);
  });

  it('rejects combinations the CLI refuses', () => {
    expect(() => buildClaudeArgs({ forkSession: true }, 'print')).toThrow(InvalidArgumentError);
    expect(() => buildClaudeArgs({ sessionId: 'not-a-uuid' }, 'print')).toThrow(/must be a UUID/);
    expect(() => buildClaudeArgs({ resume: UUID, sessionId: UUID }, 'print')).toThrow(/needs forkSession/);
    expect(() => buildClaudeArgs({ maxTurns: 0 }, 'print')).toThrow(/positive integer/);
    expect(() => buildClaudeArgs({ maxTurns: 1.5 }, 'print')).toThrow(/positive integer/);
  });
});

describe('resolveClaudeBinary', () => {
  it('prefers claudeBin, then CLAUDE_BIN from env, then this process, then claude on PATH', () => {
    const saved = process.env.CLAUDE_BIN;
    try {
      process.env.CLAUDE_BIN = '/from/process';
      expect(resolveClaudeBinary({ claudeBin: '/explicit', env: { CLAUDE_BIN: '/from/env' } })).toBe(
        '/explicit',
      );
      expect(resolveClaudeBinary({ env: { CLAUDE_BIN: '/from/env' } })).toBe('/from/env');
      expect(resolveClaudeBinary({})).toBe('/from/process');
      expect(resolveClaudeBinary({ env: { CLAUDE_BIN: undefined } })).toBe('claude');
      delete process.env.CLAUDE_BIN;
      expect(resolveClaudeBinary({})).toBe('claude');
    } finally {
      if (saved === undefined) delete process.env.CLAUDE_BIN;
      else process.env.CLAUDE_BIN = saved;
    }
  });
});

describe('childEnv', () => {
  it('adds variables and removes those set to undefined', () => {
    process.env.CC_TEST_REMOVE_ME = 'x';
    try {
      const env = childEnv({ CC_TEST_ADDED: 'y', CC_TEST_REMOVE_ME: undefined });
      expect(env.CC_TEST_ADDED).toBe('y');
      expect('CC_TEST_REMOVE_ME' in env).toBe(false);
      expect(env.PATH).toBe(process.env.PATH);
    } finally {
      delete process.env.CC_TEST_REMOVE_ME;
    }
  });
});
