/**
 * The Claude session-id chain and the turn ledger, as pure functions: state in, new state out, no I/O.
 *
 * The real CLI keeps the same id on `--resume` since Claude Code 1.0.124; older versions returned a new id
 * per response; `--fork-session` always returns a new id. `recordTurn` handles all three: an id is pushed
 * onto `sessionChain` only when it differs from the last one.
 */
import { InvalidArgumentError } from './errors.js';
import {
  cloneSessionState,
  emptyUsage,
  type Message,
  newMessageId,
  type SessionState,
  type TurnDetails,
} from './state.js';

/** What a turn produced, as reported by the CLI (see the runner's result). */
export interface TurnOutcome {
  /** The Claude session id the CLI reported for this turn (it reports one even for most errors). */
  sessionId?: string;
  /** The assistant's result text (JSON-stringify structured results before passing them). */
  text?: string;
  /** The turn failed (CLI error, `is_error`, non-zero exit, missing binary). */
  isError?: boolean;
  /** Why it failed, for a failed turn. */
  error?: string;
  /** The cost of this turn alone, when the caller knows it. */
  costUsd?: number;
  /**
   * The CLI's `total_cost_usd`: cumulative over the whole conversation, across resumes. Used when
   * `costUsd` is absent: the turn's cost is the difference from what the conversation had cost so far.
   */
  totalCostUsd?: number;
  durationMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheCreationTokens?: number;
  /** The turn was stopped before it completed (signal, abort, a process that died mid-turn). */
  interrupted?: boolean;
  /** The turn's cost is not known (recovered without the CLI's result line). */
  costUnknown?: boolean;
}

export interface RecordTurnInput {
  prompt: string;
  result: TurnOutcome;
  /** When the turn finished; defaults to now. */
  at?: Date;
  /**
   * Id of the user message (the pending turn's `promptId`); the answer's id then derives from it, so two
   * processes recording the same turn record the same messages. Default: new ids.
   */
  promptId?: string;
  /** The turn was adopted from the CLI's transcript (messages marked `recovered`). */
  recovered?: boolean;
}

/**
 * Appends a turn: the user message and, for a successful turn, the assistant message, both tagged with the
 * turn's Claude session id. A failed turn keeps only the prompt, marked `turn.isError` with the error text,
 * so nothing the user sent is lost. Updates the chain, `currentSessionId`, the usage ledger and `lastActive`.
 */
export function recordTurn(state: SessionState, input: RecordTurnInput): SessionState {
  if (typeof input.prompt !== 'string') throw new InvalidArgumentError('recordTurn: prompt must be a string');
  return appendTurn(cloneSessionState(state), input);
}

/**
 * {@link recordTurn} on `state` itself: the turn is appended to it in place and it is returned. For the
 * owner of a state (a session object) that keeps no other copy: a turn then costs the same whatever the
 * session's length, where recordTurn copies the whole state.
 */
export function appendTurn(state: SessionState, input: RecordTurnInput): SessionState {
  const { prompt, result } = input;
  if (typeof prompt !== 'string') throw new InvalidArgumentError('recordTurn: prompt must be a string');
  const at = input.at ?? new Date();
  const next = state;
  const sessionId = result.sessionId ?? '';
  const failed = result.isError === true;
  const costUsd = costOfTurn(state, result, ownedConversationCost);

  const details: TurnDetails = {};
  if (costUsd !== undefined) details.costUsd = costUsd;
  if (result.durationMs !== undefined) details.durationMs = result.durationMs;
  if (result.inputTokens !== undefined) details.inputTokens = result.inputTokens;
  if (result.outputTokens !== undefined) details.outputTokens = result.outputTokens;
  if (result.costUnknown === true) details.costUnknown = true;

  const user: Message = {
    id: input.promptId ?? newMessageId(),
    role: 'user',
    content: prompt,
    timestamp: new Date(at),
    sessionId,
  };
  if (failed) {
    user.turn = { ...details, isError: true, error: result.error ?? result.text ?? 'the turn failed' };
    if (result.interrupted === true) user.turn.interrupted = true;
    if (input.recovered === true) user.recovered = true;
    next.messages.push(user);
  } else {
    const assistant: Message = {
      id: input.promptId === undefined ? newMessageId() : `${input.promptId}-answer`,
      role: 'assistant',
      content: result.text ?? '',
      timestamp: new Date(at),
      sessionId,
      turn: details,
    };
    if (input.recovered === true) {
      user.recovered = true;
      assistant.recovered = true;
    }
    next.messages.push(user, assistant);
  }

  if (sessionId !== '') {
    if (next.sessionChain.at(-1) !== sessionId) next.sessionChain.push(sessionId);
    next.currentSessionId = sessionId;
  }

  const u = next.usage;
  u.turns += 1;
  if (failed) u.failedTurns += 1;
  u.totalCostUsd += costUsd ?? 0;
  u.inputTokens += result.inputTokens ?? 0;
  u.outputTokens += result.outputTokens ?? 0;
  u.cacheReadTokens += result.cacheReadTokens ?? 0;
  u.cacheCreationTokens += result.cacheCreationTokens ?? 0;
  u.durationMs += result.durationMs ?? 0;
  next.metadata.lastActive = new Date(at);
  // The recorded turn replaces the marker of the turn that was running.
  delete next.pendingTurn;
  return next;
}

/**
 * The cost of one turn. The CLI's `total_cost_usd` is cumulative over the conversation it resumed (restored
 * from the transcript, so a fork starts with its parent's total): subtract what the messages already carry.
 * A smaller total than before means the CLI started a fresh conversation, so the total is the turn's cost.
 */
export function turnCost(state: SessionState, result: TurnOutcome): number | undefined {
  return costOfTurn(state, result, conversationCost);
}

function costOfTurn(
  state: SessionState,
  result: TurnOutcome,
  costSoFar: (state: SessionState) => number,
): number | undefined {
  if (result.costUsd !== undefined) return result.costUsd;
  if (result.totalCostUsd === undefined) return undefined;
  const resumed = resumeTarget(state) !== undefined;
  const before = resumed ? costSoFar(state) : 0;
  const diff = result.totalCostUsd - before;
  return diff >= -1e-12 ? Math.max(0, diff) : result.totalCostUsd;
}

/** Sum of the per-turn costs carried by the messages (what the conversation had cost so far). */
export function conversationCost(state: SessionState): number {
  let sum = 0;
  for (const m of state.messages) sum += m.turn?.costUsd ?? 0;
  return sum;
}

/**
 * The running sum of {@link conversationCost} per messages array of a state its owner only appends to
 * (a session object's own state, through {@link appendTurn}): how many messages it covered, the last of
 * them and its cost, so only the messages appended since are added (in the same order, so the sum is the
 * same number a full scan gives). A shorter array, another last message or another cost on it rescans.
 */
const costSums = new WeakMap<Message[], { count: number; sum: number; last: Message; lastCost: unknown }>();

function ownedConversationCost(state: SessionState): number {
  const messages = state.messages;
  const known = costSums.get(messages);
  let from = 0;
  let sum = 0;
  if (
    known !== undefined &&
    known.count <= messages.length &&
    messages[known.count - 1] === known.last &&
    known.last.turn?.costUsd === known.lastCost
  ) {
    from = known.count;
    sum = known.sum;
  }
  for (let i = from; i < messages.length; i++) sum += messages[i]!.turn?.costUsd ?? 0;
  const last = messages.at(-1);
  if (last !== undefined)
    costSums.set(messages, { count: messages.length, sum, last, lastCost: last.turn?.costUsd });
  return sum;
}

/**
 * The Claude session id the next turn resumes, or undefined for a new conversation. For a fork that has not
 * run yet, that is the parent's id (resumed with `--fork-session`, see `needsFork`).
 */
export function resumeTarget(state: SessionState): string | undefined {
  if (state.currentSessionId !== undefined && state.currentSessionId !== '') return state.currentSessionId;
  if (needsFork(state)) return state.metadata.parent?.sessionId;
  return undefined;
}

/** True for a fork whose first turn has not run: that turn must pass `--fork-session`. */
export function needsFork(state: SessionState): boolean {
  return state.metadata.parent !== undefined && state.sessionChain.length === 0;
}

export interface ForkOptions {
  /** Name of the fork; it must differ from the source's when both are stored. */
  name?: string;
  now?: Date;
}

/**
 * A new session that branches off the source's current conversation. It copies the messages (so it reads
 * as the whole conversation so far), starts an empty chain and its own usage ledger, and records the parent.
 * Its next turn runs `--resume <parent id> --fork-session`, and the new id the CLI returns starts its chain.
 *
 * @throws InvalidArgumentError when the source has no Claude session to fork from yet.
 */
export function fork(source: SessionState, options: ForkOptions = {}): SessionState {
  const from = resumeTarget(source);
  if (from === undefined) {
    throw new InvalidArgumentError(
      'Cannot fork a session that has no Claude conversation yet: run a turn first.',
    );
  }
  const now = options.now ?? new Date();
  const copy = cloneSessionState(source);
  const forked: SessionState = {
    formatVersion: copy.formatVersion,
    revision: 0,
    sessionChain: [],
    messages: copy.messages,
    metadata: {
      ...copy.metadata,
      created: new Date(now),
      lastActive: new Date(now),
      parent: { name: source.metadata.name ?? '', sessionId: from, messageCount: source.messages.length },
    },
    usage: emptyUsage(),
  };
  if (options.name !== undefined) forked.metadata.name = options.name;
  else delete forked.metadata.name;
  return forked;
}

/**
 * Starts the conversation over: no chain, no current id, no messages, no fork parent. Keeps the name,
 * creation date, cwd, tags, the storage revision (so the next save replaces the stored session) and the
 * usage ledger (money already spent stays accounted).
 */
export function clearSession(state: SessionState, now: Date = new Date()): SessionState {
  const next = cloneSessionState(state);
  next.sessionChain = [];
  delete next.currentSessionId;
  next.messages = [];
  delete next.metadata.parent;
  next.metadata.lastActive = new Date(now);
  return next;
}

/**
 * Points the session at a Claude session id chosen by the caller (e.g. one started outside ChannelCoder).
 * The id joins the chain unless it is already its last entry.
 */
export function setCurrentSessionId(state: SessionState, sessionId: string): SessionState {
  if (typeof sessionId !== 'string' || sessionId === '') {
    throw new InvalidArgumentError('setId: the Claude session id must be a non-empty string');
  }
  const next = cloneSessionState(state);
  if (next.sessionChain.at(-1) !== sessionId) next.sessionChain.push(sessionId);
  next.currentSessionId = sessionId;
  return next;
}
