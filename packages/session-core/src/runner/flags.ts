/** Maps runner options to `claude` CLI arguments. Pure: no process is started here. */
import { InvalidArgumentError } from '../errors.js';
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
export function buildClaudeArgs(options: RunOptions, mode: 'print' | 'interactive'): string[] {
  const args: string[] = mode === 'print' ? [...PRINT_ARGS] : [];
  if (mode === 'print' && options.includePartialMessages) args.push('--include-partial-messages');
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
 * The executable to start: `options.claudeBin`, else `CLAUDE_BIN` from `options.env`, else from this
 * process's environment, else `claude` (looked up on PATH).
 */
export function resolveClaudeBinary(options: Pick<RunOptions, 'claudeBin' | 'env'>): string {
  const fromOptions = options.claudeBin;
  if (fromOptions !== undefined && fromOptions !== '') return fromOptions;
  if (options.env && 'CLAUDE_BIN' in options.env) {
    const fromEnv = options.env.CLAUDE_BIN;
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  } else {
    const inherited = process.env.CLAUDE_BIN;
    if (inherited !== undefined && inherited !== '') return inherited;
  }
  return 'claude';
}

/** This process's environment with `env` applied (`undefined` values remove a variable). */
export function childEnv(env: RunOptions['env']): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  if (env) {
    for (const [key, value] of Object.entries(env)) {
      if (value === undefined) delete merged[key];
      else merged[key] = value;
    }
  }
  return merged;
}
