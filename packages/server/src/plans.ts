/**
 * Plans (seed 003): an ordered list of tasks run in one session, one after the other, so each task
 * continues the conversation of the ones before it. A failed task stops the plan unless
 * `continueOnError`. A plan resumes the session's stored conversation: when its transcript is missing
 * locally, `session()` restores it from the storage, and when it cannot, the task fails with the typed
 * error (`RESUME_NOT_FOUND` / `TRANSCRIPT_FAILED`) instead of starting a fresh conversation.
 *
 * Plans are run and tracked by the replica that accepted them; their tasks are stored turns like any other.
 */
import { randomUUID } from 'node:crypto';
import { ChannelCoderError } from '@channelcoder/session-core';
import { type Problem, problemOf } from './errors.js';
import type { ServiceMetrics } from './metrics.js';
import type { TaskInput, TaskService } from './tasks.js';

export interface PlanInput {
  tasks: TaskInput[];
  /** Run the remaining tasks after one fails (default false: the plan stops). */
  continueOnError?: boolean;
}

export type PlanStepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

export interface PlanStep {
  index: number;
  status: PlanStepStatus;
  /** The stored task's id once the turn is recorded. */
  taskId?: string;
  /** Why it failed (a problem document with the ChannelCoder code). */
  error?: Problem;
}

/** A plan's progress. */
export interface PlanView {
  id: string;
  session: string;
  status: 'running' | 'completed' | 'failed';
  continueOnError: boolean;
  total: number;
  done: number;
  failed: number;
  /** Index of the task running now (null when none). */
  running: number | null;
  /** Index of the next task to run (null when none is left). */
  next: number | null;
  createdAt: string;
  finishedAt?: string;
  steps: PlanStep[];
}

interface Plan {
  view: PlanView;
  finished: Promise<void>;
}

export class PlanService {
  private readonly plans = new Map<string, Plan>();

  constructor(
    private readonly tasks: TaskService,
    private readonly metrics: ServiceMetrics,
  ) {}

  /** Starts a plan in the background and returns its first view. */
  start(session: string, input: PlanInput): PlanView {
    const view: PlanView = {
      id: randomUUID(),
      session,
      status: 'running',
      continueOnError: input.continueOnError === true,
      total: input.tasks.length,
      done: 0,
      failed: 0,
      running: null,
      next: input.tasks.length > 0 ? 0 : null,
      createdAt: new Date().toISOString(),
      steps: input.tasks.map((_, index) => ({ index, status: 'pending' })),
    };
    const plan: Plan = { view, finished: this.execute(view, input) };
    this.plans.set(view.id, plan);
    return copy(view);
  }

  get(id: string): PlanView | undefined {
    const plan = this.plans.get(id);
    return plan === undefined ? undefined : copy(plan.view);
  }

  /** Plans still running on this replica (waited for at shutdown). */
  runningPlans(): Promise<void>[] {
    return [...this.plans.values()].filter((p) => p.view.status === 'running').map((p) => p.finished);
  }

  private async execute(view: PlanView, input: PlanInput): Promise<void> {
    let stopped = false;
    for (const [index, taskInput] of input.tasks.entries()) {
      const step = view.steps[index] as PlanStep;
      if (stopped) {
        step.status = 'skipped';
        continue;
      }
      view.running = index;
      view.next = index + 1 < view.total ? index + 1 : null;
      step.status = 'running';
      try {
        // Plan tasks wait for the session: the plan owns the order, not the race.
        const prepared = await this.tasks.prepare(view.session, { onBusy: 'wait', ...taskInput });
        const outcome = await prepared.run();
        step.taskId = outcome.task.id;
        if (outcome.task.status === 'completed') {
          step.status = 'completed';
          view.done += 1;
        } else {
          step.status = 'failed';
          step.error = problemOf(outcome.error ?? new Error(outcome.task.error));
          view.failed += 1;
        }
      } catch (err) {
        step.status = 'failed';
        step.error = problemOf(err);
        view.failed += 1;
        // Not recorded as a turn (session gone, ended, busy past the wait): nothing after it can run either.
        if (ChannelCoderError.is(err) && err.code !== 'CLAUDE_RUN_FAILED') stopped = true;
      }
      if (step.status === 'failed' && !view.continueOnError) stopped = true;
      view.running = null;
      if (stopped) view.next = null;
    }
    view.status = view.failed > 0 ? 'failed' : 'completed';
    view.finishedAt = new Date().toISOString();
    this.metrics.plans.inc({ outcome: view.status });
  }
}

function copy(view: PlanView): PlanView {
  return structuredClone(view);
}
