/**
 * What the guide test checks after each program: every request Claude received carried exactly the
 * history stored for its session, and no autosaved entry was left beside the session it became.
 */
import { promptText, type RecordedRequest } from '@channelcoder/testkit';
import type { StoredSession } from './stored-sessions.js';

/** Names `session()` generates for a session saved before it was named. */
export const GENERATED_NAME = /^session-\d{8}-\d{6}-[0-9a-f]{8}$/;

/** The conversation a request carried: user prompts and assistant text, in order (`role: text`). */
export function conversationOf(request: RecordedRequest): string[] {
  const messages = (request.body as { messages?: unknown } | undefined)?.messages;
  if (!Array.isArray(messages)) return [];
  const out: string[] = [];
  for (const message of messages as Array<{ role?: unknown; content?: unknown }>) {
    if (message.role === 'user') {
      const text = promptText(message);
      if (text !== undefined) out.push(`user: ${text}`);
    } else if (message.role === 'assistant') {
      const content = message.content;
      const text =
        typeof content === 'string'
          ? content
          : Array.isArray(content)
            ? (content as Array<{ type?: unknown; text?: unknown }>)
                .filter((b) => b.type === 'text' && typeof b.text === 'string')
                .map((b) => b.text as string)
                .join('')
            : '';
      if (text !== '') out.push(`assistant: ${text}`);
    }
  }
  return out;
}

/**
 * Problems with the requests of one program: each must match a stored session (a user message of its
 * Claude session with its prompt) whose history up to that message is exactly what the request carried.
 * `allowUnstored`: the program chose not to store (autoSave: false).
 */
export function historyProblems(
  requests: RecordedRequest[],
  stored: StoredSession[],
  options: { allowUnstored?: boolean } = {},
): string[] {
  const problems: string[] = [];
  for (const [index, request] of requests.entries()) {
    const carried = conversationOf(request);
    const last = carried.filter((l) => l.startsWith('user: ')).at(-1);
    const candidates: string[][] = [];
    for (const s of stored) {
      s.messages.forEach((m, i) => {
        if (m.role === 'user' && m.sessionId === request.claudeSessionId && `user: ${m.content}` === last) {
          candidates.push(s.messages.slice(0, i + 1).map((x) => `${x.role}: ${x.content}`));
        }
      });
    }
    if (candidates.length === 0) {
      if (!options.allowUnstored) {
        problems.push(
          `request ${index + 1} (Claude session ${request.claudeSessionId ?? '?'}, prompt ${JSON.stringify(last)}) ` +
            'belongs to no stored session: a paid turn was not stored',
        );
      }
      continue;
    }
    if (!candidates.some((c) => JSON.stringify(c) === JSON.stringify(carried))) {
      problems.push(
        `request ${index + 1} carried ${JSON.stringify(carried)} but the stored history is ${JSON.stringify(candidates[0])}`,
      );
    }
  }
  return problems;
}

/** Autosaved entries (generated names) whose whole conversation is also stored under a chosen name. */
export function straySessions(stored: StoredSession[]): string[] {
  const stray: string[] = [];
  for (const s of stored) {
    if (!GENERATED_NAME.test(s.name) || s.chain.length === 0) continue;
    const named = stored.find(
      (o) =>
        o.where === s.where && !GENERATED_NAME.test(o.name) && s.chain.every((id) => o.chain.includes(id)),
    );
    if (named !== undefined)
      stray.push(`${s.where}/${s.name} (its conversation is saved as "${named.name}")`);
  }
  return stray;
}

/**
 * For a program that loads no session: the first request of each conversation it started must carry
 * only its own prompt (a session it created never continues one stored earlier under the same name).
 */
export function continuedConversations(requests: RecordedRequest[]): string[] {
  const seen = new Set<string | undefined>();
  const problems: string[] = [];
  for (const request of requests) {
    if (seen.has(request.claudeSessionId)) continue;
    seen.add(request.claudeSessionId);
    const prompts = conversationOf(request).filter((l) => l.startsWith('user: '));
    if (prompts.length > 1) {
      problems.push(
        `a new session continued a stored conversation: its first request carried ${prompts.length} prompts ` +
          `(${JSON.stringify(prompts)}); a session created under a taken name must start afresh and put the ` +
          'stored one in the trash',
      );
    }
  }
  return problems;
}
