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
