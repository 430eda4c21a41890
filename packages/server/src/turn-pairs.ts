/** The turns of a stored conversation: each user message and the assistant answer that follows it. */
import type { Message, TurnDetails } from '@channelcoder/session-core';

export interface PromptAndAnswer {
  /** Index of the prompt in the messages. */
  index: number;
  prompt: Message;
  answer?: Message;
  /** The turn's figures: the answer's, else the prompt's (a failed turn records them on the prompt). */
  details?: TurnDetails;
  failed: boolean;
}

export function* promptsAndAnswers(messages: readonly Message[]): Generator<PromptAndAnswer> {
  for (let index = 0; index < messages.length; index++) {
    const prompt = messages[index] as Message;
    if (prompt.role !== 'user') continue;
    const next = messages[index + 1];
    const answer = next?.role === 'assistant' ? next : undefined;
    const details = answer?.turn ?? prompt.turn;
    const pair: PromptAndAnswer = { index, prompt, failed: prompt.turn?.isError === true };
    if (answer !== undefined) pair.answer = answer;
    if (details !== undefined) pair.details = details;
    yield pair;
  }
}
