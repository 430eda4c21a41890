/** `session show NAME` (`--full`: the whole conversation, see session-show-full.ts). */
import { loadSession } from '@channelcoder/session-core';
import { serializeState } from '@channelcoder/session-core/storage-kit';
import { parseCommand, STORAGE_OPTIONS } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { HELP } from '../help.js';
import type { CliIo } from '../io.js';
import { formatCost, relativeTime } from '../output/format.js';
import { runOptionLines } from '../output/run-options.js';
import { styleFor } from '../output/style.js';
import { storageSpecOf, withStorage } from '../storage.js';
import { FULL_SHOW_OPTIONS, showFullCommand } from './session-show-full.js';

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
