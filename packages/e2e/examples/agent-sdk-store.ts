import { listSessions, type Options, query } from '@anthropic-ai/claude-agent-sdk';
import { type SessionStorage, toAgentSessionStore } from '@channelcoder/session-core';

/** One prompt through the Agent SDK, its transcript kept in a ChannelCoder storage. */
export async function askWithStorage(storage: SessionStorage, prompt: string, options: Options) {
  const sessionStore = toAgentSessionStore(storage);
  let answer: { sessionId: string; text: string } | undefined;
  for await (const message of query({ prompt, options: { ...options, sessionStore } })) {
    if (message.type === 'result' && message.subtype === 'success') {
      answer = { sessionId: message.session_id, text: message.result };
    }
  }
  // The SDK's own helpers read the stored sessions too.
  const sessions = await listSessions({ dir: options.cwd, sessionStore });
  return { ...answer, sessions: sessions.map((s) => s.sessionId) };
}
