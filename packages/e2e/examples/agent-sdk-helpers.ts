import { forkSession, getSessionMessages, listSessions } from '@anthropic-ai/claude-agent-sdk';
import {
  type SessionRunOptions,
  type SessionStorage,
  session,
  toAgentSessionStore,
} from '@channelcoder/session-core';

/** A session made by ChannelCoder, then listed, read and forked through the Agent SDK's helpers. */
export async function reviewThenBranch(
  storage: SessionStorage,
  dir: string,
  defaults: SessionRunOptions = {},
) {
  const review = session({ name: 'shop-review', tags: ['review'], storage, cwd: dir, defaults });
  await review.claude('review the diff');
  await review.claude('and the tests?');

  const sessionStore = toAgentSessionStore(storage);
  // Listed under the project of `dir`: our name is its title, our tags and cost its tag.
  const [listed] = await listSessions({ dir, sessionStore });
  if (listed === undefined) throw new Error('the session is not listed');
  const messages = await getSessionMessages(listed.sessionId, { dir, sessionStore });
  // Branch after the first answer: a new session whose metadata.parent points at that message.
  const firstAnswer = messages.find((m) => m.type === 'assistant');
  const fork = await forkSession(listed.sessionId, { dir, sessionStore, upToMessageId: firstAnswer?.uuid });
  return { title: listed.customTitle, tag: listed.tag, messages: messages.length, fork: fork.sessionId };
}
