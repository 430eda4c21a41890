import { describe, expect, it } from 'vitest';
import { chunkOf } from '../../src/runner/stream.js';
import {
  parseStreamJson,
  type StreamEvent,
  StreamJsonParser,
  streamJsonEvents,
} from '../../src/runner/stream-json.js';

const SID = '3b28a804-0990-4954-ac0f-2375b103f84b';
const lines = [
  { type: 'system', subtype: 'init', session_id: SID, tools: ['Bash'], some_future_field: { x: 1 } },
  {
    type: 'assistant',
    session_id: SID,
    message: { id: 'msg_1', content: [{ type: 'text', text: 'héllo 🌍 ' }] },
  },
  {
    type: 'assistant',
    session_id: SID,
    message: { id: 'msg_1', content: [{ type: 'tool_use', id: 't', name: 'Bash' }] },
  },
  { type: 'user', session_id: SID, message: { content: [{ type: 'tool_result', content: 'ok' }] } },
  { type: 'assistant', session_id: SID, message: { id: 'msg_2', content: [{ type: 'text', text: 'done' }] } },
  {
    type: 'result',
    subtype: 'success',
    is_error: false,
    result: 'héllo 🌍 done',
    session_id: SID,
    total_cost_usd: 0.00028,
    duration_ms: 91,
    num_turns: 2,
    usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 7, cache_creation_input_tokens: 3 },
  },
];
const text = `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

function summary(events: StreamEvent[]): string[] {
  return events.map((e) => (e.type === 'assistant' ? `assistant:${e.text}` : e.type));
}

describe('StreamJsonParser', () => {
  it('types every kind of line and reads the result line', () => {
    const events = parseStreamJson(text);
    expect(summary(events)).toEqual([
      'system',
      'assistant:héllo 🌍 ',
      'assistant:',
      'user',
      'assistant:done',
      'result',
    ]);
    const result = events.at(-1);
    expect(result?.type).toBe('result');
    if (result?.type !== 'result') return;
    expect(result.result).toMatchObject({
      text: 'héllo 🌍 done',
      sessionId: SID,
      totalCostUsd: 0.00028,
      durationMs: 91,
      numTurns: 2,
      isError: false,
      subtype: 'success',
      usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 7, cacheCreationTokens: 3 },
    });
    expect(result.result.raw).toEqual(lines.at(-1));
  });

  it('gives the same events whatever the chunk boundaries, even inside a UTF-8 character', () => {
    const expected = parseStreamJson(text);
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 5, 64, 1000]) {
      const parser = new StreamJsonParser();
      const events: StreamEvent[] = [];
      for (let i = 0; i < bytes.length; i += size) events.push(...parser.push(bytes.subarray(i, i + size)));
      events.push(...parser.end());
      expect(events, `chunk size ${size}`).toEqual(expected);
    }
  });

  it('emits a line as soon as its newline arrives, not at the end of the output', () => {
    const parser = new StreamJsonParser();
    const first = JSON.stringify(lines[0]);
    expect(parser.push(first.slice(0, 10))).toEqual([]);
    expect(parser.push(`${first.slice(10)}\n{"type":"ass`).map((e) => e.type)).toEqual(['system']);
  });

  it('reads a last line without a trailing newline, CRLF line ends and blank lines', () => {
    const crlf = `\r\n${lines.map((l) => JSON.stringify(l)).join('\r\n\r\n')}`;
    expect(summary(parseStreamJson(crlf))).toEqual(summary(parseStreamJson(text)));
  });

  it('keeps unknown line types as unknown events with their fields', () => {
    const events = parseStreamJson('{"type":"rate_limit_event","session_id":"s1","info":{"a":1}}\n');
    expect(events).toEqual([
      {
        type: 'unknown',
        lineType: 'rate_limit_event',
        sessionId: 's1',
        raw: { type: 'rate_limit_event', session_id: 's1', info: { a: 1 } },
      },
    ]);
  });

  it('reports garbage lines as invalid events and goes on parsing', () => {
    const events = parseStreamJson(`Warning: something\n[1]\n{"no_type":true}\n${text}`);
    expect(events.slice(0, 3).map((e) => e.type)).toEqual(['invalid', 'invalid', 'invalid']);
    const first = events[0];
    expect(first?.type === 'invalid' && first.line).toBe('Warning: something');
    expect(events.at(-1)?.type).toBe('result');
  });

  it('reads is_error, not subtype: an API failure has subtype success', () => {
    const [event] = parseStreamJson(
      '{"type":"result","subtype":"success","is_error":true,"result":"API Error: 500","session_id":"s"}\n',
    );
    expect(event?.type === 'result' && event.result.isError).toBe(true);
  });

  it('turns token deltas of --include-partial-messages into text_delta events', () => {
    const [event] = parseStreamJson(
      '{"type":"stream_event","session_id":"s","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"tok"}}}\n',
    );
    expect(event).toMatchObject({ type: 'text_delta', text: 'tok', sessionId: 's' });
  });

  it("marks the CLI's own API-error message, which stream() does not yield as a chunk", () => {
    const [event] = parseStreamJson(
      '{"type":"assistant","session_id":"s","is_api_error_message":true,"message":{"content":[{"type":"text","text":"API Error: 500"}]}}\n',
    );
    expect(event?.type === 'assistant' && event.isApiError).toBe(true);
    expect(event && chunkOf(event, false)).toBeUndefined();
    const [normal] = parseStreamJson(`${JSON.stringify(lines[1])}\n`);
    expect(normal && chunkOf(normal, false)).toEqual({ type: 'text', content: 'héllo 🌍 ', sessionId: SID });
  });

  it('JSON-stringifies a structured result', () => {
    const [event] = parseStreamJson(
      '{"type":"result","is_error":false,"result":{"a":[1]},"session_id":"s"}\n',
    );
    expect(event?.type === 'result' && event.result.text).toBe('{"a":[1]}');
  });

  it('parses an async stream of chunks', async () => {
    async function* chunks() {
      for (let i = 0; i < text.length; i += 17) yield text.slice(i, i + 17);
    }
    const events: StreamEvent[] = [];
    for await (const event of streamJsonEvents(chunks())) events.push(event);
    expect(events).toEqual(parseStreamJson(text));
  });
});
