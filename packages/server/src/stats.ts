/**
 * Seed 004's session statistics, derived from the stored usage ledger and the recorded turns (never kept
 * a second time, so they cannot drift from the conversation).
 */
import type { Message, SessionState } from '@channelcoder/session-core';
import { endedAt } from './service-tags.js';
import { promptsAndAnswers } from './turn-pairs.js';

/** Statistics of one session. Times are milliseconds; money is US dollars. */
export interface SessionStats {
  /** Every recorded turn (task), failed ones included. */
  totalTasks: number;
  completedTasks: number;
  failedTasks: number;
  /** completed / total × 100, two decimals; 0 for a session without tasks. */
  successRate: number;
  /** Sum of the CLI-reported turn durations. */
  totalExecutionTime: number;
  /** totalExecutionTime / totalTasks (0 without tasks). */
  avgExecutionTime: number;
  /** From creation to the end (ended sessions) or to the last activity. */
  duration: number;
  status: 'active' | 'ended';
  costUsd: number;
  tokens: { input: number; output: number; cacheRead: number; cacheCreation: number };
}

/** Stats of a stored session state. */
export function sessionStats(state: SessionState): SessionStats {
  const u = state.usage;
  const total = u.turns;
  const failed = u.failedTurns;
  const completed = total - failed;
  const ended = endedAt(state.metadata.tags);
  const until = ended !== undefined ? new Date(ended) : state.metadata.lastActive;
  return {
    totalTasks: total,
    completedTasks: completed,
    failedTasks: failed,
    successRate: total === 0 ? 0 : Math.round((completed / total) * 10_000) / 100,
    totalExecutionTime: u.durationMs,
    avgExecutionTime: total === 0 ? 0 : Math.round(u.durationMs / total),
    duration: Math.max(0, until.getTime() - state.metadata.created.getTime()),
    status: ended === undefined ? 'active' : 'ended',
    costUsd: u.totalCostUsd,
    tokens: {
      input: u.inputTokens,
      output: u.outputTokens,
      cacheRead: u.cacheReadTokens,
      cacheCreation: u.cacheCreationTokens,
    },
  };
}

/** One task as stored: the turn's user message (its id is the task id) and, when it succeeded, the answer. */
export interface TaskRecord {
  id: string;
  status: 'completed' | 'failed';
  prompt: string;
  /** The answer (completed tasks). */
  result?: string;
  /** Why it failed (failed tasks). */
  error?: string;
  /** The turn was cut short (the server shut down, or the process running it stopped) before it finished. */
  interrupted?: boolean;
  /** The Claude session id the turn ran in (`''` when it failed before the CLI reported one). */
  claudeSessionId: string;
  finishedAt: string;
  costUsd?: number;
  durationMs?: number;
  inputTokens?: number;
  outputTokens?: number;
}

/** The tasks of a conversation in order: each user message starts one. */
export function tasksOf(messages: readonly Message[]): TaskRecord[] {
  const tasks: TaskRecord[] = [];
  for (const { prompt: m, answer, details, failed } of promptsAndAnswers(messages)) {
    const task: TaskRecord = {
      id: m.id,
      status: failed ? 'failed' : 'completed',
      prompt: m.content,
      claudeSessionId: m.sessionId,
      finishedAt: (answer ?? m).timestamp.toISOString(),
    };
    if (answer !== undefined) task.result = answer.content;
    if (failed && m.turn?.error !== undefined) task.error = m.turn.error;
    if (m.turn?.interrupted === true) task.interrupted = true;
    if (details?.costUsd !== undefined) task.costUsd = details.costUsd;
    if (details?.durationMs !== undefined) task.durationMs = details.durationMs;
    if (details?.inputTokens !== undefined) task.inputTokens = details.inputTokens;
    if (details?.outputTokens !== undefined) task.outputTokens = details.outputTokens;
    tasks.push(task);
  }
  return tasks;
}
