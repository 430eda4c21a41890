/** The conversation as terminal text (`session show NAME --full`). */
import type { ConversationItem } from '@channelcoder/session-core';
import { formatCost } from '../output/format.js';
import type { Style } from '../output/style.js';
import { inputJson, type LoadedConversation, truncated } from './load.js';

/** Header lines and every conversation item; `limit` cuts tool results (undefined: never). */
export function conversationText(
  loaded: LoadedConversation,
  style: Style,
  limit: number | undefined,
): string {
  const { state, name } = loaded;
  const m = state.metadata;
  const lines = [
    style.bold(name),
    `  created       ${m.created.toISOString()}`,
    `  last active   ${m.lastActive.toISOString()}`,
    `  turns         ${state.usage.turns}   cost ${formatCost(state.usage.totalCostUsd)}`,
  ];
  if (m.cwd !== undefined) lines.push(`  cwd           ${m.cwd}`);
  if (loaded.source === 'messages') {
    lines.push(style.yellow('  (no transcript stored or found here: prompts and answers only)'));
  }
  for (const item of loaded.items) lines.push('', ...itemLines(item, style, limit));
  return `${lines.join('\n')}\n`;
}

function itemLines(item: ConversationItem, style: Style, limit: number | undefined): string[] {
  const when = item.timestamp === undefined ? '' : ` ${style.dim(item.timestamp)}`;
  switch (item.kind) {
    case 'prompt':
      return [`${style.cyan('user')}${when}`, item.text];
    case 'answer':
      return [`${style.green('assistant')}${when}`, item.text];
    case 'thinking':
      return [`${style.dim('thinking')}${when}`, style.dim(item.text)];
    case 'tool_call':
      return [`${style.yellow(`tool call: ${item.name}`)}${when}`, inputJson(item.input)];
    case 'tool_result':
      return [
        `${item.isError ? style.red('tool error') : style.yellow('tool result')}${when}`,
        truncated(item.text, limit),
      ];
  }
}
