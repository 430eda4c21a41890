/** The session state: what a ChannelCoder session remembers of a conversation with the `claude` CLI. */

/** The newest stored format this package writes and reads. */
export const FORMAT_VERSION = 1 as const;

export interface TurnDetails {
  /** Cost of this turn alone, in US dollars (not the CLI's cumulative figure). */
  costUsd?: number;
  /** Wall time of the turn as the CLI reported it, in milliseconds. */
  durationMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** The turn failed: the message is the prompt that was sent and `error` says why. */
  isError?: boolean;
  error?: string;
  /** The turn was stopped before it completed (Ctrl-C, a signal, an abort, or the process died). */
  interrupted?: boolean;
  /** The cost of this turn is not known (recovered from a transcript whose result line was gone). */
  costUnknown?: boolean;
}

export interface Message {
  /** Stable and unique within the session; storages use it for idempotent appends. */
  id: string;
  role: 'user' | 'assistant';
  /** For assistant messages, the result text; structured results are JSON-stringified. */
  content: string;
  timestamp: Date;
  /** The Claude session id this message belongs to (`''` while unknown, e.g. a turn that failed to start). */
  sessionId: string;
  turn?: TurnDetails;
  /**
   * Adopted from the CLI's local transcript rather than recorded when the turn ended (the process died
   * after Claude answered, or a save failed and the process exited): see DESIGN 11.
   */
  recovered?: boolean;
}

/**
 * A turn whose CLI run started but whose outcome is not stored yet. Saved in the head before the CLI starts
 * (a head-only save) and replaced by the recorded turn afterwards; a session loaded with one is recovered
 * from the local transcript (the turn completed) or records it as failed and `interrupted`.
 */
export interface PendingTurn {
  /** Id the user message of the turn gets when it is recorded. */
  promptId: string;
  /** The prompt sent to Claude. */
  prompt: string;
  /** The Claude session id the turn runs in, when known before it starts (resume or `--session-id`). */
  claudeSessionId?: string;
  startedAt: Date;
}

export interface ForkParent {
  /** Name of the session this one was forked from. */
  name: string;
  /** The Claude session id the fork branched off (resumed with `--fork-session`). */
  sessionId: string;
  /** How many messages of the parent the fork started with. */
  messageCount: number;
  /**
   * The `uuid` of the parent's transcript entry the fork ends at (set for forks made through the Agent
   * SDK's `forkSession`, with or without `upToMessageId`); absent for forks made by `session.fork()`.
   */
  messageUuid?: string;
}

/**
 * The run options a session keeps from its first turn (its own options merged over the session's
 * defaults); later turns reuse them unless a call overrides them. Absent in sessions stored before
 * sticky options existed: those run as before.
 */
export interface SessionRunSettings {
  /** `--model`. */
  model?: string;
  /** `--allowedTools` rules. */
  allowedTools?: string[];
  /** `--disallowedTools` rules. */
  disallowedTools?: string[];
  /** `--permission-mode`. */
  permissionMode?: string;
  /** Turns run in this branch's git worktree; `path` and `repository` say where it was last. */
  worktree?: { branch: string; path: string; repository: string };
  /** Turns run in a Docker container. Only the names of `docker.env` are kept, never the values. */
  docker?: { image?: string; dockerfile?: string; mounts?: string[]; envNames?: string[] };
}

export interface SessionMetadata {
  name?: string;
  created: Date;
  lastActive: Date;
  /** Working directory the conversation runs in; the CLI files transcripts by it. */
  cwd?: string;
  /**
   * The Claude Code project folder name (the Agent SDK's `projectKey`) the session belongs to when it has
   * no `cwd`: `list({ projectKey })` files it under this key (a `cwd`, when set, wins). The Agent SDK
   * bridge (`toAgentSessionStore`) sets it on the sessions it stores.
   */
  projectKey?: string;
  parent?: ForkParent;
  tags?: string[];
  /**
   * Set when the last attempt to mirror the Claude transcript into the storage failed (the error's
   * message); cleared by the next successful mirror. Listings show it (`SessionInfo.transcriptError`).
   */
  transcriptError?: string;
  /** Run options kept from the first turn (model, tools, permission mode, worktree, docker). */
  runOptions?: SessionRunSettings;
  /**
   * The `systemPrompt` the conversation was started with (absent: Claude Code's default). The CLI keeps a
   * conversation's system prompt on every resume, so this is what every turn of it runs with.
   */
  systemPrompt?: string;
  /** The `appendSystemPrompt` the conversation was started with, kept on resumes like `systemPrompt`. */
  appendSystemPrompt?: string;
}

/** Totals over every turn of the session, failed ones included. */
export interface UsageLedger {
  turns: number;
  failedTurns: number;
  totalCostUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  durationMs: number;
}

export interface SessionState {
  formatVersion: typeof FORMAT_VERSION;
  /** Storage revision: 0 until first saved; every successful save adds 1. */
  revision: number;
  /** Distinct Claude session ids in the order they appeared. */
  sessionChain: string[];
  /** The Claude session id the next turn resumes. */
  currentSessionId?: string;
  messages: Message[];
  metadata: SessionMetadata;
  usage: UsageLedger;
  /** A turn that started and is not recorded yet (see PendingTurn). */
  pendingTurn?: PendingTurn;
}

export function emptyUsage(): UsageLedger {
  return {
    turns: 0,
    failedTurns: 0,
    totalCostUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheCreationTokens: 0,
    durationMs: 0,
  };
}

export interface CreateSessionStateOptions {
  name?: string;
  cwd?: string;
  tags?: string[];
  now?: Date;
}

/** A new, never-saved session state (revision 0, no messages). */
export function createSessionState(options: CreateSessionStateOptions = {}): SessionState {
  const now = options.now ?? new Date();
  const metadata: SessionMetadata = { created: new Date(now), lastActive: new Date(now) };
  if (options.name !== undefined) metadata.name = options.name;
  if (options.cwd !== undefined) metadata.cwd = options.cwd;
  if (options.tags !== undefined) metadata.tags = [...options.tags];
  return {
    formatVersion: FORMAT_VERSION,
    revision: 0,
    sessionChain: [],
    messages: [],
    metadata,
    usage: emptyUsage(),
  };
}

/** A deep copy; Date objects are copied, not shared. */
export function cloneSessionState(state: SessionState): SessionState {
  return structuredClone(state);
}

/** A new random message id. */
export function newMessageId(): string {
  return globalThis.crypto.randomUUID();
}
