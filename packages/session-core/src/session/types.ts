/** Public types of `session()`. */

import type { TranscriptError } from '../errors.js';
import type { DetachedOptions, DetachedRun } from '../runner/detached.js';
import type { InteractiveResult } from '../runner/interactive.js';
import type { ClaudeRunner } from '../runner/runner.js';
import type { ClaudeStream } from '../runner/stream.js';
import type { ClaudeResult, RunOptions } from '../runner/types.js';
import type { RedactSetting } from '../safety/redact.js';
import type { Message, SessionState, UsageLedger } from '../state.js';
import type { ListOptions, SessionInfo, SessionStorage, TrashEntry, TrashListOptions } from '../storage.js';
import type { ClaudeFunctionOf } from './claude-function.js';

/**
 * What a turn does when another process holds the session's lease (runs a turn of it right now):
 * `'wait'` until it is free (up to `busyTimeoutMs`), or `'fail'` at once with `SessionBusyError`.
 */
export type OnBusy = 'wait' | 'fail';

/** Per-turn lease choices (also settable for every turn on the session). */
export interface TurnLeaseOptions {
  /** Default `'wait'`. Either way nothing runs or is spent before the lease is held. */
  onBusy?: OnBusy;
  /** How long `'wait'` waits for the lease, in milliseconds (default 10 minutes); then `SessionBusyError`. */
  busyTimeoutMs?: number;
}

/** Options of one session turn: the session decides `resume`, `forkSession` and `sessionId` itself. */
export type SessionRunOptions = Omit<RunOptions, 'resume' | 'forkSession' | 'sessionId'> & TurnLeaseOptions;
export type SessionDetachedOptions = Omit<DetachedOptions, 'resume' | 'forkSession' | 'sessionId'> &
  TurnLeaseOptions;

export interface SessionOptions {
  /** The name it is saved under; validated now. Without one, the first save generates one. */
  name?: string;
  /** Where it is saved. Default: the factory's storage (session-core: one in-process MemorySessionStorage). */
  storage?: SessionStorage;
  /** Save after every recorded turn (default true). A failed save rejects the call. */
  autoSave?: boolean;
  /** Working directory of the conversation (stored; every turn runs there unless a call says otherwise). */
  cwd?: string;
  tags?: string[];
  /** How turns run; default the local `claude` CLI. */
  runner?: ClaudeRunner;
  /** Options applied to every turn; a call's own options win (`env` is merged). */
  defaults?: SessionRunOptions;
  /**
   * Give a new conversation or a fork its Claude session id up front (`--session-id`), so interactive and
   * detached runs know it before they start (default true). Turn off for CLIs without `--session-id`.
   */
  assignSessionIds?: boolean;
  /** Lease behaviour of every turn (a call's own `onBusy` wins). See {@link OnBusy}. Default `'wait'`. */
  onBusy?: OnBusy;
  /** How long `'wait'` waits for the lease, in milliseconds (default 10 minutes). */
  busyTimeoutMs?: number;
  /**
   * How long a turn's lease lasts between renewals, in milliseconds (default 30 s; renewed every third of
   * it while the CLI runs). A process that dies holding it blocks the session for at most this long.
   */
  leaseTtlMs?: number;
  /**
   * Mask secrets in what is stored: message contents and mirrored transcript lines. `true`: the built-in
   * rules (Anthropic, AWS, GitHub and bearer tokens, URL passwords) plus this process's secret-looking
   * variables' values; or {@link RedactOptions}; or your own function. Default off. The model and the
   * session object in memory still see the original text.
   */
  redact?: RedactSetting;
}

export type LoadOptions = Omit<SessionOptions, 'name' | 'tags'>;

export interface StorageOption {
  storage?: SessionStorage;
}

/** Options of `session.remove`. */
export interface SessionRemoveOptions extends StorageOption {
  /** Delete for good instead of moving to the trash (default false). */
  purge?: boolean;
}

/** Options of `session.restore`. */
export interface SessionRestoreOptions extends StorageOption {
  /** Restore under this name instead of the one the session had. */
  as?: string;
}

/** A background turn of a session. */
export interface SessionDetachedRun extends DetachedRun {
  /** Resolves once the run ended and its turn was recorded (and autosaved); rejects like `claude()`. */
  done: Promise<ClaudeResult>;
}

/**
 * A conversation with Claude that remembers its chain of Claude session ids, its messages and its cost.
 * Calls on one session run one after another, in call order. Every turn is recorded (a failed one keeps the
 * prompt with the error), then saved when autoSave is on, then the call resolves or rejects.
 *
 * Exclusive turns: on a storage with leases (DESIGN 10), every turn takes the session's lease before the
 * CLI starts, so turns of one session never overlap across objects, processes or machines; it catches up
 * with turns other processes stored meanwhile, records a pending turn, renews the lease while the CLI
 * runs, saves under it and releases it. A storage without `lease()` works the same, without exclusivity.
 *
 * A save that fails after a paid turn rejects with `SessionSaveError` (the answer on `.result`); the turn
 * stays in the object and the next save or turn writes it first.
 */
export interface Session {
  /** One turn, awaited; also a tagged template. Rejects with the turn's typed error after recording it. */
  claude: ClaudeFunctionOf<SessionRunOptions>;
  /** Same as `claude(prompt, options)`. */
  run(prompt: string, options?: SessionRunOptions): Promise<ClaudeResult>;
  /** Text chunks as they arrive; the turn is recorded (and saved once) when the stream ends. */
  stream(prompt: string, options?: SessionRunOptions): ClaudeStream;
  /** The terminal UI; the prompt and its outcome are recorded when the user leaves it. */
  interactive(prompt?: string, options?: SessionRunOptions): Promise<InteractiveResult>;
  /**
   * A background turn: resolves once started; recorded when its log shows the result (see `done`). The
   * session watches the log while this process lives (and keeps it alive until then); if the process
   * ends first, record the turn later with `adoptDetached`.
   */
  detached(prompt: string, options?: SessionDetachedOptions): Promise<SessionDetachedRun>;
  /**
   * Records a background turn started earlier, possibly by another process (`prompt` and the run's
   * `logFile`), once its log shows the end. Resolves or rejects like `claude()`.
   */
  adoptDetached(prompt: string, logFile: string, options?: { pollMs?: number }): Promise<ClaudeResult>;
  /** The Claude session id the next turn resumes (undefined for a new conversation). */
  id(): string | undefined;
  /** Name it is (or will be) saved under. */
  name(): string | undefined;
  /** A copy of the conversation so far. */
  messages(): Message[];
  /** A copy of the whole state. */
  state(): SessionState;
  /** A copy of the usage ledger (per-turn costs summed, tokens, turns). */
  usage(): UsageLedger;
  /** Points the next turn at this Claude session id. */
  setId(id: string): void;
  /**
   * Saves now and resolves with the name the storage reports. With a name that differs from the one it is
   * saved under, it saves a copy under the new name (revision 0) and continues under it; a name that was
   * only generated by an autosave is then removed, so naming a session does not leave a stray entry.
   */
  save(name?: string): Promise<string>;
  /** Forgets the conversation (chain, messages, fork parent); keeps name, cwd, tags and the ledger. */
  clear(): void;
  /** A new session branching off this conversation; its first turn runs with `--fork-session`. */
  fork(name?: string): Session;
  /**
   * `error`: a transcript could not be mirrored into the storage after a turn (portable sessions). With a
   * listener, the turn's call resolves and the listener gets the TranscriptError; without one, the call
   * rejects with it. Either way the turn is recorded and saved, with `metadata.transcriptError` set until
   * a later mirror succeeds.
   */
  on(event: 'error', listener: (error: TranscriptError) => void): this;
  off(event: 'error', listener: (error: TranscriptError) => void): this;
}

/** `session()` plus its statics. */
export interface SessionFactory {
  (options?: SessionOptions): Session;
  /** Loads a saved session. @throws SessionNotFoundError (or the storage's own error) when absent. */
  load(name: string, options?: LoadOptions): Promise<Session>;
  /** Saved sessions, newest first (metadata only). */
  list(options?: ListOptions & StorageOption & { trash?: false }): Promise<SessionInfo[]>;
  /**
   * With `trash: true`: the trash's entries (sessions removed or replaced, kept 30 days by default), newest
   * first; `name` keeps one session's entries. @throws CapabilityError on a storage without trash.
   */
  list(options: TrashListOptions & StorageOption & { trash: true }): Promise<TrashEntry[]>;
  /**
   * Puts a trashed session back, with its transcripts: `nameOrId` is a session name (its newest trash entry)
   * or a trash entry's id; `as` restores under another name. Resolves with the name it was restored under.
   * @throws SessionNotFoundError when the trash has no such entry; SessionConflictError (reason
   *   `'name-taken'`) when a session is stored under the target name; CapabilityError without trash.
   */
  restore(nameOrId: string, options?: SessionRestoreOptions): Promise<string>;
  /**
   * Removes a saved session; true when something was removed. On a storage with the trash capability it
   * moves to the trash (restorable with `session.restore(name)`), unless `purge: true` deletes it for good.
   * @throws CapabilityError when the storage can do neither.
   */
  remove(name: string, options?: SessionRemoveOptions): Promise<boolean>;
  /** Whether a session is saved under the name (uses list() when the storage has no exists()). */
  exists(name: string, options?: StorageOption): Promise<boolean>;
}
