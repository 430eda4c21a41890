/** `session list` (alias `--list-sessions`) and `session show NAME`. */
import { loadSession, type SessionInfo } from '@channelcoder/session-core';
import { serializeState } from '@channelcoder/session-core/storage-kit';
import { parseCommand, positiveInteger, STORAGE_OPTIONS, stringOption } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { HELP } from '../help.js';
import type { CliIo } from '../io.js';
import { formatCost, relativeTime, styledTable } from '../output/format.js';
import { runOptionLines } from '../output/run-options.js';
import { styleFor } from '../output/style.js';
import { storageSpecOf, withStorage } from '../storage.js';
import { FULL_SHOW_OPTIONS, showFullCommand } from './session-show-full.js';
import { listTrashCommand } from './session-trash.js';

const LIST_OPTIONS = {
  ...STORAGE_OPTIONS,
  json: { type: 'boolean' },
  limit: { type: 'string' },
  prefix: { type: 'string' },
  trash: { type: 'boolean' },
} as const;

export async function listCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('session list', args, LIST_OPTIONS, [0, 0]);
  if (values.help === true) {
    io.stdout.write(`${HELP['session list']}\n`);
    return EXIT.ok;
  }
  const limit = positiveInteger(values, 'limit', 'session list');
  const prefix = stringOption(values, 'prefix');
  if (values.trash === true) return listTrashCommand(values, limit, prefix, io);
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage, label }) => {
    const infos = await storage.list({
      ...(limit === undefined ? {} : { limit }),
      ...(prefix === undefined ? {} : { prefix }),
    });
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(infos.map(infoJson), null, 2)}\n`);
      return EXIT.ok;
    }
    if (infos.length === 0) {
      io.stdout.write(`No sessions in ${label}.\n`);
      return EXIT.ok;
    }
    const now = new Date();
    const rows = infos.map((info) => [
      info.name,
      info.error === undefined ? String(info.messageCount) : '?',
      relativeTime(info.lastActive, now),
      formatCost(info.totalCostUsd),
      info.error !== undefined
        ? `corrupt: ${info.error}`
        : `${info.currentSessionId ?? '-'}${info.transcriptError === undefined ? '' : ' (transcript not mirrored)'}`,
    ]);
    const style = styleFor(io.stdout, io.env);
    io.stdout.write(
      styledTable(style, ['NAME', 'MESSAGES', 'LAST ACTIVE', 'COST', 'CLAUDE SESSION'], rows, [
        'left',
        'right',
        'left',
        'right',
        'left',
      ]),
    );
    io.stdout.write(`${style.bold(totalLine(infos, limit))}\n`);
    // A session whose transcript did not reach the storage cannot be resumed on another machine yet.
    for (const info of infos.filter((i) => i.transcriptError !== undefined)) {
      io.stdout.write(
        `${style.yellow(`${info.name}: the last transcript mirror failed (${info.transcriptError}); the next turn retries it.`)}\n`,
      );
    }
    return EXIT.ok;
  });
}

/** `N sessions · M messages · $cost total` (of the listed page when `--limit` cut it). */
function totalLine(infos: readonly SessionInfo[], limit: number | undefined): string {
  let cost = 0;
  let messages = 0;
  for (const info of infos) {
    cost += info.totalCostUsd ?? 0;
    messages += info.error === undefined ? info.messageCount : 0;
  }
  const what = `${infos.length} session${infos.length === 1 ? '' : 's'}`;
  const shown = limit !== undefined && infos.length === limit ? ' (this page)' : '';
  return `Total${shown}: ${what} · ${messages} messages · ${formatCost(cost)}`;
}

function infoJson(info: SessionInfo): Record<string, unknown> {
  return { ...info, created: info.created.toISOString(), lastActive: info.lastActive.toISOString() };
}

export async function showCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    'session show',
    args,
    { ...STORAGE_OPTIONS, ...FULL_SHOW_OPTIONS, json: { type: 'boolean' } },
    [1, 1],
  );
  if (values.help === true) {
    io.stdout.write(`${HELP['session show']}\n`);
    return EXIT.ok;
  }
  if (values.full === true) return showFullCommand(positionals[0] as string, values, io);
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage }) => {
    const { state, name } = await loadSession(storage, positionals[0] as string);
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(JSON.parse(serializeState(state)), null, 2)}\n`);
      return EXIT.ok;
    }
    const style = styleFor(io.stdout, io.env);
    const m = state.metadata;
    const lines = [
      style.bold(name),
      `  created       ${m.created.toISOString()} (${relativeTime(m.created)})`,
      `  last active   ${m.lastActive.toISOString()} (${relativeTime(m.lastActive)})`,
      `  messages      ${state.messages.length}`,
      `  turns         ${state.usage.turns}${state.usage.failedTurns > 0 ? ` (${state.usage.failedTurns} failed)` : ''}`,
      `  cost          ${formatCost(state.usage.totalCostUsd)}`,
      `  claude ids    ${state.sessionChain.length > 0 ? state.sessionChain.join(' → ') : '-'}`,
    ];
    if (m.cwd !== undefined) lines.push(`  cwd           ${m.cwd}`);
    lines.push(...runOptionLines(m.runOptions));
    if (m.parent !== undefined) {
      lines.push(
        `  forked from   ${m.parent.name} (${m.parent.sessionId}, after ${m.parent.messageCount} messages)`,
      );
    }
    if (m.tags !== undefined && m.tags.length > 0) lines.push(`  tags          ${m.tags.join(', ')}`);
    for (const message of state.messages) {
      const who = message.role === 'user' ? style.cyan('user') : style.green('assistant');
      const failed =
        message.turn?.isError === true ? ` ${style.red(`failed: ${message.turn.error ?? 'error'}`)}` : '';
      lines.push('', `${who} ${style.dim(message.timestamp.toISOString())}${failed}`, message.content);
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  });
}
