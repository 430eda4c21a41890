/**
 * The packed message list (message-elements.ts): several messages per element, merged on append within
 * ELEMENT_BYTES, read as one JSON array; lists written one message per element by earlier versions still
 * load and accept appends; damage is reported, never half-loaded.
 */
import { SessionCorruptError } from '@channelcoder/session-core';
import { toWireMessage } from '@channelcoder/session-core/storage-kit';
import { makeState } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { sessionKeys } from '../src/keys.js';
import { ELEMENT_BYTES, packMessages } from '../src/message-elements.js';
import { connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const client: Redis = connect(inject('redisUrl'));
const prefix = uniquePrefix('elements');
const storage = new RedisSessionStorage({ client, prefix });

beforeAll(async () => {
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
});
afterEach(async () => {
  await deletePrefix(client, prefix);
});
afterAll(async () => {
  await client.quit();
});

function addMessage(state: ReturnType<typeof makeState>, content: string): void {
  const i = state.messages.length;
  state.messages.push({
    id: `m${i}`,
    role: i % 2 === 0 ? 'user' : 'assistant',
    content,
    timestamp: new Date(1_700_000_000_000 + i),
    sessionId: 'c1',
  });
}

describe('packMessages', () => {
  it('packs in order within ELEMENT_BYTES, a longer message alone', () => {
    const small = JSON.stringify({ text: 'a'.repeat(1_000) });
    const large = JSON.stringify({ text: 'b'.repeat(ELEMENT_BYTES + 10) });
    const texts = [small, small, large, ...Array(40).fill(small)];
    const elements = packMessages(texts);
    expect(JSON.parse(`[${elements.join(',')}]`)).toEqual(texts.map((t) => JSON.parse(t)));
    for (const element of elements) {
      if (element.includes('b')) expect(element).toBe(large);
      else expect(Buffer.byteLength(element)).toBeLessThanOrEqual(ELEMENT_BYTES);
    }
    // Bytes, not characters: multi-byte text fills an element sooner.
    const wide = JSON.stringify({ text: 'é'.repeat(3_000) }); // 6,000+ bytes, 3,000+ characters
    expect(packMessages([wide, wide, wide])).toHaveLength(2);
  });
});

describe('the packed message list', () => {
  it('round-trips non-ASCII content, control characters and messages longer than an element', async () => {
    const state = makeState({ messages: 0 });
    addMessage(state, 'héllo wörld 🚀 \u0000 \u2028 "quoted" \\ end');
    addMessage(state, 'x'.repeat(ELEMENT_BYTES * 3));
    addMessage(state, '日本語のテキスト');
    await storage.save(state, 'wide');
    addMessage(state, 'after 🚀');
    await storage.save(state, 'wide');
    const loaded = await new RedisSessionStorage({ client, prefix }).load('wide');
    expect(loaded.messages).toEqual(state.messages);
  });

  it('starts a new element when the last one has no room left', async () => {
    const state = makeState({ messages: 0 });
    addMessage(state, 'y'.repeat(ELEMENT_BYTES - 500));
    await storage.save(state, 'full');
    const list = sessionKeys(prefix, 'full').messages;
    expect(await client.llen(list)).toBe(1);
    addMessage(state, 'z'.repeat(1_000));
    await storage.save(state, 'full');
    expect(await client.llen(list)).toBe(2);
    expect((await storage.load('full')).messages).toEqual(state.messages);
  });

  it('loads a list stored one message per element (earlier versions) and appends to it', async () => {
    const state = makeState({ messages: 5 });
    await storage.save(state, 'legacy');
    const list = sessionKeys(prefix, 'legacy').messages;
    // Rewrite the list as earlier versions stored it: one JSON message per element.
    await client.del(list);
    await client.rpush(list, ...state.messages.map((m) => JSON.stringify(toWireMessage(m))));
    const reader = new RedisSessionStorage({ client, prefix });
    const loaded = await reader.load('legacy');
    expect(loaded.messages).toEqual(state.messages);
    addMessage(loaded, 'new turn');
    await reader.save(loaded, 'legacy');
    expect(await client.llen(list)).toBe(5); // merged into the last (small) element
    expect((await storage.load('legacy')).messages).toEqual(loaded.messages);
  });

  it('reports a damaged element as SessionCorruptError naming it, and changes nothing', async () => {
    const state = makeState({ messages: 3 });
    await storage.save(state, 'damaged');
    const list = sessionKeys(prefix, 'damaged').messages;
    await client.rpush(list, '{"id": broken');
    const before = await client.lrange(list, 0, -1);
    const error = await storage.load('damaged').catch((err: unknown) => err);
    expect(SessionCorruptError.is(error)).toBe(true);
    expect((error as Error).message).toContain(`element ${before.length - 1} is not`);
    expect((error as Error).message).toContain(list);
    expect(await client.lrange(list, 0, -1)).toEqual(before);
  });

  it('reports elements that parse to another number of messages than the head records', async () => {
    const state = makeState({ messages: 3 });
    await storage.save(state, 'extra');
    await client.rpush(
      sessionKeys(prefix, 'extra').messages,
      JSON.stringify(toWireMessage(state.messages[0]!)),
    );
    const error = await storage.load('extra').catch((err: unknown) => err);
    expect(SessionCorruptError.is(error)).toBe(true);
    expect((error as Error).message).toContain('has 4 entries but the head records 3');
  });
});
