/** The conversation as Markdown, for a pull request or an issue (`session export NAME --format md`). */
import type { ConversationItem } from '@channelcoder/session-core';
import { formatCost } from '../output/format.js';
import { inputJson, type LoadedConversation, truncated } from './load.js';

/** A fenced block whose fence is longer than any backtick run inside, so no content can close it early. */
export function fenced(text: string, language = ''): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text}\n${fence}`;
}

export function conversationMarkdown(loaded: LoadedConversation, limit: number | undefined): string {
  const { state, name } = loaded;
  const m = state.metadata;
  const parts = [
    `# Session ${name}`,
    [
      `- Created: ${m.created.toISOString()}`,
      `- Last active: ${m.lastActive.toISOString()}`,
      `- Turns: ${state.usage.turns}, cost: ${formatCost(state.usage.totalCostUsd)}`,
      ...(m.cwd === undefined ? [] : [`- Working directory: \`${m.cwd}\``]),
      ...(state.sessionChain.length === 0 ? [] : [`- Claude sessions: ${state.sessionChain.join(', ')}`]),
    ].join('\n'),
  ];
  for (const item of loaded.items) parts.push(itemMarkdown(item, limit));
  return `${parts.join('\n\n')}\n`;
}

function itemMarkdown(item: ConversationItem, limit: number | undefined): string {
  switch (item.kind) {
    case 'prompt':
      return `## User\n\n${item.text}`;
    case 'answer':
      return `## Assistant\n\n${item.text}`;
    case 'thinking':
      return `<details><summary>Thinking</summary>\n\n${fenced(item.text)}\n\n</details>`;
    case 'tool_call':
      return `**Tool call: ${item.name}**\n\n${fenced(inputJson(item.input), 'json')}`;
    case 'tool_result':
      return `**${item.isError ? 'Tool error' : 'Tool result'}**\n\n${fenced(truncated(item.text, limit))}`;
  }
}
