/**
 * Running one task: one turn of a stored session through `session()`, under the session's exclusivity,
 * recorded (success or failure) in the session before the call settles. The task id is the id of the
 * turn's user message, so it is stored with the turn by construction.
 */
import {
  type ClaudeResult,
  InvalidArgumentError,
  normalizeSessionName,
  type Session,
  type SessionRunOptions,
  type SessionState,
  type SessionStorage,
  type StreamEvent,
  session,
} from '@channelcoder/session-core';
import { parsePromptTemplate, renderPromptTemplate } from 'channelcoder';
import { ServiceError, SessionEndedError } from './errors.js';
import type { SessionExclusivity } from './exclusive.js';
import type { ServiceMetrics } from './metrics.js';
import { allowedDirectory } from './paths.js';
import { endedAt, runDefaults, toRunOptions } from './service-tags.js';
import { type TaskRecord, tasksOf } from './stats.js';

/** A task as the API takes it. Exactly one of `prompt` and `template`. */
export interface TaskInput {
  prompt?: string;
  /** A prompt template (the CLI's format: optional YAML frontmatter, `{placeholders}`). */
  template?: string;
  /** Data for the template's placeholders. */
  data?: Record<string, unknown>;
  /** Overrides the session's working directory for this task (must lie under an allowed root). */
  workingDirectory?: string;
  /** When another task holds the session: `wait` (default) up to `waitMs`, or `fail` at once with 409. */
  onBusy?: 'wait' | 'fail';
  waitMs?: number;
  /** Kill the turn after this many milliseconds (it is then recorded as failed). */
  timeoutMs?: number;
}

/** Tool activity seen while a task runs (for Server-Sent Events). */
export type ToolActivity =
  | { type: 'tool_use'; id?: string; name?: string; input?: unknown }
  | { type: 'tool_result'; toolUseId?: string; isError: boolean; content: string };

export interface TaskListener {
  /** The turn holds the session and its CLI started (its first event arrived). */
  onStart?(): void;
  onText?(content: string): void;
  onTool?(activity: ToolActivity): void;
}

/** A task that ended: its stored record, and the run's result or error. */
export interface TaskOutcome {
  task: TaskRecord;
  result?: ClaudeResult;
  error?: unknown;
}

/** What runs tasks needs from the server. */
export interface TaskContext {
  storage: SessionStorage;
  exclusivity: SessionExclusivity;
  roots: readonly string[];
  metrics: ServiceMetrics;
  /** Options every turn gets (environment of the CLI, its binary). */
  runOptions: SessionRunOptions;
  holderPrefix: string;
  leaseTtlMs: number;
  defaultWaitMs: number;
  /** Aborted when the server stops waiting for running tasks at shutdown. */
  shutdown: AbortSignal;
}

/** A task on this replica that has the session and is running its turn. */
export interface RunningTask {
  session: string;
  holder: string;
  prompt: string;
  startedAt: Date;
  abort: AbortController;
  finished: Promise<unknown>;
}

/** A task ready to run: checked, rendered, and holding the session. Call `run` exactly once. */
export interface PreparedTask {
  readonly session: string;
  readonly holder: string;
  run(listener?: TaskListener): Promise<TaskOutcome>;
  /** Gives the session up without running (the client went away before the turn started). */
  cancel(): Promise<void>;
}

let sequence = 0;

export class TaskService {
  /** Tasks running on this replica, by session name. */
  readonly running = new Map<string, RunningTask>();

  constructor(private readonly ctx: TaskContext) {}

  /**
   * Checks the task, renders its prompt and takes the session (waiting per `onBusy`).
   * @throws SessionNotFoundError (404), SessionEndedError (409), SessionBusyError (409), ServiceError
   *   (400/403) for a bad template or working directory.
   */
  async prepare(rawName: string, input: TaskInput): Promise<PreparedTask> {
    const name = normalizeSessionName(rawName);
    // Loaded once, with the turns its local transcript has and the store lacks (a replica that died after
    // Claude answered): the checks, the working directory and the template see what the turn will run on.
    // Through a storage that refuses the turn when the state read under the lease says the session was ended
    // meanwhile (an `end` on any replica that got the lease first): nothing is run or spent then.
    const storage = this.ctx.exclusivity.distributed
      ? endCheckedUnderLease(this.ctx.storage, name)
      : this.ctx.storage;
    const loaded = await session.load(name, { storage, leaseTtlMs: this.ctx.leaseTtlMs });
    const state = loaded.state();
    assertActive(name, state);
    const cwdField =
      input.workingDirectory === undefined ? 'session.workingDirectory' : 'body.workingDirectory';
    const cwd = await allowedDirectory(
      input.workingDirectory ?? state.metadata.cwd ?? (this.ctx.roots[0] as string),
      this.ctx.roots,
      cwdField,
    );
    const rendered = renderTask(input, state);
    const holder = `${this.ctx.holderPrefix}:task-${++sequence}`;
    const waitMs = input.onBusy === 'fail' ? 0 : (input.waitMs ?? this.ctx.defaultWaitMs);
    // With leases, session() takes the session's lease for the turn (across replicas); without, tasks
    // are serialized in this process.
    const hold = this.ctx.exclusivity.distributed
      ? undefined
      : await this.ctx.exclusivity.acquire(name, {
          holder,
          waitMs,
          ttlMs: this.ctx.leaseTtlMs,
          signal: this.ctx.shutdown,
        });
    const lease = { onBusy: waitMs === 0 ? ('fail' as const) : ('wait' as const), busyTimeoutMs: waitMs };
    let used = false;
    return {
      session: name,
      holder,
      cancel: async () => {
        if (!used) await hold?.release();
      },
      run: async (listener) => {
        if (used) throw new InvalidArgumentError('A prepared task runs once.');
        used = true;
        try {
          // With leases, the turn catches up with the stored session under its lease before it starts (a
          // turn another replica ran meanwhile is continued from), so the session loaded above serves.
          // Without, it is loaded again now that this process holds the session.
          const current = hold === undefined ? { session: loaded, state } : undefined;
          return await this.execute(name, current, rendered, cwd, input, holder, lease, hold?.lost, listener);
        } finally {
          await hold?.release();
        }
      },
    };
  }

  private async execute(
    name: string,
    current: { session: Session; state: SessionState } | undefined,
    rendered: { prompt: string; options: SessionRunOptions },
    cwd: string,
    input: TaskInput,
    holder: string,
    lease: Pick<SessionRunOptions, 'onBusy' | 'busyTimeoutMs'>,
    lost: AbortSignal | undefined,
    listener: TaskListener | undefined,
  ): Promise<TaskOutcome> {
    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, this.ctx.shutdown, ...(lost ? [lost] : [])]);
    const startedAt = Date.now();
    let started = false;
    let settle!: () => void;
    const running: RunningTask = {
      session: name,
      holder,
      prompt: rendered.prompt,
      startedAt: new Date(startedAt),
      abort,
      finished: new Promise<void>((r) => (settle = r)),
    };
    this.running.set(name, running);
    this.ctx.metrics.running.inc();
    try {
      let s: Session;
      let stored: SessionState;
      if (current === undefined) {
        s = await session.load(name, { storage: this.ctx.storage, leaseTtlMs: this.ctx.leaseTtlMs });
        stored = s.state();
        assertActive(name, stored);
      } else ({ session: s, state: stored } = current);
      const options: SessionRunOptions = {
        ...toRunOptions(runDefaults(stored.metadata.tags)),
        ...rendered.options,
        ...this.ctx.runOptions,
        ...lease,
        cwd,
        signal,
        onEvent: (event) => {
          if (!started) {
            started = true;
            listener?.onStart?.();
          }
          reportTool(event, listener);
        },
      };
      if (input.timeoutMs !== undefined) options.timeout = input.timeoutMs;
      const known = new Set(tasksOf(stored.messages).map((t) => t.id));
      let result: ClaudeResult | undefined;
      let error: unknown;
      try {
        if (listener?.onText !== undefined) {
          const stream = s.stream(rendered.prompt, options);
          for await (const chunk of stream) listener.onText(chunk.content);
          result = await stream.result;
        } else {
          result = await s.run(rendered.prompt, options);
        }
      } catch (err) {
        error = err;
      }
      // The turn just run is the session's last one: under the lease, session() may first catch up with
      // turns other replicas stored, so what was new since loading is not all ours.
      const last = tasksOf(s.messages()).at(-1);
      const task =
        last !== undefined && !known.has(last.id) && last.prompt === rendered.prompt ? last : undefined;
      // No record: the turn never reached Claude (refused arguments) or its save failed; the error says which.
      if (task === undefined) throw error ?? new Error('the turn ended without a recorded message');
      this.ctx.metrics.tasks.inc({ outcome: task.status });
      this.ctx.metrics.costUsd.inc(task.costUsd ?? 0);
      const outcome: TaskOutcome = { task };
      if (result !== undefined) outcome.result = result;
      if (error !== undefined) outcome.error = error;
      // Interrupted by the shutdown deadline: say so, rather than the CLI's exit.
      if (task.status === 'failed' && this.ctx.shutdown.aborted)
        outcome.error = new ServiceError(
          'SHUTTING_DOWN',
          503,
          `The server shut down before task ${task.id} finished: its claude process was stopped and the ` +
            'turn is recorded as failed and interrupted. Send the task again (to another replica).',
        );
      return outcome;
    } finally {
      this.ctx.metrics.running.dec();
      this.ctx.metrics.duration.observe((Date.now() - startedAt) / 1000);
      this.running.delete(name);
      settle();
    }
  }
}

/**
 * The storage as the task's session sees it: after the session's lease is taken, the first load of the
 * session (the catch-up `session()` makes under the lease, before anything runs) throws SessionEndedError
 * when the stored state carries the ended mark. The turn then rejects before its CLI starts, and the lease
 * is released. Every other call goes to the storage itself.
 */
export function endCheckedUnderLease(storage: SessionStorage, name: string): SessionStorage {
  let leased = false;
  const lease = storage.lease?.bind(storage);
  const load = storage.load.bind(storage);
  return new Proxy(storage, {
    get(target, property) {
      if (property === 'lease' && lease !== undefined)
        return async (...args: Parameters<typeof lease>) => {
          const taken = await lease(...args);
          if (args[0] === name) leased = true;
          return taken;
        };
      if (property === 'load')
        return async (key: string) => {
          const state = await load(key);
          if (leased && key === name) {
            leased = false;
            const ended = endedAt(state?.metadata?.tags);
            if (ended !== undefined) throw new SessionEndedError(name, ended);
          }
          return state;
        };
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function assertActive(name: string, state: SessionState): void {
  const ended = endedAt(state.metadata.tags);
  if (ended !== undefined) throw new SessionEndedError(name, ended);
}

/** The prompt and the template's run options. @throws ServiceError 400 naming the field at fault. */
export function renderTask(
  input: TaskInput,
  state: SessionState,
): { prompt: string; options: SessionRunOptions } {
  if ((input.prompt === undefined) === (input.template === undefined))
    throw new ServiceError('INVALID_ARGUMENT', 400, 'A task needs exactly one of "prompt" and "template".', {
      field: input.prompt === undefined ? 'body.prompt' : 'body.template',
    });
  if (input.prompt !== undefined) {
    if (input.data !== undefined)
      throw new ServiceError('INVALID_ARGUMENT', 400, '"data" goes with "template", not with "prompt".', {
        field: 'body.data',
      });
    return { prompt: input.prompt, options: {} };
  }
  try {
    const template = parsePromptTemplate(input.template as string, { file: 'template' });
    const last = state.messages.at(-1);
    const context = {
      messageCount: state.messages.length,
      ...(state.currentSessionId === undefined ? {} : { id: state.currentSessionId }),
      ...(state.metadata.name === undefined ? {} : { name: state.metadata.name }),
      ...(last === undefined ? {} : { lastMessage: last.content }),
    };
    return renderPromptTemplate(template, { data: input.data ?? {}, session: context });
  } catch (err) {
    if (InvalidArgumentError.is(err))
      throw new ServiceError('INVALID_ARGUMENT', 400, err.message, {
        field: /data/i.test(err.message) ? 'body.data' : 'body.template',
      });
    throw err;
  }
}

function reportTool(event: StreamEvent, listener: TaskListener | undefined): void {
  if (listener?.onTool === undefined) return;
  if (event.type === 'assistant') {
    for (const block of event.content) {
      const b = block as { type?: unknown; id?: unknown; name?: unknown; input?: unknown };
      if (b.type !== 'tool_use') continue;
      const activity: ToolActivity = { type: 'tool_use' };
      if (typeof b.id === 'string') activity.id = b.id;
      if (typeof b.name === 'string') activity.name = b.name;
      if (b.input !== undefined) activity.input = b.input;
      listener.onTool(activity);
    }
  } else if (event.type === 'user') {
    const content = (event.raw.message as { content?: unknown } | undefined)?.content;
    if (!Array.isArray(content)) return;
    for (const block of content) {
      const b = block as { type?: unknown; tool_use_id?: unknown; is_error?: unknown; content?: unknown };
      if (b.type !== 'tool_result') continue;
      const text = typeof b.content === 'string' ? b.content : JSON.stringify(b.content ?? '');
      const activity: ToolActivity = {
        type: 'tool_result',
        isError: b.is_error === true,
        content: text.length > 2000 ? `${text.slice(0, 2000)}…` : text,
      };
      if (typeof b.tool_use_id === 'string') activity.toolUseId = b.tool_use_id;
      listener.onTool(activity);
    }
  }
}
