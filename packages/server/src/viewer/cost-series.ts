/**
 * Cost and tokens per day for the viewer's chart, from the recorded turns (the same rows `channelcoder
 * session stats` adds up: a fork's copied turns count with its parent only). Pure.
 */
import type { SessionState } from '@channelcoder/session-core';
import { userTags } from '../service-tags.js';

export type CostGroup = 'tag' | 'session';

export interface CostSeries {
  key: string;
  /** One value per day of `days`. */
  costUsd: number[];
  tokens: number[];
}

export interface CostReport {
  by: CostGroup;
  /** Every day of the range, `YYYY-MM-DD` (UTC), oldest first. */
  days: string[];
  /** Biggest cost first; past `maxSeries` the rest is summed under `(other)`. */
  series: CostSeries[];
  /** Totals over the range; a turn counts once even when its session has several tags. */
  total: {
    costUsd: number;
    turns: number;
    failedTurns: number;
    inputTokens: number;
    outputTokens: number;
    sessions: number;
  };
}

interface Row {
  session: string;
  day: string;
  keys: string[];
  failed: boolean;
  costUsd: number;
  tokens: number;
  inputTokens: number;
  outputTokens: number;
}

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a date (UTC). */
export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The days from `from` to `to` inclusive (UTC). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS)
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** Cost per day over `[from, to]` (days, UTC), stacked by tag or session. */
export function costReport(
  sessions: Iterable<{ name: string; state: SessionState }>,
  options: { by: CostGroup; from: string; to: string; maxSeries?: number },
): CostReport {
  const days = daysBetween(options.from, options.to);
  const index = new Map(days.map((d, i) => [d, i]));
  const rows: Row[] = [];
  for (const { name, state } of sessions) {
    const inherited = state.metadata.parent?.messageCount ?? 0;
    const tags = userTags(state.metadata.tags);
    for (const message of state.messages.slice(inherited)) {
      const turn = message.turn;
      if (turn === undefined) continue;
      const day = dayOf(message.timestamp);
      if (!index.has(day)) continue;
      const inputTokens = turn.inputTokens ?? 0;
      const outputTokens = turn.outputTokens ?? 0;
      rows.push({
        session: name,
        day,
        keys: options.by === 'session' ? [name] : tags.length > 0 ? tags : ['(untagged)'],
        failed: turn.isError === true,
        costUsd: turn.costUsd ?? 0,
        tokens: inputTokens + outputTokens,
        inputTokens,
        outputTokens,
      });
    }
  }
  const byKey = new Map<string, CostSeries & { sum: number }>();
  for (const row of rows) {
    const i = index.get(row.day) as number;
    for (const key of row.keys) {
      let s = byKey.get(key);
      if (s === undefined) {
        s = { key, costUsd: days.map(() => 0), tokens: days.map(() => 0), sum: 0 };
        byKey.set(key, s);
      }
      (s.costUsd[i] as number) += row.costUsd;
      (s.tokens[i] as number) += row.tokens;
      s.sum += row.costUsd;
    }
  }
  const sorted = [...byKey.values()].sort((a, b) => b.sum - a.sum || a.key.localeCompare(b.key));
  const max = options.maxSeries ?? 8;
  const series: CostSeries[] = sorted
    .slice(0, max)
    .map(({ key, costUsd, tokens }) => ({ key, costUsd, tokens }));
  const rest = sorted.slice(max);
  if (rest.length > 0) {
    series.push({
      key: '(other)',
      costUsd: days.map((_, i) => rest.reduce((sum, s) => sum + (s.costUsd[i] as number), 0)),
      tokens: days.map((_, i) => rest.reduce((sum, s) => sum + (s.tokens[i] as number), 0)),
    });
  }
  return {
    by: options.by,
    days,
    series,
    total: {
      costUsd: rows.reduce((sum, r) => sum + r.costUsd, 0),
      turns: rows.length,
      failedTurns: rows.filter((r) => r.failed).length,
      inputTokens: rows.reduce((sum, r) => sum + r.inputTokens, 0),
      outputTokens: rows.reduce((sum, r) => sum + r.outputTokens, 0),
      sessions: new Set(rows.map((r) => r.session)).size,
    },
  };
}
