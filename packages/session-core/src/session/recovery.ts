/**
 * Paid turns are never lost (DESIGN 11): the CLI's local transcript is the record of what Claude saw. A
 * session whose stored state lacks turns the transcript has (the process died after Claude answered, or a
 * save failed and the process exited) adopts them; a pending turn the transcript does not show completed
 * is recorded as failed and `interrupted`.
 */
import { type FileHandle, open } from 'node:fs/promises';
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
  const scan = new TurnScan(after);
  for (const line of lines) scan.line(line);
  return scan.turns;
}

/**
 * The turn-by-turn reading of transcript lines behind {@link transcriptTurnsAfter}. `line` returns the time
 * of a typed prompt's line (NaN when it has none), else undefined: a typed prompt starts a turn afresh,
 * whatever came before it.
 */
class TurnScan {
  readonly turns: TranscriptTurn[] = [];
  private current: TranscriptTurn | undefined;

  constructor(private readonly after: Date) {}

  line(line: string): number | undefined {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return undefined; // a torn last line (the CLI was killed mid-write) or one we do not understand
    }
    if (entry === null || typeof entry !== 'object') return undefined;
    const at = typeof entry.timestamp === 'string' ? new Date(entry.timestamp) : undefined;
    const message = entry.message as { content?: unknown; usage?: Record<string, unknown> } | undefined;
    const current = this.current;
    if (entry.type === 'user') {
      const prompt = typedPrompt(entry, message?.content);
      if (prompt === undefined) return undefined;
      if (at === undefined || Number.isNaN(at.getTime()) || at.getTime() <= this.after.getTime()) {
        this.current = undefined;
        return at === undefined ? Number.NaN : at.getTime();
      }
      this.current = {
        uuid: typeof entry.uuid === 'string' ? entry.uuid : `${at.getTime()}`,
        prompt,
        at,
        text: '',
        inputTokens: 0,
        outputTokens: 0,
        completed: false,
        endedAt: at,
      };
      this.turns.push(this.current);
      return at.getTime();
    }
    if (entry.type === 'assistant' && current !== undefined && Array.isArray(message?.content)) {
      if (entry.isApiErrorMessage === true) {
        current.completed = false;
        return undefined;
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
    return undefined;
  }
}

/**
 * Where an earlier read of a local transcript can be taken up again: the last typed prompt's line (its turn
 * may still grow, so it is read again) and the latest time of the typed prompts before it. The CLI only
 * appends to a transcript, so when that line is still in place and every prompt before it is no later than
 * the time turns are recovered after, reading from it finds exactly the turns a read of the whole file finds.
 */
export interface TranscriptMark {
  path: string;
  dev: number;
  ino: number;
  /** Byte offset of the line. */
  offset: number;
  /** The line's bytes, with its newline. */
  line: Buffer;
  /** The latest time (ms) of a typed prompt before the line; -Infinity when there is none. */
  latestBefore: number;
}

/** Holds a session object's {@link TranscriptMark} from one turn to the next. */
export interface TranscriptMarkHolder {
  mark?: TranscriptMark;
}

/** The turns after `after` in the transcript at `path`, reading only what is new since `holder`'s mark. */
async function readTranscriptTurns(
  path: string,
  after: Date,
  holder: TranscriptMarkHolder | undefined,
): Promise<TranscriptTurn[]> {
  const handle = await open(path, 'r');
  try {
    const stats = await handle.stat();
    const mark = holder?.mark;
    let start = 0;
    let data: Buffer | undefined;
    if (
      mark !== undefined &&
      mark.path === path &&
      mark.dev === stats.dev &&
      mark.ino === stats.ino &&
      mark.latestBefore <= after.getTime() &&
      stats.size >= mark.offset + mark.line.length
    ) {
      const tail = await readFrom(handle, mark.offset, stats.size);
      if (tail.subarray(0, mark.line.length).equals(mark.line)) {
        start = mark.offset;
        data = tail;
      }
    }
    data ??= await readFrom(handle, 0, stats.size);
    const scan = new TurnScan(after);
    let latest = start === 0 || mark === undefined ? Number.NEGATIVE_INFINITY : mark.latestBefore;
    let next: TranscriptMark | undefined;
    for (let pos = 0; pos < data.length; ) {
      const end = data.indexOf(10, pos);
      const stop = end === -1 ? data.length : end;
      const at = scan.line(data.toString('utf8', pos, stop));
      if (at !== undefined && end !== -1) {
        next = {
          path,
          dev: stats.dev,
          ino: stats.ino,
          offset: start + pos,
          line: Buffer.from(data.subarray(pos, end + 1)),
          latestBefore: latest,
        };
      }
      if (at !== undefined && !Number.isNaN(at)) latest = Math.max(latest, at);
      pos = stop + 1;
    }
    if (holder !== undefined) {
      if (next !== undefined) holder.mark = next;
      else if (start === 0) delete holder.mark;
    }
    return scan.turns;
  } finally {
    await handle.close();
  }
}

/** The bytes of the open file from `start` to `end` (or as far as it goes). */
async function readFrom(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  const data = Buffer.alloc(end - start);
  let filled = 0;
  while (filled < data.length) {
    const { bytesRead } = await handle.read(data, filled, data.length - filled, start + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === data.length ? data : data.subarray(0, filled);
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
export function recoverTurns(
  state: SessionState,
  location: Pick<RunOptions, 'env' | 'cwd'>,
): Promise<SessionState> {
  return recoverTurnsSince(state, location, undefined);
}

/**
 * {@link recoverTurns} for a session object that recovers before every turn: `holder` keeps where the last
 * read of the local transcript can be taken up again, so a turn reads what the transcript gained since.
 */
export async function recoverTurnsSince(
  state: SessionState,
  location: Pick<RunOptions, 'env' | 'cwd'>,
  holder: TranscriptMarkHolder | undefined,
): Promise<SessionState> {
  const pending = state.pendingTurn;
  const claudeId = pending?.claudeSessionId ?? state.currentSessionId;
  const last = state.messages.at(-1)?.timestamp;
  if (pending === undefined && (claudeId === undefined || last === undefined)) return state;
  const after = pending?.startedAt ?? (last as Date);
  let turns: TranscriptTurn[] = [];
  const path = claudeId === undefined ? undefined : findTranscript(claudeId, location.env);
  if (path !== undefined && claudeId !== undefined) {
    try {
      turns = await readTranscriptTurns(path, after, holder);
    } catch (err) {
      throw new TranscriptError('read', claudeId, `Could not read ${path} to recover turns`, { cause: err });
    }
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
