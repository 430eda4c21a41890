/** `interactive`: the Claude Code terminal UI, attached to this process's terminal. */
import { spawn } from 'node:child_process';
import { ClaudeNotFoundError, ClaudeRunError } from '../errors.js';
import { ownCopy } from '../safety/own-properties.js';
import { spawnOptions } from './flags.js';
import { prepareLaunch } from './launch.js';
import { checkOptions } from './options-check.js';
import {
  countTranscriptLines,
  findTranscript,
  readTranscriptOutcome,
  type TranscriptExchange,
} from './transcript.js';
import type { RunOptions } from './types.js';

export interface InteractiveResult {
  exitCode: number | null;
  signal: string | null;
  /**
   * The Claude session id the conversation ran under when it is known without reading the terminal:
   * `sessionId` (new conversation or fork), else `resume` (the CLI keeps the id on resume).
   */
  sessionId?: string;
  /**
   * Every prompt typed in this terminal session (the first is `prompt`) with the assistant's answer, read
   * from the CLI's transcript; empty when the transcript cannot be found.
   */
  exchanges: TranscriptExchange[];
  /** The assistant's last answer (`''` when the transcript cannot be found). */
  text: string;
  /** The conversation's cumulative cost from the transcript, when recorded there. */
  totalCostUsd?: number;
}

/** Where this run's part of the transcript starts: a resumed conversation appends to its file. */
async function transcriptStart(options: RunOptions): Promise<number> {
  if (options.resume === undefined || options.forkSession) return 0;
  const path = findTranscript(options.resume, options.env);
  return path === undefined ? 0 : countTranscriptLines(path);
}

/** Adds what the CLI's transcript says about the run (it is the only record of it). */
async function withTranscript(
  result: InteractiveResult,
  options: RunOptions,
  fromLine: number,
  prompt: string,
): Promise<InteractiveResult> {
  if (result.sessionId === undefined) return result;
  const path = findTranscript(result.sessionId, options.env);
  if (path === undefined) return result;
  const outcome = await readTranscriptOutcome(path, { fromLine, firstPrompt: prompt });
  result.exchanges = outcome.exchanges;
  result.text = outcome.exchanges.at(-1)?.text ?? '';
  if (outcome.totalCostUsd !== undefined) result.totalCostUsd = outcome.totalCostUsd;
  return result;
}

/**
 * Starts `claude [flags] -- <prompt>` with the terminal inherited and resolves when the user leaves it.
 * The process is not put in its own group: it must stay in the terminal's foreground group to read
 * keystrokes. Aborting `signal` sends it SIGTERM. The answer and cost are read from the CLI's transcript
 * afterwards, since the terminal got the output.
 *
 * @throws ClaudeNotFoundError; ClaudeRunError when it exits with a non-zero code or is stopped.
 */
export async function interactive(prompt: string, given: RunOptions = {}): Promise<InteractiveResult> {
  checkOptions(given, 'run', 'interactive()');
  const options = ownCopy(given);
  const fromLine = await transcriptStart(options);
  const launch = await prepareLaunch(options, 'interactive');
  return new Promise<InteractiveResult>((resolve, reject) => {
    const { binary, args } = launch;
    if (prompt !== '') args.push('--', prompt);
    const child = spawn(
      binary,
      args,
      spawnOptions({ cwd: launch.cwd, env: launch.env, stdio: 'inherit' as const }),
    );
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      child.kill('SIGTERM');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      options.timeout !== undefined && options.timeout > 0 ? setTimeout(onAbort, options.timeout) : undefined;
    const cleanup = () => {
      options.signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return;
      cleanup();
      reject(
        err.code === 'ENOENT' || err.code === 'EACCES'
          ? new ClaudeNotFoundError(binary, { cause: err })
          : new ClaudeRunError(`Could not start ${binary}: ${err.message}.`, {
              exitCode: null,
              stderr: '',
              cause: err,
            }),
      );
    });
    child.on('close', (exitCode, signal) => {
      cleanup();
      const result: InteractiveResult = { exitCode, signal, exchanges: [], text: '' };
      const sessionId = options.sessionId ?? (options.forkSession ? undefined : options.resume);
      if (sessionId !== undefined) result.sessionId = sessionId;
      if (exitCode === 0 && !aborted) {
        resolve(withTranscript(result, options, fromLine, prompt));
        return;
      }
      const details = { exitCode, signal, stderr: '' } as {
        exitCode: number | null;
        signal: string | null;
        stderr: string;
        sessionId?: string;
      };
      if (sessionId !== undefined) details.sessionId = sessionId;
      reject(
        new ClaudeRunError(
          aborted
            ? 'The interactive Claude Code session was stopped (abort signal or timeout).'
            : `The interactive Claude Code session ended with ${exitCode === null ? `signal ${signal}` : `exit code ${exitCode}`}. ` +
                'Its own messages were shown in the terminal.',
          details,
        ),
      );
    });
  });
}
