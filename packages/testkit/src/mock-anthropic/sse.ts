import type { ServerResponse } from 'node:http';
import type { MockUsage } from './types.js';

/** A finished reply, written either as Server-Sent Events or as one JSON message. */
export interface ReplyMessage {
  id: string;
  model: string;
  blocks: string[];
  usage: MockUsage;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The Messages API response body for `stream: false`. */
export function messageJson(reply: ReplyMessage): Record<string, unknown> {
  return {
    id: reply.id,
    type: 'message',
    role: 'assistant',
    model: reply.model,
    content: reply.blocks.map((text) => ({ type: 'text', text })),
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: reply.usage,
  };
}

/**
 * Writes the reply as the event sequence the real API streams: message_start, per block
 * content_block_start / content_block_delta (text_delta) / content_block_stop, message_delta with
 * stop_reason and usage, message_stop. `beforeStop` runs after the content blocks (tests hold a reply there).
 */
export async function writeSse(
  res: ServerResponse,
  reply: ReplyMessage,
  options: { eventDelayMs: number; beforeStop?: () => Promise<void> },
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'request-id': `req_${reply.id}`,
  });
  const send = async (event: string, data: Record<string, unknown>) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
    if (options.eventDelayMs > 0) await sleep(options.eventDelayMs);
  };
  await send('message_start', {
    message: {
      ...messageJson({ ...reply, blocks: [] }),
      stop_reason: null,
      usage: { ...reply.usage, output_tokens: 1 },
    },
  });
  for (const [index, text] of reply.blocks.entries()) {
    await send('content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (const piece of splitForDeltas(text)) {
      await send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    }
    await send('content_block_stop', { index });
  }
  if (options.beforeStop) await options.beforeStop();
  await send('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: reply.usage.output_tokens },
  });
  await send('message_stop', {});
  res.end();
}

/** Splits text into a few deltas (about 16 characters each) so clients see real incremental streaming. */
function splitForDeltas(text: string): string[] {
  if (text.length === 0) return [''];
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += 16) pieces.push(text.slice(i, i + 16));
  return pieces;
}
