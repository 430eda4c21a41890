/** Maps runner options to `claude` CLI arguments. Pure: no process is started here. */
import { InvalidArgumentError } from '../errors.js';
import { ownCopy, ownValue } from '../safety/own-properties.js';
import type { RunOptions } from './types.js';

/** The arguments every print-mode run starts with (`stream-json` requires `--verbose` with `-p`). */
export const PRINT_ARGS = ['-p', '--output-format', 'stream-json', '--verbose'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The CLI arguments for the options, without the prompt. `print` mode adds the stream-json print flags;
 * `interactive` leaves them out (the terminal UI).
 *
 * @throws InvalidArgumentError for combinations the CLI rejects: `forkSession` without `resume`,
 *   `sessionId` with `resume` but without `forkSession`, a `sessionId` that is not a UUID, a `maxTurns`
 *   that is not a positive integer.
 */
export function buildClaudeArgs(given: RunOptions, mode: 'print' | 'interactive'): string[] {
  // Own properties only: nothing inherited from a polluted Object.prototype becomes a flag.
  const options = ownCopy(given);
  const args: string[] = mode === 'print' ? [...PRINT_ARGS] : [];
  if (mode === 'print' && options.includePartialMessages) args.push('--include-partial-messages');
  // Print mode always runs with --verbose (stream-json needs it); the terminal UI gets it when asked.
  if (mode === 'interactive' && options.verbose === true) args.push('--verbose');
  if (options.forkSession && options.resume === undefined) {
    throw new InvalidArgumentError('forkSession needs resume: pass the Claude session id to fork from.');
  }
  if (options.resume !== undefined) {
    if (options.resume === '')
      throw new InvalidArgumentError('resume must be a non-empty Claude session id.');
    args.push('--resume', options.resume);
  }
  if (options.forkSession) args.push('--fork-session');
  if (options.sessionId !== undefined) {
    if (!UUID.test(options.sessionId)) {
      throw new InvalidArgumentError(
        `sessionId must be a UUID (the CLI rejects anything else), got ${JSON.stringify(options.sessionId)}.`,
      );
    }
    if (options.resume !== undefined && !options.forkSession) {
      throw new InvalidArgumentError(
        'sessionId with resume needs forkSession: the CLI only names a new conversation or a fork.',
      );
    }
    args.push('--session-id', options.sessionId);
  }
  if (options.model !== undefined) args.push('--model', options.model);
  if (options.systemPrompt !== undefined) args.push('--system-prompt', options.systemPrompt);
  if (options.appendSystemPrompt !== undefined)
    args.push('--append-system-prompt', options.appendSystemPrompt);
  if (options.maxTurns !== undefined) {
    if (!Number.isInteger(options.maxTurns) || options.maxTurns < 1) {
      throw new InvalidArgumentError(`maxTurns must be a positive integer, got ${String(options.maxTurns)}.`);
    }
    args.push('--max-turns', String(options.maxTurns));
  }
  if (options.permissionMode !== undefined) args.push('--permission-mode', options.permissionMode);
  // Both tool flags take several values; the next flag ends the list (the prompt never follows them
  // directly: print mode sends it on stdin, interactive mode puts it after `--`).
  if (options.allowedTools !== undefined && options.allowedTools.length > 0) {
    args.push('--allowedTools', ...options.allowedTools);
  }
  if (options.disallowedTools !== undefined && options.disallowedTools.length > 0) {
    args.push('--disallowedTools', ...options.disallowedTools);
  }
  if (options.extraArgs !== undefined) args.push(...options.extraArgs);
  return args;
}

/**
 * Variables the `claude` child never inherits from this process: the storage URL (with its password) is
 * the project's, not the model's, and every tool the model runs would see it. A caller who really wants
 * one in the child sets it explicitly in `options.env`.
 */
export const WITHHELD_FROM_CHILD: readonly string[] = ['CHANNELCODER_STORAGE'];

/**
 * The executable to start: `options.claudeBin`, else `CLAUDE_BIN` from `options.env`, else from this
 * process's environment, else `claude` (looked up on PATH). Own properties only, everywhere.
 */
export function resolveClaudeBinary(options: Pick<RunOptions, 'claudeBin' | 'env'>): string {
  const fromOptions = ownValue(options, 'claudeBin');
  if (typeof fromOptions === 'string' && fromOptions !== '') return fromOptions;
  const env = ownValue(options, 'env');
  if (env !== undefined && env !== null && Object.hasOwn(env, 'CLAUDE_BIN')) {
    const fromEnv = env.CLAUDE_BIN;
    if (typeof fromEnv === 'string' && fromEnv !== '') return fromEnv;
  } else if (Object.hasOwn(process.env, 'CLAUDE_BIN')) {
    const inherited = process.env.CLAUDE_BIN;
    if (inherited !== undefined && inherited !== '') return inherited;
  }
  return 'claude';
}

/**
 * This process's environment with `env` applied (`undefined` values remove a variable), minus
 * {@link WITHHELD_FROM_CHILD} unless `env` sets them. The result has a null prototype, so the child gets
 * exactly these variables (`child_process` walks `env` with `for…in`, inherited keys included).
 */
export function childEnv(env: RunOptions['env']): NodeJS.ProcessEnv {
  const merged = Object.create(null) as NodeJS.ProcessEnv;
  for (const key of Object.keys(process.env)) {
    if (!WITHHELD_FROM_CHILD.includes(key)) merged[key] = process.env[key];
  }
  if (env !== undefined && env !== null) {
    for (const key of Object.keys(env)) {
      const value = env[key];
      if (value === undefined) delete merged[key];
      else if (typeof value === 'string') merged[key] = value;
    }
  }
  return merged;
}

/** Spawn options on a null prototype, so `child_process` reads nothing the caller did not set. */
export function spawnOptions<T extends object>(options: T): T {
  return ownCopy(options);
}
