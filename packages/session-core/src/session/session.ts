/** The session object: turns through the runner, recorded by the chain logic, saved through the storage. */

import {
  clearSession,
  fork,
  recordTurn,
  resumeTarget,
  setCurrentSessionId,
  type TurnOutcome,
} from '../chain.js';
import { InvalidArgumentError } from '../errors.js';
import type { DetachedRun } from '../runner/detached.js';
import { waitForDetached } from '../runner/detached-log.js';
import type { InteractiveResult } from '../runner/interactive.js';
import { isTemplateCall, promptFromCall } from '../runner/run.js';
import type { ClaudeRunner } from '../runner/runner.js';
import { type ClaudeStream, createChunkStream } from '../runner/stream.js';
import type { ClaudeResult, RunOptions } from '../runner/types.js';
import { cloneSessionState, type Message, type SessionState, type UsageLedger } from '../state.js';
import type { SessionStorage } from '../storage.js';
import { type SessionErrorListener, SessionTranscripts } from '../transcripts/session-transcripts.js';
import type { ClaudeFunctionOf } from './claude-function.js';
import { removeRecordedLogs } from './detached-logs.js';
import { type SaveRecord, saveSession } from './persistence.js';
import { SerialQueue } from './serial-queue.js';
import { failureOutcome, successOutcome } from './turn-outcome.js';
import { planTurn } from './turn-plan.js';
import type { Session, SessionDetachedOptions, SessionDetachedRun, SessionRunOptions } from './types.js';

/** What a session object is configured with (resolved defaults). */
export interface SessionConfig {
  storage: SessionStorage;
  runner: ClaudeRunner;
  autoSave: boolean;
  assignSessionIds: boolean;
  defaults?: SessionRunOptions;
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

  constructor(
    state: SessionState,
    private readonly config: SessionConfig,
    record: SaveRecord = { generatedName: false },
  ) {
    this.current = state;
    this.record = record;
    this.transcripts = new SessionTranscripts(config.storage);
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
    return this.queue.run(() => this.turn(prompt, options, (o) => this.config.runner.run(prompt, o)));
  }

  stream(prompt: string, options?: SessionRunOptions): ClaudeStream {
    if (typeof prompt !== 'string') throw promptError('stream');
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
    return this.queue.run(async () => {
      const plan = planTurn(this.current, this.config.defaults, options, this.config.assignSessionIds);
      await this.prepareTurn(plan.options);
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
      exchanges.forEach((exchange, i) => {
        const outcome: TurnOutcome = { text: exchange.text };
        if (id !== undefined) outcome.sessionId = id;
        // The transcript has one cumulative cost for the whole terminal session: it goes on the last turn.
        if (i === exchanges.length - 1 && result.totalCostUsd !== undefined)
          outcome.totalCostUsd = result.totalCostUsd;
        state = recordTurn(state, { prompt: exchange.prompt, result: outcome });
      });
      this.current = state;
      if (this.config.autoSave) await this.persist();
      return result;
    });
  }

  detached(prompt: string, options?: SessionDetachedOptions): Promise<SessionDetachedRun> {
    if (typeof prompt !== 'string') return Promise.reject(promptError('detached'));
    let announce!: (run: SessionDetachedRun) => void;
    let fail!: (err: unknown) => void;
    const started = new Promise<SessionDetachedRun>((resolve, reject) => {
      announce = resolve;
      fail = reject;
    });
    const done = this.queue.run(async () => {
      const plan = planTurn(this.current, this.config.defaults, options, this.config.assignSessionIds);
      const detachedOptions = { ...options, ...plan.options };
      await this.prepareTurn(detachedOptions);
      let result: ClaudeResult;
      let handle: DetachedRun | undefined;
      try {
        handle = await this.config.runner.detached(prompt, detachedOptions);
        announce({ ...handle, done });
        result = await handle.wait();
      } catch (err) {
        fail(err);
        await this.recordFailure(prompt, err);
        removeRecordedLogs(handle, options);
        throw err;
      }
      await this.recordAndSave(prompt, successOutcome(result));
      removeRecordedLogs(handle, options);
      return result;
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
    return this.queue.run(() => this.persist(name));
  }

  clear(): void {
    this.current = clearSession(this.current);
  }

  fork(name?: string): Session {
    return new ClaudeSession(fork(this.current, name === undefined ? {} : { name }), this.config);
  }

  /** Runs one turn through `execute` and records it, success or failure, before settling. */
  private async turn(
    prompt: string,
    options: SessionRunOptions | undefined,
    execute: (options: ReturnType<typeof planTurn>['options']) => Promise<ClaudeResult>,
  ): Promise<ClaudeResult> {
    const plan = planTurn(this.current, this.config.defaults, options, this.config.assignSessionIds);
    await this.prepareTurn(plan.options);
    let result: ClaudeResult;
    try {
      result = await execute(plan.options);
    } catch (err) {
      await this.recordFailure(prompt, err);
      throw err;
    }
    await this.recordAndSave(prompt, successOutcome(result));
    return result;
  }

  /** Records a failed turn (unless it never reached Claude) and autosaves; a failed save wins. */
  private async recordFailure(prompt: string, err: unknown): Promise<void> {
    const outcome = failureOutcome(err);
    if (outcome !== undefined) await this.recordAndSave(prompt, outcome);
  }

  private async recordAndSave(prompt: string, outcome: TurnOutcome): Promise<void> {
    this.current = recordTurn(this.current, { prompt, result: outcome });
    if (this.config.autoSave) await this.persist();
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
    );
    return returnedName;
  }

  private async saveState(name?: string): Promise<string> {
    const saved = await saveSession(this.config.storage, this.current, this.record, name);
    this.current = saved.state;
    this.record = saved.record;
    if (saved.replacedGeneratedName !== undefined && typeof this.config.storage.remove === 'function') {
      await this.config.storage.remove(saved.replacedGeneratedName);
    }
    return saved.returnedName;
  }
}
