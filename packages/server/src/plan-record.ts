/**
 * How a plan is stored: in its session's `metadata.tags`, under the service's reserved prefix, like the
 * session's other service state (see service-tags.ts). Every storage keeps it with the session, so every
 * replica can report the plan and take it over; deleting the session deletes its plans.
 *
 * | tag | meaning |
 * |---|---|
 * | `cc.plan.<uuid>=<JSON>` | one plan: status, steps, and (until it finishes) the task inputs still to run |
 *
 * A plan's public id is `<session name>~<uuid>` (`~` never occurs in a session name), so any replica finds
 * its session from the id alone. Pure functions: no I/O.
 */
import { SessionCorruptError } from '@channelcoder/session-core';
import type { Problem } from './errors.js';
import type { TaskInput } from './tasks.js';

const PLAN = 'cc.plan.';

export type PlanStepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

/** One step as stored. */
export interface StoredPlanStep {
  status: PlanStepStatus;
  /** The stored task's id once its turn is recorded. */
  taskId?: string;
  error?: Problem;
  /** While running: the prompt sent and the last task of the session before it (to find its turn). */
  prompt?: string;
  after?: string | null;
  /** Runs of this step; a step whose replica stopped mid-turn runs again once on the next replica. */
  attempts?: number;
}

/** One plan as stored in its session's tags. */
export interface StoredPlan {
  uuid: string;
  status: 'running' | 'completed' | 'failed';
  continueOnError: boolean;
  createdAt: string;
  finishedAt?: string;
  /** The replica running it (its lease holder), while running. */
  owner?: string;
  /** How many times another replica took the plan over from one that stopped. */
  takeovers: number;
  /** The task inputs, kept while the plan runs (another replica needs them to continue it). */
  tasks?: TaskInput[];
  steps: StoredPlanStep[];
}

/** The public id of a plan. */
export function planId(session: string, uuid: string): string {
  return `${session}~${uuid}`;
}

/** The session and uuid of a public plan id, or undefined when it is not one. */
export function parsePlanId(id: string): { session: string; uuid: string } | undefined {
  const at = id.lastIndexOf('~');
  if (at <= 0) return undefined;
  const uuid = id.slice(at + 1);
  if (!/^[0-9a-f-]{36}$/.test(uuid)) return undefined;
  return { session: id.slice(0, at), uuid };
}

/** The plan stored under `uuid` in these tags. @throws SessionCorruptError when its tag is not a plan. */
export function readPlan(
  session: string,
  tags: readonly string[] | undefined,
  uuid: string,
): StoredPlan | undefined {
  const prefix = `${PLAN}${uuid}=`;
  const tag = tags?.find((t) => t.startsWith(prefix));
  if (tag === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(tag.slice(prefix.length));
  } catch {
    value = undefined;
  }
  const plan = value as Partial<StoredPlan> | undefined;
  if (
    typeof plan !== 'object' ||
    plan === null ||
    !Array.isArray(plan.steps) ||
    typeof plan.status !== 'string'
  )
    throw new SessionCorruptError(session, `metadata.tags[${PLAN}${uuid}]`, 'is not a stored plan');
  return plan as StoredPlan;
}

/** The tags with this plan stored (replacing its previous version). */
export function withPlan(tags: readonly string[] | undefined, plan: StoredPlan): string[] {
  const prefix = `${PLAN}${plan.uuid}=`;
  return [...(tags ?? []).filter((t) => !t.startsWith(prefix)), prefix + JSON.stringify(plan)];
}

/** The tags without any plan (a fork starts with none). */
export function withoutPlans(tags: readonly string[] | undefined): string[] {
  return (tags ?? []).filter((t) => !t.startsWith(PLAN));
}

/** A step as the API shows it. */
export interface PlanStep {
  index: number;
  status: PlanStepStatus;
  taskId?: string;
  /** Why it failed (a problem document with the ChannelCoder code). */
  error?: Problem;
  /** How many times it ran (more than 1 when the replica running it stopped and another ran it again). */
  attempts: number;
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
  /** The replica running it (null once finished). */
  owner: string | null;
  /** How many times another replica took the plan over from one that stopped. */
  takeovers: number;
  steps: PlanStep[];
}

/** The API's view of a stored plan. */
export function planView(session: string, plan: StoredPlan): PlanView {
  const steps: PlanStep[] = plan.steps.map((s, index) => ({
    index,
    status: s.status,
    ...(s.taskId === undefined ? {} : { taskId: s.taskId }),
    ...(s.error === undefined ? {} : { error: s.error }),
    attempts: s.attempts ?? 0,
  }));
  const running = steps.findIndex((s) => s.status === 'running');
  const next = steps.findIndex((s, i) => s.status === 'pending' && i > running);
  const view: PlanView = {
    id: planId(session, plan.uuid),
    session,
    status: plan.status,
    continueOnError: plan.continueOnError,
    total: steps.length,
    done: steps.filter((s) => s.status === 'completed').length,
    failed: steps.filter((s) => s.status === 'failed').length,
    running: running < 0 ? null : running,
    next: plan.status !== 'running' || next < 0 ? null : next,
    createdAt: plan.createdAt,
    owner: plan.status === 'running' ? (plan.owner ?? null) : null,
    takeovers: plan.takeovers,
    steps,
  };
  if (plan.finishedAt !== undefined) view.finishedAt = plan.finishedAt;
  return view;
}

/** The lease name that says which replica runs a plan (a lease on a name that holds no session). */
export function planLeaseName(uuid: string): string {
  return `cc-plan-${uuid}`;
}
