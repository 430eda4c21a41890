/**
 * How the mock reads a Messages API request: which entries are real user prompts, and the default reply.
 * The CLI's `messages` array also carries `role: "system"` entries, tool results (user entries made only of
 * `tool_result` blocks) and `<system-reminder>` text blocks it adds itself; none of those is a prompt.
 */

interface ContentBlock {
  type?: unknown;
  text?: unknown;
}

const SYSTEM_REMINDER = /<system-reminder>[\s\S]*?<\/system-reminder>/g;

/** The prompt text of one user entry, or `undefined` when the entry holds no prompt text. */
export function promptText(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { role, content } = message as { role?: unknown; content?: unknown };
  if (role !== 'user') return undefined;
  const texts: string[] = [];
  if (typeof content === 'string') texts.push(content);
  else if (Array.isArray(content)) {
    for (const block of content as ContentBlock[]) {
      if (block?.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    }
  }
  const text = texts
    .map((t) => t.replace(SYSTEM_REMINDER, '').trim())
    .filter((t) => t.length > 0)
    .join('\n');
  return text.length > 0 ? text : undefined;
}

/** Number of real user prompts in a request's `messages`. */
export function countUserTurns(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let turns = 0;
  for (const message of messages) if (promptText(message) !== undefined) turns++;
  return turns;
}

/** Text of the last real user prompt, `''` when there is none. */
export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const text = promptText(messages[i]);
    if (text !== undefined) return text;
  }
  return '';
}

/** The default reply: `turn N: <last user text>`, so a test can see how much history a request carried. */
export function defaultReply(userTurns: number, lastText: string): string {
  return `turn ${userTurns}: ${lastText}`;
}

/**
 * The text of the tool result the request ends with (the CLI asks again after running a tool), or
 * `undefined` when the last user entry is not a tool result.
 */
export function lastToolResult(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as { role?: unknown; content?: unknown } | null;
    if (message?.role !== 'user') continue;
    if (!Array.isArray(message.content)) return undefined;
    const result = (message.content as Array<{ type?: unknown; content?: unknown }>).find(
      (block) => block?.type === 'tool_result',
    );
    if (result === undefined) return undefined;
    if (typeof result.content === 'string') return result.content;
    if (Array.isArray(result.content)) {
      return (result.content as Array<{ text?: unknown }>)
        .map((part) => (typeof part?.text === 'string' ? part.text : ''))
        .join('');
    }
    return '';
  }
  return undefined;
}
