/** The session object: turns through the runner, recorded by the chain logic, saved through the storage. */

import {
  appendTurn,
  clearSession,
  fork,
  resumeTarget,
  setCurrentSessionId,
  type TurnOutcome,
} from '../chain.js';
import {
  InvalidArgumentError,
  SessionCorruptError,
  SessionNotFoundError,
  SessionSaveError,
} from '../errors.js';
import { DEFAULT_LEASE_TTL_MS, type SessionLease } from '../lease.js';
import { normalizeSessionName } from '../names.js';
import type { DetachedRun } from '../runner/detached.js';
import { waitForDetached } from '../runner/detached-log.js';
import type { InteractiveResult } from '../runner/interactive.js';
import { checkOptions } from '../runner/options-check.js';
import { settleInterruption } from '../runner/process-group.js';
import { isTemplateCall, promptFromCall } from '../runner/run.js';
import type { ClaudeRunner } from '../runner/runner.js';
import { type ClaudeStream, createChunkStream } from '../runner/stream.js';
import type { ClaudeResult, RunOptions } from '../runner/types.js';
import {
  cloneSessionState,
  type Message,
  newMessageId,
  type SessionState,
  type UsageLedger,
} from '../state.js';
import type { SessionStorage } from '../storage.js';
import { type SessionErrorListener, SessionTranscripts } from '../transcripts/session-transcripts.js';
import type { ClaudeFunctionOf } from './claude-function.js';
import { removeRecordedLogs } from './detached-logs.js';
import { loadSession, type SaveRecord, saveSession } from './persistence.js';
import { reconcileWithStored } from './reconcile.js';
import { recoverTurnsSince, type TranscriptMarkHolder } from './recovery.js';
import { applyRunSettings } from './run-options.js';
import { SerialQueue } from './serial-queue.js';
import { failureOutcome, successOutcome } from './turn-outcome.js';
import { planTurn } from './turn-plan.js';
import type {
  OnBusy,
  Session,
  SessionDetachedOptions,
  SessionDetachedRun,
  SessionRunOptions,
  TurnLeaseOptions,
} from './types.js';

/** Default time `onBusy: 'wait'` waits for a session's lease. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10 * 60_000;

/** What a session object is configured with (resolved defaults). */
export interface SessionConfig {
  storage: SessionStorage;
  runner: ClaudeRunner;
  autoSave: boolean;
  assignSessionIds: boolean;
  defaults?: SessionRunOptions;
  onBusy?: OnBusy;
  busyTimeoutMs?: number;
  leaseTtlMs?: number;
}

/**
 * A new conversation keeps the system prompt it starts with on every resume (the CLI ignores the flags
 * then): the session records it, so what its turns run with can be told later.
 */
function recordSystemPrompt(state: SessionState, options: RunOptions): void {
  for (const key of ['systemPrompt', 'appendSystemPrompt'] as const) {
    const value = options[key];
    if (value === undefined) delete state.metadata[key];
    else state.metadata[key] = value;
  }
}

function promptError(method: string): InvalidArgumentError {
  return new InvalidArgumentError(`session.${method}(): the prompt must be a string.`);
}

export class ClaudeSession implements Session {
  private current: SessionState;
  private record: SaveRecord;
  private readonly queue = new SerialQueue();
  /** Portable sessions: transcript restore before a resume, mirror after a save (no-op without the capability). */
  private readonly transcripts: SessionTranscripts;
  /** Options of the last turn: where its CLI keeps transcripts (config dir from env, cwd). */
  private lastRun: RunOptions | undefined;
  /** The lease of the turn running now (fences its saves and transcript appends). */
  private lease: SessionLease | undefined;
  /** What the object had when it last matched the storage (after a save or load). */
  private saved: { usage: UsageLedger; messageCount: number; revision: number };
  /**
   * A save failed (or may have: a timeout): the object holds what the storage may lack, and its revision
   * may be behind the stored one. The next save or turn reads the stored head first and writes it.
   */
  private unsettled = false;
  /**
   * The id of the last pending turn whose save failed before its turn ran: that save may have landed, so a
   * stored session holding this pending turn can still be this object's own (see `mightBeOwnSave`).
   */
  private droppedPendingId: string | undefined;
  /** The object holds turns the storage does not have yet (recovered, or a failed save). */
  private dirty = false;
  /** Where the local transcript was read up to before the last turn (see `recoverTurnsSince`). */
  private readonly transcriptMark: TranscriptMarkHolder = {};

  constructor(
    state: SessionState,
    private readonly config: SessionConfig,
    record: SaveRecord = { generatedName: false },
  ) {
    this.current = state;
    this.record = record;
    this.transcripts = new SessionTranscripts(config.storage);
    this.saved = {
      usage: { ...state.usage },
      messageCount: state.messages.length,
      revision: state.revision,
    };
  }

  /**
   * Adopts turns recovered from the local transcript when the session was loaded (see `recoverTurns`):
   * the object holds them until the next save or turn writes them.
   */
  adoptRecovered(state: SessionState): void {
    if (state === this.current) return;
    this.current = state;
    this.dirty = true;
  }

  /**
   * Adopts the turns the local transcript has and the state lacks (see recoverTurnsSince), keeping where
   * the read ended: the check before the next turn then reads only what the transcript gained since,
   * instead of the whole transcript a second time.
   */
  async recoverFromTranscript(location: Pick<RunOptions, 'env' | 'cwd'>): Promise<void> {
    this.adoptRecovered(await recoverTurnsSince(this.current, location, this.transcriptMark));
  }

  on(event: 'error', listener: SessionErrorListener): this {
    if (event !== 'error') throw new InvalidArgumentError(`session.on(): unknown event "${String(event)}".`);
    this.transcripts.on(listener);
    return this;
  }

  off(event: 'error', listener: SessionErrorListener): this {
    if (event === 'error') this.transcripts.off(listener);
    return this;
  }

  readonly claude: ClaudeFunctionOf<SessionRunOptions> = (
    first: string | TemplateStringsArray,
    ...rest: unknown[]
  ): Promise<ClaudeResult> => {
    try {
      const prompt = promptFromCall(first, rest);
      const options = isTemplateCall(first) ? undefined : (rest[0] as SessionRunOptions | undefined);
      return this.run(prompt, options);
    } catch (err) {
      return Promise.reject(err);
    }
  };

  run(prompt: string, options?: SessionRunOptions): Promise<ClaudeResult> {
    if (typeof prompt !== 'string') return Promise.reject(promptError('run'));
    try {
      checkOptions(options, 'sessionTurn', 'session.claude()');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue.run(() => this.turn(prompt, options, (o) => this.config.runner.run(prompt, o)));
  }

  stream(prompt: string, options?: SessionRunOptions): ClaudeStream {
    if (typeof prompt !== 'string') throw promptError('stream');
    checkOptions(options, 'sessionTurn', 'session.stream()');
    return createChunkStream((push) =>
      this.queue.run(() =>
        this.turn(prompt, options, async (o) => {
          const inner = this.config.runner.stream(prompt, o);
          for await (const chunk of inner) push(chunk);
          return inner.result;
        }),
      ),
    );
  }

  interactive(prompt = '', options?: SessionRunOptions): Promise<InteractiveResult> {
    if (typeof prompt !== 'string') return Promise.reject(promptError('interactive'));
    try {
      checkOptions(options, 'sessionTurn', 'session.interactive()');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue.run(() =>
      this.exclusive(options, async () => {
        const plan = await this.beginTurn(prompt, options);
        let result: InteractiveResult;
        try {
          result = await this.config.runner.interactive(prompt, plan.options);
        } catch (err) {
          await this.recordFailure(prompt, err);
          throw err;
        }
        // The terminal showed the conversation; what was typed and answered comes from the CLI's transcript.
        const id = result.sessionId ?? plan.options.sessionId;
        const exchanges = result.exchanges.length > 0 ? result.exchanges : [{ prompt, text: '' }];
        let state = this.current;
        const promptId = state.pendingTurn?.promptId;
        exchanges.forEach((exchange, i) => {
          const outcome: TurnOutcome = { text: exchange.text };
          if (id !== undefined) outcome.sessionId = id;
          // The transcript has one cumulative cost for the whole terminal session: it goes on the last turn.
          if (i === exchanges.length - 1 && result.totalCostUsd !== undefined)
            outcome.totalCostUsd = result.totalCostUsd;
          state = appendTurn(state, {
            prompt: exchange.prompt,
            result: outcome,
            ...(i === 0 && promptId !== undefined ? { promptId } : {}),
          });
        });
        this.current = state;
        if (this.config.autoSave) await this.persist();
        return result;
      }),
    );
  }

  detached(prompt: string, options?: SessionDetachedOptions): Promise<SessionDetachedRun> {
    if (typeof prompt !== 'string') return Promise.reject(promptError('detached'));
    try {
      checkOptions(options, 'sessionDetached', 'session.detached()');
    } catch (err) {
      return Promise.reject(err);
    }
    let announce!: (run: SessionDetachedRun) => void;
    let fail!: (err: unknown) => void;
    const started = new Promise<SessionDetachedRun>((resolve, reject) => {
      announce = resolve;
      fail = reject;
    });
    const done = this.queue
      .run(() =>
        this.exclusive(options, async () => {
          let result: ClaudeResult;
          let handle: DetachedRun | undefined;
          try {
            const plan = await this.beginTurn(prompt, options);
            const detachedOptions = { ...options, ...plan.options };
            delete (detachedOptions as TurnLeaseOptions).onBusy;
            delete (detachedOptions as TurnLeaseOptions).busyTimeoutMs;
            handle = await this.config.runner.detached(prompt, detachedOptions);
            announce({ ...handle, done });
            result = await handle.wait();
          } catch (err) {
            fail(err);
            if (this.current.pendingTurn !== undefined) await this.recordFailure(prompt, err);
            removeRecordedLogs(handle, options);
            throw err;
          }
          await this.recordAndSave(prompt, successOutcome(result), result);
          removeRecordedLogs(handle, options);
          return result;
        }),
      )
      .catch((err: unknown) => {
        fail(err);
        throw err;
      });
    // The failure also reaches the caller through `started` or `done`; this only keeps it from being
    // reported as unhandled when the caller awaits just one of them.
    done.catch(() => undefined);
    return started;
  }

  adoptDetached(prompt: string, logFile: string, options: { pollMs?: number } = {}): Promise<ClaudeResult> {
    if (typeof prompt !== 'string') return Promise.reject(promptError('adoptDetached'));
    return this.queue.run(() =>
      this.turn(prompt, undefined, () => {
        const resume = resumeTarget(this.current);
        return waitForDetached(logFile, { ...options, ...(resume === undefined ? {} : { resume }) });
      }),
    );
  }

  id(): string | undefined {
    return this.current.currentSessionId;
  }

  name(): string | undefined {
    return this.current.metadata.name;
  }

  messages(): Message[] {
    return structuredClone(this.current.messages);
  }

  state(): SessionState {
    return cloneSessionState(this.current);
  }

  usage(): UsageLedger {
    return { ...this.current.usage };
  }

  setId(id: string): void {
    this.current = setCurrentSessionId(this.current, id);
  }

  save(name?: string): Promise<string> {
    return this.queue.run(async () => {
      if (this.unsettled && name === undefined) await this.catchUp();
      return this.persist(name);
    });
  }

  clear(): void {
    this.current = clearSession(this.current);
  }

  fork(name?: string): Session {
    return new ClaudeSession(fork(this.current, name === undefined ? {} : { name }), this.config);
  }

  /** Runs one turn through `execute` and records it, success or failure, before settling. */
  private turn(
    prompt: string,
    options: SessionRunOptions | undefined,
    execute: (options: ReturnType<typeof planTurn>['options']) => Promise<ClaudeResult>,
  ): Promise<ClaudeResult> {
    return this.exclusive(options, async () => {
      const plan = await this.beginTurn(prompt, options);
      let result: ClaudeResult;
      try {
        result = await execute(plan.options);
      } catch (err) {
        await this.recordFailure(prompt, err);
        throw err;
      }
      await this.recordAndSave(prompt, successOutcome(result), result);
      return result;
    });
  }

  /**
   * Runs `body` holding the session's lease when the storage has leases (waiting or failing per `onBusy`),
   * renewing it every third of its ttl, and releases it afterwards. Without the capability (or before the
   * session has a name anyone else could know) it runs `body` as it is.
   */
  private async exclusive<T>(call: TurnLeaseOptions | undefined, body: () => Promise<T>): Promise<T> {
    const storage = this.config.storage;
    const name = this.record.storedName ?? this.current.metadata.name;
    if (typeof storage.lease !== 'function' || name === undefined) {
      try {
        if (this.unsettled) await this.catchUp();
        return await body();
      } finally {
        settleInterruption();
      }
    }
    const onBusy = call?.onBusy ?? this.config.onBusy ?? 'wait';
    if (onBusy !== 'wait' && onBusy !== 'fail')
      throw new InvalidArgumentError(`onBusy must be "wait" or "fail" (got ${JSON.stringify(onBusy)}).`);
    const waitMs =
      onBusy === 'fail' ? 0 : (call?.busyTimeoutMs ?? this.config.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    const ttlMs = this.config.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    const lease = await storage.lease(name, { ttlMs, waitMs });
    this.lease = lease;
    // A failed renewal needs no action here: the fenced save after the turn reports the lost lease.
    const renewal = setInterval(
      () => lease.renew().catch(() => undefined),
      Math.max(1, Math.floor(ttlMs / 3)),
    );
    renewal.unref();
    try {
      await this.catchUp();
      return await body();
    } finally {
      clearInterval(renewal);
      this.lease = undefined;
      settleInterruption();
      // A release that fails (backend down) changes nothing: the lease runs out by itself after its ttl.
      await lease.release().catch(() => undefined);
    }
  }

  /**
   * Reads the stored state and, when its revision moved on (another process ran a turn, or a save of ours
   * that failed ambiguously had landed), continues from it, keeping the turns only this object has.
   */
  private async catchUp(): Promise<void> {
    const name = this.record.storedName ?? this.current.metadata.name;
    if (name === undefined) return;
    if (await this.storedRevisionUnchanged(name)) {
      this.unsettled = false;
      return;
    }
    let stored: SessionState;
    try {
      stored = (await loadSession(this.config.storage, name)).state;
    } catch (err) {
      // A damaged session under a name this object never held is not ours either: the save replaces it.
      const notOurs = SessionCorruptError.is(err) && this.record.storedName !== name;
      if (!SessionNotFoundError.is(err) && !notOurs) throw err;
      this.unsettled = false;
      return;
    }
    this.unsettled = false;
    if (stored.revision === this.current.revision) return;
    // Another session holds the name (this object never saved or loaded under it, and the stored one is
    // not a save of ours that landed): it is not ours to continue; the next save replaces it.
    if (this.record.storedName !== name && !mightBeOwnSave(stored, this.current, this.droppedPendingId))
      return;
    const next = reconcileWithStored(this.current, stored, this.saved);
    this.dirty = next.messages.length > stored.messages.length;
    this.current = next;
    this.saved = {
      usage: { ...stored.usage },
      messageCount: stored.messages.length,
      revision: stored.revision,
    };
    this.transcripts.forget(name);
  }

  /**
   * True when the storage can read its stored revision cheaply (`readRevision`) and it equals the one this
   * object holds: nobody saved since, so loading the whole session would change nothing. Any other answer
   * (a revision that moved, nothing stored, an error reading it) leaves the decision to the full load.
   */
  private async storedRevisionUnchanged(name: string): Promise<boolean> {
    const storage = this.config.storage;
    if (typeof storage.readRevision !== 'function') return false;
    try {
      const revision = await storage.readRevision(normalizeSessionName(name));
      return revision !== null && revision === this.current.revision;
    } catch {
      return false;
    }
  }

  /**
   * Everything before the CLI starts: turns the transcript has and the store lacks are adopted, the
   * missing transcript is restored, and (with autoSave) the pending turn is saved, writing whatever the
   * object held unsaved. A failure here rejects before anything is run or spent.
   */
  private async beginTurn(prompt: string, options: SessionRunOptions | undefined) {
    let plan = planTurn(this.current, this.config.defaults, options, this.config.assignSessionIds);
    const recovered = await recoverTurnsSince(this.current, plan.options, this.transcriptMark);
    if (recovered !== this.current) {
      this.current = recovered;
      this.dirty = true;
      plan = planTurn(this.current, this.config.defaults, options, this.config.assignSessionIds);
    }
    // Kept run options, the worktree and Docker: resolved (and checked) before anything is saved or run.
    const settled = await applyRunSettings(this.current, plan.options, this.config.defaults, options);
    this.current = settled.state;
    plan.options = settled.options;
    await this.prepareTurn(plan.options);
    if (plan.options.resume === undefined) recordSystemPrompt(this.current, plan.options);
    const claudeId = plan.options.forkSession
      ? plan.options.sessionId
      : (plan.options.resume ?? plan.options.sessionId);
    this.current.pendingTurn = {
      promptId: newMessageId(),
      prompt,
      startedAt: new Date(),
      ...(claudeId === undefined ? {} : { claudeSessionId: claudeId }),
    };
    if (this.config.autoSave) {
      try {
        await this.saveState();
      } catch (err) {
        // Nothing ran: the turn is not pending after all.
        this.droppedPendingId = this.current.pendingTurn.promptId;
        delete this.current.pendingTurn;
        throw err;
      }
    }
    return plan;
  }

  /** Records a failed turn (unless it never reached Claude) and autosaves; a failed save wins. */
  private async recordFailure(prompt: string, err: unknown): Promise<void> {
    const outcome = failureOutcome(err);
    if (outcome === undefined) {
      if (this.current.pendingTurn !== undefined) {
        delete this.current.pendingTurn;
        if (this.config.autoSave) await this.persist();
      }
      return;
    }
    await this.recordAndSave(prompt, outcome);
  }

  /**
   * Records the turn and autosaves. A failed save after a paid turn rejects with SessionSaveError carrying
   * the result; the turn stays in the object and the next save or turn writes it first.
   */
  private async recordAndSave(prompt: string, outcome: TurnOutcome, result?: ClaudeResult): Promise<void> {
    const promptId = this.current.pendingTurn?.promptId;
    this.current = appendTurn(this.current, {
      prompt,
      result: outcome,
      ...(promptId === undefined ? {} : { promptId }),
    });
    if (!this.config.autoSave) return;
    try {
      await this.persist();
    } catch (err) {
      if (result === undefined || !this.dirty) throw err;
      throw new SessionSaveError(this.record.storedName ?? this.current.metadata.name ?? '', result, err);
    }
  }

  /** Restores a missing transcript before a resume; remembers where the turn's CLI keeps transcripts. */
  private async prepareTurn(options: RunOptions): Promise<void> {
    await this.transcripts.beforeTurn(this.current, options, this.record.storedName);
    this.lastRun = options;
  }

  /** Saves, then mirrors the conversation's new transcript lines (see SessionTranscripts.afterSave). */
  private async persist(name?: string): Promise<string> {
    const returnedName = await this.saveState(name);
    const location = this.lastRun ?? planTurn(this.current, this.config.defaults, undefined, false).options;
    await this.transcripts.afterSave(
      this.current,
      this.record.storedName ?? returnedName,
      location,
      async () => {
        await this.saveState();
      },
      this.lease === undefined ? undefined : { lease: this.lease },
    );
    return returnedName;
  }

  private async saveState(name?: string): Promise<string> {
    this.dirty = true;
    let saved: Awaited<ReturnType<typeof saveSession>>;
    try {
      saved = await saveSession(
        this.config.storage,
        this.current,
        this.record,
        name,
        this.lease === undefined ? undefined : { lease: this.lease },
      );
    } catch (err) {
      // It may have landed (a timeout): the next write reads the stored head first.
      this.unsettled = true;
      throw err;
    }
    this.current = saved.state;
    this.record = saved.record;
    this.dirty = false;
    this.saved = {
      usage: { ...this.current.usage },
      messageCount: this.current.messages.length,
      revision: this.current.revision,
    };
    if (saved.replacedGeneratedName !== undefined && typeof this.config.storage.remove === 'function') {
      await moveTranscripts(
        this.config.storage,
        saved.replacedGeneratedName,
        saved.returnedName,
        this.current,
      );
      await this.config.storage.remove(saved.replacedGeneratedName);
    }
    return saved.returnedName;
  }
}

/**
 * A rename (a session autosaved under a generated name, then saved under a chosen one): the stored
 * transcripts of every conversation in the chain are copied from the old entry to the new one before the
 * old one is removed. Appends are idempotent, so a copy the mirror already made is not doubled.
 */
async function moveTranscripts(
  storage: SessionStorage,
  from: string,
  to: string,
  state: SessionState,
): Promise<void> {
  if (typeof storage.loadTranscript !== 'function' || typeof storage.appendTranscript !== 'function') return;
  const ids = new Set(state.sessionChain);
  if (state.currentSessionId !== undefined) ids.add(state.currentSessionId);
  for (const id of ids) {
    if (id === '') continue;
    const lines = await storage.loadTranscript(from, id);
    if (lines === null || lines.length === 0) continue;
    await storage.appendTranscript(to, id, lines, 0);
  }
}

/**
 * Whether `stored`, found under a name this object never saved or loaded under, can be a save of this
 * object's that failed ambiguously but landed: the same creation time, and no message or pending turn this
 * object lacks (a save that landed holds only what the object had; the object keeps what it tried to save,
 * and remembers the pending turn it dropped when that turn's save failed).
 * Two objects started in the same millisecond (two processes starting one new session at once) share the
 * creation time, so the time alone does not tell them apart; the other one's turn does.
 */
function mightBeOwnSave(
  stored: SessionState,
  current: SessionState,
  droppedPendingId: string | undefined,
): boolean {
  if (stored.metadata.created.getTime() !== current.metadata.created.getTime()) return false;
  const pending = stored.pendingTurn?.promptId;
  if (pending !== undefined && pending !== current.pendingTurn?.promptId && pending !== droppedPendingId)
    return false;
  const known = new Set(current.messages.map((m) => m.id));
  return stored.messages.every((m) => known.has(m.id));
}
