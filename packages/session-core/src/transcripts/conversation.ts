/**
 * Reading a Claude Code transcript (the CLI's JSONL lines) as a conversation a person can follow: prompts,
 * answers, thinking, tool calls with their inputs and tool results, in order. Pure: no I/O.
 *
 * The transcript also holds bookkeeping lines (queue operations, attachments, request shapes, cost state);
 * those are skipped, as are sub-agent (`isSidechain`) and meta entries. Unknown line types are tolerated.
 */

/** One step of a conversation, in transcript order. */
export type ConversationItem =
  | { kind: 'prompt'; text: string; timestamp?: string; uuid?: string }
  | { kind: 'answer'; text: string; timestamp?: string; uuid?: string; model?: string }
  | { kind: 'thinking'; text: string; timestamp?: string; uuid?: string }
  | {
      kind: 'tool_call';
      /** The tool-use id the result refers to. */
      id: string;
      name: string;
      input: unknown;
      timestamp?: string;
      uuid?: string;
    }
  | {
      kind: 'tool_result';
      /** The tool call this answers. */
      toolUseId: string;
      text: string;
      isError: boolean;
      timestamp?: string;
      uuid?: string;
    };

interface Block {
  type?: unknown;
  text?: unknown;
  thinking?: unknown;
  id?: unknown;
  name?: unknown;
  input?: unknown;
  tool_use_id?: unknown;
  content?: unknown;
  is_error?: unknown;
}

interface Entry {
  type?: unknown;
  uuid?: unknown;
  timestamp?: unknown;
  isSidechain?: unknown;
  isMeta?: unknown;
  message?: { role?: unknown; content?: unknown; model?: unknown };
}

/**
 * The conversation held by transcript entries (several transcripts may be passed one after the other:
 * entries seen before, by `uuid`, are skipped, so a fork's copied history appears once).
 */
export function readConversation(entries: Iterable<unknown>): ConversationItem[] {
  const items: ConversationItem[] = [];
  const seen = new Set<string>();
  for (const raw of entries) {
    if (typeof raw !== 'object' || raw === null) continue;
    const entry = raw as Entry;
    if (entry.type !== 'user' && entry.type !== 'assistant') continue;
    if (entry.isSidechain === true || entry.isMeta === true) continue;
    const uuid = typeof entry.uuid === 'string' ? entry.uuid : undefined;
    if (uuid !== undefined) {
      if (seen.has(uuid)) continue;
      seen.add(uuid);
    }
    const where = {
      ...(typeof entry.timestamp === 'string' ? { timestamp: entry.timestamp } : {}),
      ...(uuid === undefined ? {} : { uuid }),
    };
    const content = entry.message?.content;
    if (entry.type === 'user') items.push(...userItems(content, where));
    else {
      const model = typeof entry.message?.model === 'string' ? entry.message.model : undefined;
      items.push(...assistantItems(content, where, model));
    }
  }
  return items;
}

function userItems(content: unknown, where: object): ConversationItem[] {
  if (typeof content === 'string') {
    return content.trim() === '' ? [] : [{ kind: 'prompt', text: content, ...where }];
  }
  if (!Array.isArray(content)) return [];
  const items: ConversationItem[] = [];
  const texts: string[] = [];
  for (const block of content as Block[]) {
    if (block?.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    else if (block?.type === 'tool_result') {
      items.push({
        kind: 'tool_result',
        toolUseId: typeof block.tool_use_id === 'string' ? block.tool_use_id : '',
        text: toolResultText(block.content),
        isError: block.is_error === true,
        ...where,
      });
    }
  }
  const text = texts.join('\n');
  if (text.trim() !== '') items.unshift({ kind: 'prompt', text, ...where });
  return items;
}

function assistantItems(content: unknown, where: object, model: string | undefined): ConversationItem[] {
  const withModel = model === undefined ? where : { ...where, model };
  if (typeof content === 'string') return [{ kind: 'answer', text: content, ...withModel }];
  if (!Array.isArray(content)) return [];
  const items: ConversationItem[] = [];
  for (const block of content as Block[]) {
    if (block?.type === 'text' && typeof block.text === 'string') {
      items.push({ kind: 'answer', text: block.text, ...withModel });
    } else if (block?.type === 'thinking' && typeof block.thinking === 'string' && block.thinking !== '') {
      items.push({ kind: 'thinking', text: block.thinking, ...where });
    } else if (block?.type === 'tool_use') {
      items.push({
        kind: 'tool_call',
        id: typeof block.id === 'string' ? block.id : '',
        name: typeof block.name === 'string' ? block.name : 'tool',
        input: block.input ?? {},
        ...where,
      });
    }
  }
  return items;
}

/** A tool result's content as text: a string, or the text parts of a block list (images noted). */
function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === undefined ? '' : JSON.stringify(content);
  return (content as Block[])
    .map((part) => {
      if (part?.type === 'text' && typeof part.text === 'string') return part.text;
      return `[${typeof part?.type === 'string' ? part.type : 'content'}]`;
    })
    .join('\n');
}

/** All text of a conversation item a search or an index should see (tool inputs as JSON). */
export function conversationItemText(item: ConversationItem): string {
  if (item.kind === 'tool_call') return `${item.name} ${JSON.stringify(item.input)}`;
  return item.text;
}
