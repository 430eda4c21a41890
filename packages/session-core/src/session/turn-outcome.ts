/** Turns what a run ended with into the chain's TurnOutcome. Pure. */
import type { TurnOutcome } from '../chain.js';
import { ClaudeRunError, InvalidArgumentError, ResumeNotFoundError } from '../errors.js';
import { toClaudeResult } from '../runner/stream-json.js';
import type { ClaudeResult } from '../runner/types.js';

/** The outcome of a successful run. */
export function successOutcome(result: ClaudeResult): TurnOutcome {
  const outcome: TurnOutcome = {
    text: result.text,
    inputTokens: result.usage.inputTokens,
    outputTokens: result.usage.outputTokens,
    cacheReadTokens: result.usage.cacheReadTokens,
    cacheCreationTokens: result.usage.cacheCreationTokens,
  };
  if (result.sessionId !== '') outcome.sessionId = result.sessionId;
  if (result.totalCostUsd !== undefined) outcome.totalCostUsd = result.totalCostUsd;
  if (result.durationMs !== undefined) outcome.durationMs = result.durationMs;
  return outcome;
}

/**
 * The outcome of a failed run, or `undefined` when the turn never reached Claude and must not be recorded
 * (invalid arguments). A run interrupted after its successful result line arrived is an answered turn. The CLI's cost and tokens are kept when it printed a result line. A resume the CLI
 * did not know records no session id: the id it reports then names nothing that can be resumed.
 */
export function failureOutcome(error: unknown): TurnOutcome | undefined {
  if (InvalidArgumentError.is(error)) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (!ClaudeRunError.is(error)) return { isError: true, error: message };
  const runError = error as ClaudeRunError;
  const line = runError.resultLine;
  const answered = line === undefined ? undefined : toClaudeResult(line);
  // Stopped (a signal to this process, an abort) after the CLI had printed a successful result line: the
  // answer was complete and paid for, so the turn is recorded as answered, not as interrupted.
  if (runError.interrupted && answered !== undefined && !answered.isError) return successOutcome(answered);
  const outcome: TurnOutcome = answered ? successOutcome(answered) : {};
  outcome.isError = true;
  outcome.error = message;
  if (runError.interrupted) outcome.interrupted = true;
  if (ResumeNotFoundError.is(error)) delete outcome.sessionId;
  else if (outcome.sessionId === undefined && runError.sessionId !== undefined)
    outcome.sessionId = runError.sessionId;
  return outcome;
}
