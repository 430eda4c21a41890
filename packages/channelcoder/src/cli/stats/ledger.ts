/**
 * Turn ledgers for `session stats`: one row per recorded turn (the message that carries `turn`), grouped by
 * day, tag, model or session. Pure. A fork's first messages are its parent's (copied at the fork) and are
 * counted with the parent only, so totals over sessions never count a turn twice.
 */
import type { SessionState } from '@channelcoder/session-core';

export interface TurnRow {
  session: string;
  /** When the turn was recorded (ISO-8601). */
  at: string;
  tags: string[];
  model: string;
  failed: boolean;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
}

export const STATS_GROUPS = ['day', 'tag', 'model', 'session'] as const;
export type StatsGroup = (typeof STATS_GROUPS)[number];

export interface StatsLine {
  key: string;
  sessions: number;
  turns: number;
  failedTurns: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** The session's own turns (a fork's inherited messages left out), at or after `since` when given. */
export function turnRows(name: string, state: SessionState, model: string, since?: Date): TurnRow[] {
  const inherited = state.metadata.parent?.messageCount ?? 0;
  const rows: TurnRow[] = [];
  for (const message of state.messages.slice(inherited)) {
    const turn = message.turn;
    if (turn === undefined) continue;
    if (since !== undefined && message.timestamp < since) continue;
    rows.push({
      session: name,
      at: message.timestamp.toISOString(),
      tags: state.metadata.tags ?? [],
      model,
      failed: turn.isError === true,
      costUsd: turn.costUsd ?? 0,
      inputTokens: turn.inputTokens ?? 0,
      outputTokens: turn.outputTokens ?? 0,
    });
  }
  return rows;
}

/**
 * Totals per group, biggest cost first (day: newest day first). A turn of a session with several tags counts
 * under each tag; one without tags under `(untagged)`.
 */
export function groupTurns(rows: readonly TurnRow[], by: StatsGroup): StatsLine[] {
  const groups = new Map<string, { line: StatsLine; sessions: Set<string> }>();
  for (const row of rows) {
    for (const key of keysOf(row, by)) {
      let group = groups.get(key);
      if (group === undefined) {
        group = {
          line: { key, sessions: 0, turns: 0, failedTurns: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
          sessions: new Set(),
        };
        groups.set(key, group);
      }
      const { line } = group;
      group.sessions.add(row.session);
      line.turns += 1;
      if (row.failed) line.failedTurns += 1;
      line.inputTokens += row.inputTokens;
      line.outputTokens += row.outputTokens;
      line.costUsd += row.costUsd;
    }
  }
  const lines = [...groups.values()].map(({ line, sessions }) => ({ ...line, sessions: sessions.size }));
  if (by === 'day') return lines.sort((a, b) => b.key.localeCompare(a.key));
  return lines.sort((a, b) => b.costUsd - a.costUsd || a.key.localeCompare(b.key));
}

/** Totals over all rows (each turn once, whatever the grouping). */
export function totalOf(rows: readonly TurnRow[]): StatsLine {
  return groupTurns(rows, 'session').reduce(
    (total, line) => ({
      key: 'total',
      sessions: total.sessions + line.sessions,
      turns: total.turns + line.turns,
      failedTurns: total.failedTurns + line.failedTurns,
      inputTokens: total.inputTokens + line.inputTokens,
      outputTokens: total.outputTokens + line.outputTokens,
      costUsd: total.costUsd + line.costUsd,
    }),
    { key: 'total', sessions: 0, turns: 0, failedTurns: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
  );
}

function keysOf(row: TurnRow, by: StatsGroup): string[] {
  switch (by) {
    case 'day':
      return [row.at.slice(0, 10)];
    case 'tag':
      return row.tags.length > 0 ? [...new Set(row.tags)] : ['(untagged)'];
    case 'model':
      return [row.model];
    case 'session':
      return [row.session];
  }
}
