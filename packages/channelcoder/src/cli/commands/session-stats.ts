/** `session stats`: turns, tokens and cost totals from the sessions' ledgers, grouped. */
import {
  claudeConfigDir,
  loadSessionConversation,
  type SessionState,
  type SessionStorage,
} from '@channelcoder/session-core';
import { parseCommand, STORAGE_OPTIONS, stringOption } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { HELP } from '../help.js';
import type { CliIo } from '../io.js';
import { formatCost, table } from '../output/format.js';
import { styleFor } from '../output/style.js';
import {
  groupTurns,
  STATS_GROUPS,
  type StatsGroup,
  type StatsLine,
  type TurnRow,
  totalOf,
  turnRows,
} from '../stats/ledger.js';
import { storageSpecOf, withStorage } from '../storage.js';
import { UsageError } from '../usage-error.js';

const STATS_OPTIONS = {
  ...STORAGE_OPTIONS,
  by: { type: 'string' },
  since: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function statsCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('session stats', args, STATS_OPTIONS, [0, 0]);
  if (values.help === true) {
    io.stdout.write(`${HELP['session stats']}\n`);
    return EXIT.ok;
  }
  const by = (stringOption(values, 'by') ?? 'session') as StatsGroup;
  if (!STATS_GROUPS.includes(by)) {
    throw new UsageError(
      `--by must be one of ${STATS_GROUPS.join(', ')}, got ${JSON.stringify(by)}.`,
      'session stats',
    );
  }
  const since = sinceOption(stringOption(values, 'since'));
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage }) => {
    const rows = await collectRows(storage, io, by, since);
    const lines = groupTurns(rows, by);
    const total = totalOf(rows);
    if (values.json === true) {
      io.stdout.write(
        `${JSON.stringify({ by, since: since?.toISOString() ?? null, groups: lines, total }, null, 2)}\n`,
      );
      return EXIT.ok;
    }
    const style = styleFor(io.stdout, io.env);
    const cells = (line: StatsLine) => [
      line.key,
      String(line.sessions),
      `${line.turns}${line.failedTurns > 0 ? ` (${line.failedTurns} failed)` : ''}`,
      String(line.inputTokens),
      String(line.outputTokens),
      formatCost(line.costUsd),
    ];
    const text = table(
      [by.toUpperCase(), 'SESSIONS', 'TURNS', 'INPUT TOKENS', 'OUTPUT TOKENS', 'COST'],
      [...lines.map(cells), cells(total)],
      ['left', 'right', 'right', 'right', 'right', 'right'],
    );
    const [header = '', ...body] = text.split('\n');
    const totalLine = body.pop() ?? '';
    io.stdout.write(`${[style.bold(header), ...body, style.bold(totalLine)].join('\n')}\n`);
    return EXIT.ok;
  });
}

/** Every session's turn rows; the model (only for `--by model`) comes from the session's transcript. */
async function collectRows(
  storage: SessionStorage,
  io: CliIo,
  by: StatsGroup,
  since?: Date,
): Promise<TurnRow[]> {
  const rows: TurnRow[] = [];
  for (const info of await storage.list()) {
    if (info.error !== undefined) {
      io.stderr.write(`channelcoder: skipping "${info.name}" in the stats: ${info.error}\n`);
      continue;
    }
    const state = await storage.load(info.name);
    const model = by === 'model' ? await modelOf(storage, info.name, state, io) : '';
    rows.push(...turnRows(info.name, state, model, since));
  }
  return rows;
}

async function modelOf(
  storage: SessionStorage,
  name: string,
  state: SessionState,
  io: CliIo,
): Promise<string> {
  const location = { configDir: claudeConfigDir(io.env), cwd: state.metadata.cwd ?? io.cwd };
  const { items } = await loadSessionConversation(storage, name, state, location);
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item?.kind === 'answer' && item.model !== undefined) return item.model;
  }
  return '(unknown)';
}

function sinceOption(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const relative = /^(\d+)d$/.exec(text);
  const date = relative ? new Date(Date.now() - Number(relative[1]) * 86_400_000) : new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(
      `--since expects a date (2026-11-01) or a number of days (7d), got ${JSON.stringify(text)}.`,
      'session stats',
    );
  }
  return date;
}
