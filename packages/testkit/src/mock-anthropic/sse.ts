import type { ServerResponse } from 'node:http';
import type { MockUsage, ReplyBlock } from './types.js';

/** A finished reply, written either as Server-Sent Events or as one JSON message. */
export interface ReplyMessage {
  id: string;
  model: string;
  blocks: ReplyBlock[];
  usage: MockUsage;
}

function contentJson(block: ReplyBlock, index: number, replyId: string): Record<string, unknown> {
  if (typeof block === 'string') return { type: 'text', text: block };
  if (block.type === 'thinking')
    return { type: 'thinking', thinking: block.thinking, signature: 'mock-signature' };
  return {
    type: 'tool_use',
    id: block.id ?? toolUseId(replyId, index),
    name: block.name,
    input: block.input,
  };
}

function toolUseId(replyId: string, index: number): string {
  return `toolu_${replyId.replace(/^msg_/, '')}_${index}`;
}

function stopReason(reply: ReplyMessage): string {
  return reply.blocks.some((b) => typeof b !== 'string' && b.type === 'tool_use') ? 'tool_use' : 'end_turn';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The Messages API response body for `stream: false`. */
export function messageJson(reply: ReplyMessage): Record<string, unknown> {
  return {
    id: reply.id,
    type: 'message',
    role: 'assistant',
    model: reply.model,
    content: reply.blocks.map((block, index) => contentJson(block, index, reply.id)),
    stop_reason: stopReason(reply),
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
  for (const [index, block] of reply.blocks.entries()) {
    if (typeof block === 'string') {
      await send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of splitForDeltas(block)) {
        await send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
      }
    } else if (block.type === 'thinking') {
      await send('content_block_start', {
        index,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      });
      for (const piece of splitForDeltas(block.thinking)) {
        await send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } });
      }
      await send('content_block_delta', {
        index,
        delta: { type: 'signature_delta', signature: 'mock-signature' },
      });
    } else {
      const id = block.id ?? toolUseId(reply.id, index);
      await send('content_block_start', {
        index,
        content_block: { type: 'tool_use', id, name: block.name, input: {} },
      });
      await send('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
      });
    }
    await send('content_block_stop', { index });
  }
  if (options.beforeStop) await options.beforeStop();
  await send('message_delta', {
    delta: { stop_reason: stopReason(reply), stop_sequence: null },
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
