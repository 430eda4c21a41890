/**
 * The one stream-json parser: every mode (run, stream, detached logs) reads the CLI's output through it.
 * It works on chunks as they arrive (lines may be split anywhere, even inside a UTF-8 character), never
 * holds more than the current unfinished line, and tolerates what it does not know: unknown line types
 * become `unknown` events, unknown fields are ignored, and a line that is not a JSON object becomes an
 * `invalid` event (the runner reports those only if the run then lacks a result line).
 */
import { StringDecoder } from 'node:string_decoder';
import type { ClaudeResult } from './types.js';

type Json = Record<string, unknown>;

export interface SystemEvent {
  type: 'system';
  /** `init`, `status`, `api_retry`, … */
  subtype: string;
  sessionId?: string;
  raw: Json;
}
export interface AssistantEvent {
  type: 'assistant';
  sessionId?: string;
  /** The API message id; several lines (one per content block) can share it. */
  messageId?: string;
  /** The text blocks of this line joined (`''` for a tool_use-only line). */
  text: string;
  content: unknown[];
  /** A message the CLI made up to report a failed API call (`API Error: 500 …`), not model output. */
  isApiError: boolean;
  raw: Json;
}
export interface UserEvent {
  type: 'user';
  sessionId?: string;
  raw: Json;
}
/** A token-level text delta (`stream_event` lines, printed with `--include-partial-messages`). */
export interface TextDeltaEvent {
  type: 'text_delta';
  text: string;
  sessionId?: string;
  raw: Json;
}
export interface ResultEvent {
  type: 'result';
  sessionId?: string;
  result: ClaudeResult;
  raw: Json;
}
/** A JSON line of a type this parser does not know (kept so callers can still use it). */
export interface UnknownEvent {
  type: 'unknown';
  /** The line's own `type` field. */
  lineType: string;
  sessionId?: string;
  raw: Json;
}
/** A line that is not a JSON object with a string `type`. */
export interface InvalidLineEvent {
  type: 'invalid';
  line: string;
  error: string;
}

export type StreamEvent =
  | SystemEvent
  | AssistantEvent
  | UserEvent
  | TextDeltaEvent
  | ResultEvent
  | UnknownEvent
  | InvalidLineEvent;

/** Push-based parser: feed chunks with `push`, then call `end` once; both return the completed events. */
export class StreamJsonParser {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** Parses every line completed by this chunk. */
  push(chunk: string | Uint8Array): StreamEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk as Buffer);
    const events: StreamEvent[] = [];
    let start = 0;
    let newline = text.indexOf('\n');
    if (newline === -1) {
      this.pending += text;
      return events;
    }
    // The first line may continue what earlier chunks left unfinished.
    pushLine(events, this.pending + text.slice(0, newline));
    this.pending = '';
    start = newline + 1;
    newline = text.indexOf('\n', start);
    while (newline !== -1) {
      pushLine(events, text.slice(start, newline));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.pending = text.slice(start);
    return events;
  }

  /** Parses the last line when the output did not end with a newline. */
  end(): StreamEvent[] {
    const events: StreamEvent[] = [];
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    pushLine(events, rest);
    return events;
  }
}

/** Parses a whole stream-json text (e.g. a finished log) into events. */
export function parseStreamJson(text: string): StreamEvent[] {
  const parser = new StreamJsonParser();
  return [...parser.push(text), ...parser.end()];
}

/** Parses a readable stream (process stdout, file stream) into events as they arrive. */
export async function* streamJsonEvents(
  source: AsyncIterable<string | Uint8Array>,
): AsyncGenerator<StreamEvent> {
  const parser = new StreamJsonParser();
  for await (const chunk of source) yield* parser.push(chunk);
  yield* parser.end();
}

function pushLine(events: StreamEvent[], line: string): void {
  // Tolerate CRLF and blank lines (some terminals and log shippers add them).
  const trimmed = line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
  if (trimmed.length === 0 || trimmed.trim().length === 0) return;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    events.push({ type: 'invalid', line: trimmed, error: (err as Error).message });
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    events.push({ type: 'invalid', line: trimmed, error: 'not a JSON object' });
    return;
  }
  events.push(toEvent(value as Json, trimmed));
}

/** Types one parsed line. */
export function toEvent(raw: Json, line = ''): StreamEvent {
  const type = raw.type;
  const sessionId = typeof raw.session_id === 'string' ? raw.session_id : undefined;
  switch (type) {
    case 'assistant': {
      const message = asObject(raw.message);
      const content = Array.isArray(message?.content) ? (message.content as unknown[]) : [];
      const event: AssistantEvent = {
        type: 'assistant',
        text: joinText(content),
        content,
        isApiError: raw.is_api_error_message === true,
        raw,
      };
      if (sessionId !== undefined) event.sessionId = sessionId;
      if (typeof message?.id === 'string') event.messageId = message.id;
      return event;
    }
    case 'result':
      return withSession<ResultEvent>({ type: 'result', result: toClaudeResult(raw), raw }, sessionId);
    case 'system':
      return withSession<SystemEvent>(
        { type: 'system', subtype: typeof raw.subtype === 'string' ? raw.subtype : '', raw },
        sessionId,
      );
    case 'user':
      return withSession<UserEvent>({ type: 'user', raw }, sessionId);
    case 'stream_event': {
      const event = asObject(raw.event);
      const delta = asObject(event?.delta);
      if (
        event?.type === 'content_block_delta' &&
        delta?.type === 'text_delta' &&
        typeof delta.text === 'string'
      ) {
        return withSession<TextDeltaEvent>({ type: 'text_delta', text: delta.text, raw }, sessionId);
      }
      return withSession<UnknownEvent>({ type: 'unknown', lineType: 'stream_event', raw }, sessionId);
    }
    default:
      if (typeof type !== 'string')
        return { type: 'invalid', line, error: 'the line has no string "type" field' };
      return withSession<UnknownEvent>({ type: 'unknown', lineType: type, raw }, sessionId);
  }
}

/** The typed view of a `result` line. Missing numbers read as 0 tokens / undefined cost and duration. */
export function toClaudeResult(raw: Json): ClaudeResult {
  const usage = asObject(raw.usage);
  const result: ClaudeResult = {
    text:
      typeof raw.result === 'string'
        ? raw.result
        : raw.result === undefined
          ? ''
          : JSON.stringify(raw.result),
    sessionId: typeof raw.session_id === 'string' ? raw.session_id : '',
    usage: {
      inputTokens: num(usage?.input_tokens) ?? 0,
      outputTokens: num(usage?.output_tokens) ?? 0,
      cacheReadTokens: num(usage?.cache_read_input_tokens) ?? 0,
      cacheCreationTokens: num(usage?.cache_creation_input_tokens) ?? 0,
    },
    isError: raw.is_error === true,
    raw,
  } as ClaudeResult;
  // Not enumerable: results compare and serialise as plain data.
  Object.defineProperty(result, 'toString', { value: resultText, enumerable: false });
  const cost = num(raw.total_cost_usd);
  if (cost !== undefined) result.totalCostUsd = cost;
  const duration = num(raw.duration_ms);
  if (duration !== undefined) result.durationMs = duration;
  const turns = num(raw.num_turns);
  if (turns !== undefined) result.numTurns = turns;
  if (typeof raw.subtype === 'string') result.subtype = raw.subtype;
  return result;
}

function resultText(this: ClaudeResult): string {
  return this.text;
}

function withSession<T extends { sessionId?: string }>(event: T, sessionId: string | undefined): T {
  if (sessionId !== undefined) event.sessionId = sessionId;
  return event;
}

function joinText(content: unknown[]): string {
  let text = '';
  for (const block of content) {
    const b = asObject(block);
    if (b?.type === 'text' && typeof b.text === 'string') text += b.text;
  }
  return text;
}

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
