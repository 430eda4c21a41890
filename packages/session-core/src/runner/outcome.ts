/** Decides how a finished run ended: its result, or the typed error that says what went wrong. */
import { ClaudeNotFoundError, ClaudeRunError, ResumeNotFoundError } from '../errors.js';
import type { InvalidLineEvent } from './stream-json.js';
import type { ClaudeResult } from './types.js';

/** What the process left behind. */
export interface RunEnd {
  binary: string;
  exitCode: number | null;
  signal: string | null;
  stderr: string;
  result?: ClaudeResult;
  /** Lines of stdout that were not stream-json (reported only when there is no result line). */
  invalidLines: InvalidLineEvent[];
  /** The id passed as `--resume`, to recognise "No conversation found". */
  resume?: string;
  /** Set when we stopped the process ourselves. */
  stoppedBecause?: 'timeout' | 'abort' | 'signal';
  /** The signal this process received that stopped the run (`stoppedBecause: 'signal'`). */
  stopSignal?: NodeJS.Signals;
  timeoutMs?: number;
  abortReason?: unknown;
  /** The spawn error (ENOENT, EACCES, …) when the process never started. */
  spawnError?: NodeJS.ErrnoException;
}

const NOT_FOUND_CODES = new Set(['ENOENT', 'EACCES', 'ENOTDIR', 'EISDIR']);
const NO_CONVERSATION = /No conversation found|--resume requires a valid session ID/;

/**
 * The run's result when it succeeded (`is_error` false and exit code 0), else throws:
 * ClaudeNotFoundError (binary missing), ResumeNotFoundError ("No conversation found" on `--resume`),
 * ClaudeRunError (everything else: `is_error`, non-zero exit, timeout, abort, no result line).
 */
export function settleRun(end: RunEnd): ClaudeResult {
  if (end.spawnError) {
    if (NOT_FOUND_CODES.has(end.spawnError.code ?? ''))
      throw new ClaudeNotFoundError(end.binary, { cause: end.spawnError });
    throw new ClaudeRunError(`Could not start ${end.binary}: ${end.spawnError.message}.`, {
      exitCode: null,
      stderr: '',
      cause: end.spawnError,
    });
  }
  const details = runDetails(end);
  if (end.stoppedBecause === 'timeout') {
    throw new ClaudeRunError(
      `Claude Code did not finish within ${end.timeoutMs} ms and was stopped. Raise the timeout option if the ` +
        'task needs longer.',
      details,
    );
  }
  if (end.stoppedBecause === 'abort') {
    throw new ClaudeRunError('The Claude Code run was aborted by its AbortSignal and was stopped.', {
      ...details,
      interrupted: true,
      cause: end.abortReason,
    });
  }
  if (end.stoppedBecause === 'signal') {
    throw new ClaudeRunError(
      `The Claude Code run was interrupted (${end.stopSignal ?? 'signal'} to this process) and was stopped.`,
      { ...details, interrupted: true, ...(end.stopSignal ? { interruptedBy: end.stopSignal } : {}) },
    );
  }
  const result = end.result;
  if (result && !result.isError && end.exitCode === 0) return result;

  if (end.resume !== undefined && NO_CONVERSATION.test(`${failureText(end)}\n${end.stderr}`)) {
    throw new ResumeNotFoundError(end.resume, details);
  }
  if (result) {
    const status = result.raw.api_error_status;
    const hint =
      status === 401 || status === 403
        ? 'Check the API key (ANTHROPIC_API_KEY) or log in again with `claude`.'
        : 'The result line and stderr are on the error (resultLine, stderr).';
    throw new ClaudeRunError(
      `Claude Code reported a failed turn (exit code ${String(end.exitCode)}${
        typeof status === 'number' ? `, API status ${status}` : ''
      }): ${failureText(end).replace(/\.+$/, '') || 'no message'}. ${hint}`,
      details,
    );
  }
  const invalid = end.invalidLines.slice(0, 3).map((l) => JSON.stringify(l.line.slice(0, 200)));
  throw new ClaudeRunError(
    `Claude Code ${end.exitCode === 0 ? 'exited' : `exited with code ${String(end.exitCode)}${end.signal ? ` (${end.signal})` : ''}`} ` +
      `without a result line${lastLine(end.stderr) ? `: ${lastLine(end.stderr)}` : ''}${
        invalid.length > 0 ? `; unexpected output: ${invalid.join(', ')}` : ''
      }. Check that ${end.binary} is the Claude Code CLI and that it runs on its own (\`claude -p hello\`).`,
    details,
  );
}

function runDetails(end: RunEnd): ConstructorParameters<typeof ClaudeRunError>[1] {
  const details: ConstructorParameters<typeof ClaudeRunError>[1] = {
    exitCode: end.exitCode,
    signal: end.signal,
    stderr: end.stderr,
  };
  if (end.result) {
    details.resultLine = end.result.raw;
    if (end.result.sessionId !== '') details.sessionId = end.result.sessionId;
  }
  return details;
}

/** The failure message the CLI gave: the result text, else its `errors` list. */
function failureText(end: RunEnd): string {
  const result = end.result;
  if (!result) return '';
  const errors = Array.isArray(result.raw.errors)
    ? result.raw.errors.filter((e) => typeof e === 'string')
    : [];
  return [result.text, ...errors].filter((t) => t !== '').join('; ');
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines.at(-1) ?? '').slice(0, 300);
}
