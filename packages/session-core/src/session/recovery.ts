/**
 * Paid turns are never lost (DESIGN 11): the CLI's local transcript is the record of what Claude saw. A
 * session whose stored state lacks turns the transcript has (the process died after Claude answered, or a
 * save failed and the process exited) adopts them; a pending turn the transcript does not show completed
 * is recorded as failed and `interrupted`.
 */
import { readFile } from 'node:fs/promises';
import { recordTurn, type TurnOutcome } from '../chain.js';
import { TranscriptError } from '../errors.js';
import { findTranscript, typedPrompt } from '../runner/transcript.js';
import type { RunOptions } from '../runner/types.js';
import type { SessionState } from '../state.js';

/** One prompt found in a transcript and what answered it. */
export interface TranscriptTurn {
  /** The transcript entry's own id (`uuid`), so every process that adopts it derives the same message ids. */
  uuid: string;
  prompt: string;
  at: Date;
  text: string;
  inputTokens: number;
  outputTokens: number;
  /** An answer arrived and it was not the CLI's report of a failed API call. */
  completed: boolean;
  /** When the answer ended (its last assistant entry), else when the prompt was sent. */
  endedAt: Date;
}

/** The typed prompts of a transcript (and their answers) sent after `after`, in order. Pure. */
export function transcriptTurnsAfter(lines: readonly string[], after: Date): TranscriptTurn[] {
  const turns: TranscriptTurn[] = [];
  let current: TranscriptTurn | undefined;
  for (const line of lines) {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a torn last line (the CLI was killed mid-write) or one we do not understand
    }
    const at = typeof entry.timestamp === 'string' ? new Date(entry.timestamp) : undefined;
    const message = entry.message as { content?: unknown; usage?: Record<string, unknown> } | undefined;
    if (entry.type === 'user') {
      const prompt = typedPrompt(entry, message?.content);
      if (prompt === undefined) continue;
      if (at === undefined || Number.isNaN(at.getTime()) || at.getTime() <= after.getTime()) {
        current = undefined;
        continue;
      }
      current = {
        uuid: typeof entry.uuid === 'string' ? entry.uuid : `${at.getTime()}`,
        prompt,
        at,
        text: '',
        inputTokens: 0,
        outputTokens: 0,
        completed: false,
        endedAt: at,
      };
      turns.push(current);
    } else if (entry.type === 'assistant' && current !== undefined && Array.isArray(message?.content)) {
      if (entry.isApiErrorMessage === true) {
        current.completed = false;
        continue;
      }
      for (const block of message.content as Array<{ type?: unknown; text?: unknown }>) {
        if (block?.type === 'text' && typeof block.text === 'string') current.text += block.text;
      }
      const usage = message.usage ?? {};
      if (typeof usage.input_tokens === 'number') current.inputTokens += usage.input_tokens;
      if (typeof usage.output_tokens === 'number') current.outputTokens += usage.output_tokens;
      if (current.text !== '') current.completed = true;
      if (at !== undefined && !Number.isNaN(at.getTime())) current.endedAt = at;
    }
  }
  return turns;
}

/**
 * The state with the turns the local transcript has and the state lacks adopted (messages marked
 * `recovered`, tokens from the transcript, cost unknown), and a pending turn that did not complete
 * recorded as failed and `interrupted`. Returns the state unchanged (same object) when there is nothing
 * to recover. Message ids derive from the transcript's entry ids, so two processes recovering the same
 * turn record the same messages.
 *
 * @throws TranscriptError when the local transcript exists but cannot be read.
 */
export async function recoverTurns(
  state: SessionState,
  location: Pick<RunOptions, 'env' | 'cwd'>,
): Promise<SessionState> {
  const pending = state.pendingTurn;
  const claudeId = pending?.claudeSessionId ?? state.currentSessionId;
  const last = state.messages.at(-1)?.timestamp;
  if (pending === undefined && (claudeId === undefined || last === undefined)) return state;
  const after = pending?.startedAt ?? (last as Date);
  let turns: TranscriptTurn[] = [];
  const path = claudeId === undefined ? undefined : findTranscript(claudeId, location.env);
  if (path !== undefined && claudeId !== undefined) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new TranscriptError('read', claudeId, `Could not read ${path} to recover turns`, { cause: err });
    }
    turns = transcriptTurnsAfter(text.split('\n'), after);
  }
  if (turns.length === 0 && pending === undefined) return state;

  let next = state;
  let pendingRecorded = false;
  for (const turn of turns) {
    const isPending = pending !== undefined && !pendingRecorded && turn.prompt === pending.prompt;
    const outcome: TurnOutcome = {
      inputTokens: turn.inputTokens,
      outputTokens: turn.outputTokens,
      costUnknown: true,
    };
    if (claudeId !== undefined) outcome.sessionId = claudeId;
    if (turn.completed) outcome.text = turn.text;
    else {
      outcome.isError = true;
      outcome.interrupted = true;
      outcome.error =
        'The turn was interrupted before Claude finished answering (recovered from the transcript).';
    }
    const keepPending =
      pending !== undefined && !isPending && !pendingRecorded ? next.pendingTurn : undefined;
    next = recordTurn(next, {
      prompt: turn.prompt,
      result: outcome,
      at: turn.endedAt,
      promptId: isPending ? pending.promptId : `recovered-${turn.uuid}`,
      recovered: true,
    });
    if (keepPending !== undefined) next.pendingTurn = keepPending;
    if (isPending) pendingRecorded = true;
  }
  if (pending !== undefined && !pendingRecorded) {
    // The CLI never recorded the prompt (killed before it started, or the transcript is elsewhere).
    next = recordTurn(next, {
      prompt: pending.prompt,
      result: {
        ...(pending.claudeSessionId !== undefined && turns.length > 0
          ? { sessionId: pending.claudeSessionId }
          : {}),
        isError: true,
        interrupted: true,
        error: 'The turn was interrupted: the process running it stopped before the turn was recorded.',
      },
      promptId: pending.promptId,
    });
  }
  return next;
}
