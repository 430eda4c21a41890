/**
 * The browser viewer's reading of a session: its turns (prompt, answer, cost, duration, failure) from the
 * stored messages, with the tool calls, tool results and thinking of the stored or local Claude transcript
 * placed under the turn they belong to. Pure: no I/O.
 */
import type { ConversationItem, Message } from '@channelcoder/session-core';
import { promptsAndAnswers } from '../turn-pairs.js';

/** A step inside a turn, from the transcript. */
export type TurnStep =
  | { kind: 'thinking'; text: string }
  | {
      kind: 'tool';
      id: string;
      name: string;
      input: unknown;
      /** Absent while no result was recorded (an interrupted turn). */
      result?: { text: string; isError: boolean };
    };

/** One turn: a prompt and what came of it. */
export interface TurnView {
  /** The prompt's message id (the service's task id). */
  id: string;
  prompt: string;
  answer?: string;
  at: string;
  status: 'completed' | 'failed' | 'interrupted';
  error?: string;
  costUsd?: number;
  costUnknown?: boolean;
  durationMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** The turn was copied from the fork's parent. */
  inherited: boolean;
  steps: TurnStep[];
}

/**
 * Turns of a conversation. Transcript items are matched to turns by their prompt text, in order; items
 * before the first matched prompt, or of a prompt that matches no stored turn, go with the turn before.
 */
export function conversationTurns(
  messages: readonly Message[],
  items: readonly ConversationItem[],
  inheritedCount = 0,
): TurnView[] {
  const turns: TurnView[] = [];
  for (const { index, prompt: m, answer, details, failed } of promptsAndAnswers(messages)) {
    const turn: TurnView = {
      id: m.id,
      prompt: m.content,
      at: m.timestamp.toISOString(),
      status: m.turn?.interrupted === true ? 'interrupted' : failed ? 'failed' : 'completed',
      inherited: index < inheritedCount,
      steps: [],
    };
    if (answer !== undefined) turn.answer = answer.content;
    if (m.turn?.error !== undefined) turn.error = m.turn.error;
    if (details?.costUsd !== undefined) turn.costUsd = details.costUsd;
    if (details?.costUnknown === true) turn.costUnknown = true;
    if (details?.durationMs !== undefined) turn.durationMs = details.durationMs;
    if (details?.inputTokens !== undefined) turn.inputTokens = details.inputTokens;
    if (details?.outputTokens !== undefined) turn.outputTokens = details.outputTokens;
    turns.push(turn);
  }
  placeSteps(turns, items);
  return turns;
}

function placeSteps(turns: TurnView[], items: readonly ConversationItem[]): void {
  if (turns.length === 0) return;
  let current = 0;
  let nextToMatch = 0;
  const tools = new Map<string, Extract<TurnStep, { kind: 'tool' }>>();
  for (const item of items) {
    if (item.kind === 'prompt') {
      // A failed prompt stays in the transcript and the next one is merged into it: match by inclusion,
      // and a run of consecutive included prompts belongs to the last of them (the one that ran).
      const included = (t: number) => {
        const prompt = (turns[t] as TurnView).prompt.trim();
        return prompt !== '' && item.text.includes(prompt);
      };
      for (let t = nextToMatch; t < turns.length; t++) {
        if (!included(t)) continue;
        while (t + 1 < turns.length && included(t + 1)) t++;
        current = t;
        nextToMatch = t + 1;
        break;
      }
    } else if (item.kind === 'thinking') {
      (turns[current] as TurnView).steps.push({ kind: 'thinking', text: item.text });
    } else if (item.kind === 'tool_call') {
      const step: Extract<TurnStep, { kind: 'tool' }> = {
        kind: 'tool',
        id: item.id,
        name: item.name,
        input: item.input,
      };
      tools.set(item.id, step);
      (turns[current] as TurnView).steps.push(step);
    } else if (item.kind === 'tool_result') {
      const call = tools.get(item.toolUseId);
      const result = { text: item.text, isError: item.isError };
      if (call !== undefined) call.result = result;
      else
        (turns[current] as TurnView).steps.push({
          kind: 'tool',
          id: item.toolUseId,
          name: '(unknown tool)',
          input: null,
          result,
        });
    }
  }
}
