/**
 * Typed errors. Every error thrown by ChannelCoder packages is a {@link ChannelCoderError} with a stable
 * `code`. Use the static `is()` rather than `instanceof`: it also recognises errors created by another copy
 * of this package (two versions installed side by side, or CJS and ESM builds loaded together).
 */

import type { ClaudeResult } from './runner/types.js';

const MARK = Symbol.for('channelcoder.error');

export type ChannelCoderErrorCode =
  | 'SESSION_NOT_FOUND'
  | 'SESSION_CONFLICT'
  | 'INVALID_SESSION_NAME'
  | 'SESSION_CORRUPT'
  | 'UNSUPPORTED_FORMAT'
  | 'STORAGE_UNAVAILABLE'
  | 'CAPABILITY_MISSING'
  | 'CLAUDE_NOT_FOUND'
  | 'CLAUDE_RUN_FAILED'
  | 'RESUME_NOT_FOUND'
  | 'INVALID_ARGUMENT'
  | 'TRANSCRIPT_FAILED'
  | 'SESSION_BUSY'
  | 'LEASE_LOST'
  | 'SESSION_SAVE_FAILED'
  // Run modes (worktree, Docker): see run-mode-errors.ts.
  | 'NOT_A_GIT_REPOSITORY'
  | 'WORKTREE_BRANCH_IN_USE'
  | 'WORKTREE_FAILED'
  | 'DOCKER_NOT_AVAILABLE'
  | 'DOCKER_BUILD_FAILED'
  // The session service (@channelcoder/server):
  | 'SESSION_ENDED'
  | 'TASK_NOT_FOUND'
  | 'PLAN_NOT_FOUND'
  | 'ROUTE_NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'PATH_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'SHUTTING_DOWN';

export class ChannelCoderError extends Error {
  readonly code: ChannelCoderErrorCode;
  readonly [MARK] = true;

  constructor(code: ChannelCoderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any ChannelCoder error (optionally of this subclass's code), even from another package copy. */
  static is(err: unknown): err is ChannelCoderError {
    return isCoded(err, undefined);
  }
}

function isCoded(err: unknown, code: ChannelCoderErrorCode | undefined): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const marked = (err as Record<symbol, unknown>)[MARK] === true;
  if (!marked) return false;
  return code === undefined || (err as { code?: unknown }).code === code;
}

/** `load()` (or another call that needs it) found no session under that name. */
export class SessionNotFoundError extends ChannelCoderError {
  readonly sessionName: string;
  /** @param options.hint replaces the default advice at the end of the message. */
  constructor(sessionName: string, options?: { cause?: unknown; where?: string; hint?: string }) {
    super(
      'SESSION_NOT_FOUND',
      `Session "${sessionName}" was not found${options?.where ? ` in ${options.where}` : ''}. ` +
        (options?.hint ??
          'Check the name with session.list(), or create it by saving a new session under that name.'),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.sessionName = sessionName;
  }
  static override is(err: unknown): err is SessionNotFoundError {
    return isCoded(err, 'SESSION_NOT_FOUND');
  }
}

/**
 * Why a save or restore was refused: `'revision'`, another writer of the same session saved first;
 * `'name-taken'`, the name is held by another session.
 */
export type SessionConflictReason = 'revision' | 'name-taken';

/**
 * A write was refused and nothing changed: either the stored revision moved on since this state was loaded
 * (another writer of the same session saved first; `reason: 'revision'`), or the name is held by another
 * session (`reason: 'name-taken'`).
 */
export class SessionConflictError extends ChannelCoderError {
  readonly sessionName: string;
  /** The revision the caller's state was based on. */
  readonly expectedRevision: number;
  /** The revision that is stored now (0 when nothing is stored). */
  readonly actualRevision: number;
  readonly reason: SessionConflictReason;
  /**
   * @param options.reason default `'revision'`.
   * @param options.hint   replaces the default advice at the end of the message (what to do, in the words
   *   of the interface the caller used).
   */
  constructor(
    sessionName: string,
    expectedRevision: number,
    actualRevision: number,
    options: { reason?: SessionConflictReason; hint?: string; cause?: unknown } = {},
  ) {
    const reason = options.reason ?? 'revision';
    const what =
      reason === 'name-taken'
        ? `The name "${sessionName}" is held by another session (revision ${actualRevision} is stored).`
        : `Session "${sessionName}" was changed by another writer: this state is based on revision ` +
          `${expectedRevision}, but revision ${actualRevision} is stored.`;
    const hint =
      options.hint ??
      (reason === 'name-taken'
        ? 'Use another name, or move the stored session to the trash first (session.remove(name) on a ' +
          'storage with the trash capability) and try again.'
        : 'Load the session again, reapply your change and save.');
    super(
      'SESSION_CONFLICT',
      `${what} ${hint}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.sessionName = sessionName;
    this.expectedRevision = expectedRevision;
    this.actualRevision = actualRevision;
    this.reason = reason;
  }
  static override is(err: unknown): err is SessionConflictError {
    return isCoded(err, 'SESSION_CONFLICT');
  }
}

/** A session name that is not allowed (see `SESSION_NAME_PATTERN`). Nothing was read or written. */
export class InvalidSessionNameError extends ChannelCoderError {
  readonly sessionName: unknown;
  readonly reason: string;
  constructor(sessionName: unknown, reason: string) {
    super(
      'INVALID_SESSION_NAME',
      `Invalid session name ${describeName(sessionName)}: ${reason}. Names are 1-128 characters of ` +
        'letters, digits, ".", "_" and "-", starting with a letter or digit, without "..".',
    );
    this.sessionName = sessionName;
    this.reason = reason;
  }
  static override is(err: unknown): err is InvalidSessionNameError {
    return isCoded(err, 'INVALID_SESSION_NAME');
  }
}

function describeName(name: unknown): string {
  if (typeof name !== 'string') return `(${name === null ? 'null' : typeof name})`;
  const shown = name.length > 60 ? `${name.slice(0, 60)}…` : name;
  return JSON.stringify(shown);
}

/** What is stored under a session does not validate. It is reported, never silently skipped. */
export class SessionCorruptError extends ChannelCoderError {
  readonly sessionName: string;
  /** Path of the first bad field, e.g. `messages[3].timestamp`; `(document)` when it is not JSON at all. */
  readonly field: string;
  /** Where the bad data lives (file path, key, row), when the adapter knows. */
  readonly location?: string;
  constructor(
    sessionName: string,
    field: string,
    problem: string,
    options?: { cause?: unknown; location?: string },
  ) {
    super(
      'SESSION_CORRUPT',
      `Session "${sessionName}"${options?.location ? ` (${options.location})` : ''} is corrupt: ${field} ${problem}. ` +
        'The stored data was left as it is; restore it from a backup or remove the session.',
      options,
    );
    this.sessionName = sessionName;
    this.field = field;
    if (options?.location !== undefined) this.location = options.location;
  }
  static override is(err: unknown): err is SessionCorruptError {
    return isCoded(err, 'SESSION_CORRUPT');
  }
}

/** The stored session was written by a newer version of the format than this package understands. */
export class UnsupportedFormatError extends ChannelCoderError {
  readonly sessionName: string;
  readonly formatVersion: unknown;
  readonly supportedVersion: number;
  constructor(sessionName: string, formatVersion: unknown, supportedVersion: number) {
    super(
      'UNSUPPORTED_FORMAT',
      `Session "${sessionName}" uses format version ${String(formatVersion)}, but this version of ` +
        `@channelcoder/session-core reads format ${supportedVersion} and older. Upgrade @channelcoder/session-core.`,
    );
    this.sessionName = sessionName;
    this.formatVersion = formatVersion;
    this.supportedVersion = supportedVersion;
  }
  static override is(err: unknown): err is UnsupportedFormatError {
    return isCoded(err, 'UNSUPPORTED_FORMAT');
  }
}

/** The storage backend could not be reached or failed; `cause` holds the backend's own error. */
export class StorageUnavailableError extends ChannelCoderError {
  readonly backend: string;
  constructor(backend: string, operation: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      'STORAGE_UNAVAILABLE',
      `${backend} storage is unavailable during ${operation}: ${why}. Check that the backend is running ` +
        'and reachable; nothing was changed by the failed call unless it says otherwise.',
      { cause },
    );
    this.backend = backend;
  }
  static override is(err: unknown): err is StorageUnavailableError {
    return isCoded(err, 'STORAGE_UNAVAILABLE');
  }
}

/** The signature (and what it must do) of each optional storage method, for CapabilityError's message. */
const CAPABILITY_SIGNATURES: Record<string, string> = {
  remove:
    'async remove(name: string): Promise<boolean> (delete what save() stored under that name; resolve ' +
    'false when there was nothing, never throw for a missing name)',
  exists: 'async exists(name: string): Promise<boolean>',
  close: 'async close(): Promise<void>',
  appendTranscript:
    'async appendTranscript(name, claudeSessionId, entries, fromLine): Promise<void> (with loadTranscript)',
  loadTranscript:
    'async loadTranscript(name, claudeSessionId): Promise<unknown[] | null> (with appendTranscript)',
  lease: 'async lease(name, options): Promise<SessionLease>',
  search: 'async search(query, options): Promise<SearchResult[]>',
  'list({ projectKey })':
    "readonly listFilters = ['projectKey'] (with list() keeping a per-project index of metadata.cwd)",
};

/** An optional storage method (remove, exists, transcripts, …) was needed but the storage lacks it. */
export class CapabilityError extends ChannelCoderError {
  readonly capability: string;
  constructor(capability: string, storageName: string) {
    const signature = CAPABILITY_SIGNATURES[capability];
    super(
      'CAPABILITY_MISSING',
      `The storage ${storageName} does not implement "${capability}". ` +
        (signature === undefined
          ? 'Add the method to it'
          : `Add the method to ${storageName}: ${signature}`) +
        ', or use a storage that has it (every @channelcoder/storage-* adapter implements all capabilities).',
    );
    this.capability = capability;
  }
  static override is(err: unknown): err is CapabilityError {
    return isCoded(err, 'CAPABILITY_MISSING');
  }
}

/** The `claude` binary could not be started. */
export class ClaudeNotFoundError extends ChannelCoderError {
  readonly binary: string;
  constructor(binary: string, options?: { cause?: unknown }) {
    super(
      'CLAUDE_NOT_FOUND',
      `The Claude Code CLI was not found (tried "${binary}"). Install it with ` +
        '`npm install -g @anthropic-ai/claude-code`, or set CLAUDE_BIN to the path of the `claude` binary.',
      options,
    );
    this.binary = binary;
  }
  static override is(err: unknown): err is ClaudeNotFoundError {
    return isCoded(err, 'CLAUDE_NOT_FOUND');
  }
}

/** The CLI ran but the turn failed: non-zero exit, `is_error` in the result, or an unusable output. */
export class ClaudeRunError extends ChannelCoderError {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  /** The parsed result line, when the CLI printed one. */
  readonly resultLine?: Record<string, unknown>;
  /** The Claude session id the CLI reported, if any (it does even for most errors). */
  readonly sessionId?: string;
  /** The run was stopped before it completed: an AbortSignal, or SIGINT/SIGTERM/SIGHUP to this process. */
  readonly interrupted: boolean;
  /** The signal this process received that stopped the run, when one did. */
  readonly interruptedBy?: string;
  constructor(
    message: string,
    details: {
      exitCode: number | null;
      signal?: string | null;
      stderr: string;
      resultLine?: Record<string, unknown>;
      sessionId?: string;
      interrupted?: boolean;
      interruptedBy?: string;
      cause?: unknown;
    },
    code: ChannelCoderErrorCode = 'CLAUDE_RUN_FAILED',
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.exitCode = details.exitCode;
    this.signal = details.signal ?? null;
    this.stderr = details.stderr;
    this.interrupted = details.interrupted === true;
    if (details.interruptedBy !== undefined) this.interruptedBy = details.interruptedBy;
    if (details.resultLine !== undefined) this.resultLine = details.resultLine;
    if (details.sessionId !== undefined) this.sessionId = details.sessionId;
  }
  static override is(err: unknown): err is ClaudeRunError {
    return isCoded(err, 'CLAUDE_RUN_FAILED') || isCoded(err, 'RESUME_NOT_FOUND');
  }
}

/** `--resume` named a conversation the CLI has no transcript for ("No conversation found"). */
export class ResumeNotFoundError extends ClaudeRunError {
  readonly resumeId: string;
  constructor(
    resumeId: string,
    details: {
      exitCode: number | null;
      stderr: string;
      resultLine?: Record<string, unknown>;
      sessionId?: string;
    },
  ) {
    super(
      `Claude has no conversation with session id ${resumeId} on this machine (its transcript is missing: ` +
        'another machine, another CLAUDE_CONFIG_DIR, or removed by the CLI after 30 days). Use a storage ' +
        'with transcripts so sessions can be restored, or start a new session.',
      details,
      'RESUME_NOT_FOUND',
    );
    this.resumeId = resumeId;
  }
  static override is(err: unknown): err is ResumeNotFoundError {
    return isCoded(err, 'RESUME_NOT_FOUND');
  }
}

/** A call's arguments are wrong (not a storage or CLI failure). */
export class InvalidArgumentError extends ChannelCoderError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
  static override is(err: unknown): err is InvalidArgumentError {
    return isCoded(err, 'INVALID_ARGUMENT');
  }
}

/**
 * A Claude transcript could not be mirrored into the storage (after a turn) or restored from it (before a
 * resume). `operation` says which; `cause` holds the storage's or the file system's own error.
 */
export class TranscriptError extends ChannelCoderError {
  readonly operation: 'mirror' | 'restore' | 'read';
  readonly claudeSessionId: string;
  constructor(
    operation: 'mirror' | 'restore' | 'read',
    claudeSessionId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    const why =
      options?.cause === undefined
        ? ''
        : `: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`;
    super('TRANSCRIPT_FAILED', `${message}${why}`, options);
    this.operation = operation;
    this.claudeSessionId = claudeSessionId;
  }
  static override is(err: unknown): err is TranscriptError {
    return isCoded(err, 'TRANSCRIPT_FAILED');
  }
}

/**
 * Another holder has the session's lease (an exclusive turn is running elsewhere) and it did not come free
 * within the wait. Nothing was run or written.
 */
export class SessionBusyError extends ChannelCoderError {
  readonly sessionName: string;
  /** Who holds the lease (`host:pid:…` by default, or the holder name it was taken with). */
  readonly holder: string;
  /** When the holder's lease runs out unless it is renewed. */
  readonly expiresAt: Date;
  constructor(sessionName: string, holder: string, expiresAt: Date, options?: { waitedMs?: number }) {
    const waited = options?.waitedMs ? ` (waited ${options.waitedMs} ms)` : '';
    super(
      'SESSION_BUSY',
      `Session "${sessionName}" is busy: ${holder} holds it until ${expiresAt.toISOString()}${waited}. ` +
        'Wait for that turn to finish (or wait longer), then try again.',
    );
    this.sessionName = sessionName;
    this.holder = holder;
    this.expiresAt = expiresAt;
  }
  static override is(err: unknown): err is SessionBusyError {
    return isCoded(err, 'SESSION_BUSY');
  }
}

/**
 * A lease expired or was taken by another holder before this write (or renewal): the write was refused
 * and nothing was changed. Load the session again before the next turn.
 */
export class LeaseLostError extends ChannelCoderError {
  readonly sessionName: string;
  /** The fencing token of the lease that was lost. */
  readonly token: number;
  constructor(sessionName: string, token: number, reason = 'it expired or another holder took it') {
    super(
      'LEASE_LOST',
      `The lease on session "${sessionName}" (token ${token}) is no longer held: ${reason}. ` +
        'Nothing was written; load the session again and retry the turn.',
    );
    this.sessionName = sessionName;
    this.token = token;
  }
  static override is(err: unknown): err is LeaseLostError {
    return isCoded(err, 'LEASE_LOST');
  }
}

/**
 * A turn ran (and was paid for) but saving it failed. The answer is on `result`; the storage's own typed
 * error is `cause`. The turn stays in the session object and the next save or turn writes it first.
 */
export class SessionSaveError<R = ClaudeResult> extends ChannelCoderError {
  readonly sessionName: string;
  /** The turn's result (a `ClaudeResult` for `session()` turns): the answer is never lost. */
  readonly result: R;
  constructor(sessionName: string, result: R, cause: unknown) {
    const why = (cause instanceof Error ? cause.message : String(cause)).replace(/\.+$/, '');
    super(
      'SESSION_SAVE_FAILED',
      `The turn in session "${sessionName}" completed, but saving it failed: ${why}. The answer is on ` +
        'this error (.result); the turn is kept in the session and written by the next save or turn.',
      { cause },
    );
    this.sessionName = sessionName;
    this.result = result;
  }
  static override is(err: unknown): err is SessionSaveError {
    return isCoded(err, 'SESSION_SAVE_FAILED');
  }
}
