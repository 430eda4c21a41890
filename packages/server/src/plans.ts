/**
 * Plans (seed 003): an ordered list of tasks run in one session, one after the other, so each task
 * continues the conversation of the ones before it. A failed task stops the plan unless
 * `continueOnError`. A plan resumes the session's stored conversation: when its transcript is missing
 * locally, `session()` restores it from the storage, and when it cannot, the task fails with the typed
 * error (`RESUME_NOT_FOUND` / `TRANSCRIPT_FAILED`) instead of starting a fresh conversation.
 *
 * Plans are stored with their session (plan-record.ts), so every replica reports them. The replica running
 * a plan holds the plan's lease (renewed while it runs). When that replica stops (shut down, or killed),
 * the lease lapses, and the next replica asked about the plan takes it over and continues it: a step whose
 * turn was recorded keeps its outcome; a step whose turn was cut short by the stop runs again, once (the
 * interrupted turn stays recorded as failed); the steps after it run as usual. Without a lease capability
 * in the storage, a plan is continued by no one else: it stays as its replica left it.
 */
import { randomUUID } from 'node:crypto';
import {
  ChannelCoderError,
  LeaseLostError,
  type SessionLease,
  type SessionStorage,
  storageCapabilities,
} from '@channelcoder/session-core';
import { problemOf, ServiceError } from './errors.js';
import type { SessionExclusivity } from './exclusive.js';
import type { ServiceMetrics } from './metrics.js';
import {
  type PlanView,
  parsePlanId,
  planId,
  planLeaseName,
  planView,
  readPlan,
  type StoredPlan,
  type StoredPlanStep,
  withPlan,
} from './plan-record.js';
import { tasksOf } from './stats.js';
import { renderTask, type TaskInput, type TaskService } from './tasks.js';

export type { PlanStep, PlanStepStatus, PlanView } from './plan-record.js';

export interface PlanInput {
  tasks: TaskInput[];
  /** Run the remaining tasks after one fails (default false: the plan stops). */
  continueOnError?: boolean;
}

/** What plans need from the server. */
export interface PlanContext {
  storage: SessionStorage;
  exclusivity: SessionExclusivity;
  metrics: ServiceMetrics;
  holderPrefix: string;
  leaseTtlMs: number;
  defaultWaitMs: number;
  /** Aborted when the server stops waiting for running work at shutdown. */
  shutdown: AbortSignal;
  /** Aborted when shutdown begins: plans start no further step and are left for another replica. */
  drain: AbortSignal;
}

interface LocalPlan {
  session: string;
  plan: StoredPlan;
  finished: Promise<void>;
}

/** A step interrupted by its replica stopping runs again at most this often in all. */
const MAX_ATTEMPTS = 2;

export class PlanService {
  /** Plans this replica runs, by public id. */
  private readonly local = new Map<string, LocalPlan>();
  private sequence = 0;

  constructor(
    private readonly tasks: TaskService,
    private readonly ctx: PlanContext,
  ) {}

  private get leased(): boolean {
    return storageCapabilities(this.ctx.storage).lease;
  }

  /**
   * Stores a new plan with its session and starts it in the background.
   * @throws SessionNotFoundError when the session does not exist.
   */
  async start(session: string, input: PlanInput): Promise<PlanView> {
    const plan: StoredPlan = {
      uuid: randomUUID(),
      status: 'running',
      continueOnError: input.continueOnError === true,
      createdAt: new Date().toISOString(),
      takeovers: 0,
      tasks: input.tasks,
      steps: input.tasks.map(() => ({ status: 'pending' })),
    };
    const lease = await this.takePlanLease(plan.uuid);
    plan.owner = lease?.holder ?? this.holder('plan');
    try {
      await this.store(session, plan);
    } catch (err) {
      await lease?.release();
      throw err;
    }
    this.launch(session, plan, lease);
    return planView(session, plan);
  }

  /**
   * A plan's progress, from this replica when it runs it, else from the storage. A stored plan still
   * running whose replica stopped is taken over here and continued.
   * @returns undefined when there is no such plan.
   */
  async get(id: string): Promise<PlanView | undefined> {
    const mine = this.local.get(id);
    if (mine !== undefined) return planView(mine.session, mine.plan);
    const parsed = parsePlanId(id);
    if (parsed === undefined) return undefined;
    let plan: StoredPlan | undefined;
    try {
      plan = readPlan(
        parsed.session,
        (await this.ctx.storage.load(parsed.session)).metadata.tags,
        parsed.uuid,
      );
    } catch (err) {
      if (ChannelCoderError.is(err) && ['SESSION_NOT_FOUND', 'INVALID_SESSION_NAME'].includes(err.code))
        return undefined;
      throw err;
    }
    if (plan === undefined) return undefined;
    if (plan.status === 'running' && plan.tasks !== undefined && this.leased && !this.ctx.drain.aborted) {
      const lease = await this.takePlanLease(plan.uuid, 0).catch((err: unknown) => {
        if (ChannelCoderError.is(err) && err.code === 'SESSION_BUSY') return undefined;
        throw err;
      });
      if (lease !== undefined) {
        // The replica that ran it stopped: continue it here.
        plan.owner = lease.holder;
        plan.takeovers += 1;
        this.launch(parsed.session, plan, lease);
        return planView(parsed.session, plan);
      }
    }
    return planView(parsed.session, plan);
  }

  /** Plans running on this replica (waited for at shutdown). */
  runningPlans(): Promise<void>[] {
    return [...this.local.values()].map((p) => p.finished);
  }

  private holder(what: string): string {
    return `${this.ctx.holderPrefix}:${what}-${++this.sequence}`;
  }

  private async takePlanLease(uuid: string, waitMs = 0): Promise<SessionLease | undefined> {
    if (!this.leased) return undefined;
    const storage = this.ctx.storage as Required<Pick<SessionStorage, 'lease'>>;
    return storage.lease(planLeaseName(uuid), {
      holder: this.holder('plan'),
      ttlMs: this.ctx.leaseTtlMs,
      waitMs,
    });
  }

  private launch(session: string, plan: StoredPlan, lease: SessionLease | undefined): void {
    const id = planId(session, plan.uuid);
    const entry: LocalPlan = { session, plan, finished: Promise.resolve() };
    this.local.set(id, entry);
    entry.finished = this.run(session, plan, lease)
      .catch(() => {
        // The plan could not be stored any more (session deleted, storage down, lease taken over): it stays
        // as last stored, and the next replica asked about it continues it.
      })
      .finally(() => this.local.delete(id));
  }

  /** Writes the plan into its session's tags, holding the session so no turn's save is disturbed. */
  private async store(session: string, plan: StoredPlan): Promise<void> {
    const options = {
      holder: this.holder('plan-write'),
      waitMs: this.ctx.defaultWaitMs,
      ttlMs: this.ctx.leaseTtlMs,
    };
    await this.ctx.exclusivity.write(session, options, async (saveOptions) => {
      const state = await this.ctx.storage.load(session);
      state.metadata.tags = withPlan(state.metadata.tags, plan);
      await this.ctx.storage.save(state, session, saveOptions);
    });
  }

  private async run(session: string, plan: StoredPlan, lease: SessionLease | undefined): Promise<void> {
    const lost = new AbortController();
    const renew =
      lease === undefined
        ? undefined
        : setInterval(
            () =>
              void lease.renew().catch((err: unknown) => {
                if (LeaseLostError.is(err)) lost.abort(err);
              }),
            Math.max(100, Math.floor(this.ctx.leaseTtlMs / 3)),
          );
    try {
      await this.execute(session, plan, lost.signal);
    } finally {
      clearInterval(renew);
      await lease?.release();
    }
  }

  private async execute(session: string, plan: StoredPlan, lost: AbortSignal): Promise<void> {
    const inputs = plan.tasks ?? [];
    let stopped = plan.steps.some((s) => s.status === 'failed') && !plan.continueOnError;
    for (const [index, step] of plan.steps.entries()) {
      if (step.status === 'completed' || step.status === 'failed' || step.status === 'skipped') continue;
      if (stopped) {
        step.status = 'skipped';
        continue;
      }
      // Shutting down: the rest of the plan is for the replica that takes it over.
      if (this.ctx.drain.aborted || lost.aborted) return;
      if (step.status === 'running' && (await this.settleTakenOver(session, step))) {
        if ((step.status as string) === 'failed' && !plan.continueOnError) stopped = true;
        await this.store(session, plan);
        continue;
      }
      const input = inputs[index] as TaskInput;
      await this.markRunning(session, plan, step, input);
      let failure: unknown;
      try {
        // Plan tasks wait for the session: the plan owns the order, not the race.
        const prepared = await this.tasks.prepare(session, { onBusy: 'wait', ...input });
        const outcome = await prepared.run();
        step.taskId = outcome.task.id;
        if (outcome.task.status !== 'completed')
          failure =
            outcome.error ?? new ServiceError('CLAUDE_RUN_FAILED', 502, outcome.task.error ?? 'failed');
      } catch (err) {
        failure = err;
        // Not recorded as a turn (session gone, ended, busy past the wait): nothing after it can run either.
        if (!ChannelCoderError.is(err) || err.code !== 'CLAUDE_RUN_FAILED') stopped = true;
      }
      // Shutting down (or another replica took the plan): the step stays `running` in the storage, and the
      // replica that continues the plan settles it from what the session recorded.
      if (this.ctx.shutdown.aborted || lost.aborted) return;
      delete step.prompt;
      delete step.after;
      if (failure === undefined) step.status = 'completed';
      else {
        step.status = 'failed';
        step.error = problemOf(failure);
        if (!plan.continueOnError) stopped = true;
      }
      await this.store(session, plan);
    }
    plan.status = plan.steps.some((s) => s.status === 'failed') ? 'failed' : 'completed';
    plan.finishedAt = new Date().toISOString();
    delete plan.tasks;
    delete plan.owner;
    await this.store(session, plan);
    this.ctx.metrics.plans.inc({ outcome: plan.status });
  }

  /** Stores the step as running, with what identifies its turn later (its prompt, the task before it). */
  private async markRunning(session: string, plan: StoredPlan, step: StoredPlanStep, input: TaskInput) {
    const state = await this.ctx.storage.load(session);
    step.status = 'running';
    step.prompt = renderTask(input, state).prompt;
    step.after = tasksOf(state.messages).at(-1)?.id ?? null;
    step.attempts = (step.attempts ?? 0) + 1;
    delete step.taskId;
    delete step.error;
    await this.store(session, plan);
  }

  /**
   * A step another replica left running: its recorded turn decides. Returns true when the step is settled
   * (completed, or failed on its own account or after its last attempt), false when it runs again.
   */
  private async settleTakenOver(session: string, step: StoredPlanStep): Promise<boolean> {
    const tasks = tasksOf((await this.ctx.storage.load(session)).messages);
    const from = step.after == null ? 0 : tasks.findIndex((t) => t.id === step.after) + 1;
    // The last one: a pending turn settled late is recorded before a run that followed it.
    const turn = tasks
      .slice(from)
      .reverse()
      .find((t) => t.prompt === step.prompt);
    if (turn !== undefined && (turn.status === 'completed' || turn.interrupted !== true)) {
      step.status = turn.status;
      step.taskId = turn.id;
      if (turn.status === 'failed')
        step.error = problemOf(new ServiceError('CLAUDE_RUN_FAILED', 502, turn.error ?? 'The task failed.'));
      delete step.prompt;
      delete step.after;
      return true;
    }
    if ((step.attempts ?? 1) < MAX_ATTEMPTS) return false;
    step.status = 'failed';
    if (turn !== undefined) step.taskId = turn.id;
    step.error = problemOf(
      new ServiceError(
        'CLAUDE_RUN_FAILED',
        502,
        `The task was interrupted ${step.attempts} times by the replica running it stopping; the plan gives it up.`,
      ),
    );
    delete step.prompt;
    delete step.after;
    return true;
  }
}
