/** The documented key layout, incremental writes and the number of round trips, observed on the server. */

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { addMessages, makeState } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import {
  indexKeys,
  KEY_LAYOUT,
  type KeyKind,
  projectIndexKey,
  sessionKeys,
  transcriptKey,
} from '../src/keys.js';
import { type CommandLog, recordCommands } from './support/command-log.js';
import { connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const client: Redis = connect(inject('redisUrl'));
let prefix: string;
let storage: RedisSessionStorage;
let log: CommandLog;

beforeEach(() => {
  prefix = uniquePrefix('layout');
  storage = new RedisSessionStorage({ client, prefix });
  log = recordCommands(client);
});
afterEach(async () => {
  log.restore();
  await deletePrefix(client, prefix);
});
afterAll(async () => {
  await client.quit();
});

/** Message JSON texts passed to the save script (its arguments after the seven fixed ones). */
function scriptMessages(): string[] {
  const save = log.commands.filter((c) => c.name === 'eval' || c.name === 'evalsha').at(-1);
  if (save === undefined) throw new Error('no script call recorded');
  const numKeys = Number(save.args[1]);
  return save.args.slice(2 + numKeys + 8).map(String);
}

describe('key layout', () => {
  it('stores a head string, a message list, and the index under the documented keys', async () => {
    const state = makeState({ messages: 3 });
    await storage.save(state, 'laid-out');
    const keys = sessionKeys(prefix, 'laid-out');
    const index = indexKeys(prefix);
    expect(keys).toEqual({
      head: `${prefix}{laid-out}:head`,
      messages: `${prefix}{laid-out}:messages`,
      transcripts: `${prefix}{laid-out}:transcripts`,
      lease: `${prefix}{laid-out}:lease`,
      leaseToken: `${prefix}{laid-out}:lease-token`,
    });
    expect(transcriptKey(prefix, 'laid-out', 'abc')).toBe(`${prefix}{laid-out}:transcript:abc`);
    expect(index).toEqual({
      order: `${prefix}{index}:order`,
      members: `${prefix}{index}:members`,
      names: `${prefix}{index}:names`,
      namesState: `${prefix}{index}:names-state`,
      projects: `${prefix}{index}:projects`,
      projectsState: `${prefix}{index}:projects-state`,
    });
    expect(projectIndexKey(prefix, '-home-dev-repo')).toBe(`${prefix}{index}:project:-home-dev-repo`);
    expect(await client.type(keys.head)).toBe('string');
    expect(await client.type(keys.messages)).toBe('list');
    expect(await client.type(index.order)).toBe('zset');
    expect(await client.type(index.members)).toBe('hash');

    const head = JSON.parse((await client.get(keys.head))!) as Record<string, unknown>;
    expect(head).not.toHaveProperty('messages');
    expect(head).toMatchObject({ revision: 1, messageCount: 3, lastMessageId: state.messages[2]?.id });
    // Messages are packed several to an element: the elements joined by commas are their JSON array.
    const elements = await client.lrange(keys.messages, 0, -1);
    expect(elements).toHaveLength(1);
    const stored = (JSON.parse(`[${elements.join(',')}]`) as { id: string }[]).map((m) => m.id);
    expect(stored).toEqual(state.messages.map((m) => m.id));
    const member = await client.hget(index.members, 'laid-out');
    expect(await client.zrange(index.order, '0', '-1')).toEqual([member]);
    expect(member).toMatch(/^\d{17}:laid-out$/);
  });

  it('is documented in the README table exactly as KEY_LAYOUT builds the keys', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Key layout'),
      readme.indexOf('\n## ', readme.indexOf('## Key layout') + 1),
    );
    const documented = [...section.matchAll(/^\|\s*`([^`]+)`\s*\|\s*(\w+)\s*\|/gm)].map((m) => [m[1], m[2]]);
    const shown = (key: string) => key.replace('\u0000', '\\0'); // the README writes the NUL as \0
    expect(documented).toEqual(
      KEY_LAYOUT.map((k) => [shown(k.key('P', '<name>', '<claudeSessionId>', '<id>')), k.type]),
    );
  });

  it('KEY_LAYOUT covers every key a workload of every operation leaves, with its Redis type', async () => {
    // Sentinels stand for the name and the Claude id, so a layout entry becomes a pattern.
    const NAME = '\u0001name\u0001';
    const ID = '\u0001id\u0001';
    const TRASH = '\u0001trash\u0001';
    const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const patterns = KEY_LAYOUT.map((kind) => ({
      kind,
      re: new RegExp(
        `^${literal(kind.key(prefix, NAME, ID, TRASH))
          .replaceAll(literal(NAME), '[^{}]+')
          .replaceAll(literal(TRASH), '[A-Za-z0-9._-]+')
          .replaceAll(literal(ID), '[^\u0000]+')
          .replaceAll(literal('<projectKey>'), '.+')}$`,
      ),
    }));
    const worked = makeState({ messages: 3 });
    worked.metadata.cwd = '/home/dev/repo';
    await storage.save(worked, 'worked');
    await storage.appendTranscript('worked', 'plain-id', [{ type: 'user' }, { type: 'assistant' }], 0);
    await storage.appendTranscript('worked', 'agent-id', [{ type: 'user', uuid: randomUUID() }], 0, {
      dedupe: 'uuid',
    });
    const lease = await storage.lease('worked', { ttlMs: 60_000 });
    const state = await storage.load('worked');
    addMessages(state, 1);
    await storage.save(state, 'worked', { lease });
    await storage.lease('lease-only', { ttlMs: 60_000 });
    await storage.save(makeState({ messages: 2 }), 'binned');
    await storage.appendTranscript('binned', 'plain-id', [{ type: 'user' }], 0);
    await storage.appendTranscript('binned', 'agent-id', [{ type: 'user', uuid: randomUUID() }], 0, {
      dedupe: 'uuid',
    });
    await storage.moveToTrash('binned');
    await storage.list({ prefix: 'wor' });
    await storage.list({ projectKey: '-home-dev-repo' });
    // The first project listing completes the project index; the next builds its listing set.
    await storage.list({ projectKey: '-home-dev-repo' });
    await storage.list({ projectKey: '-home-dev-repo' });

    const keys = await client.keys(`${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
    const seen = new Set<KeyKind>();
    for (const key of keys) {
      const matches = patterns.filter((p) => p.re.test(key));
      expect(matches, `${JSON.stringify(key)} is one kind of KEY_LAYOUT`).toHaveLength(1);
      const kind = matches[0]!.kind;
      expect((await client.type(key)).toUpperCase(), key).toBe(kind.type);
      seen.add(kind);
    }
    // The workload wrote every kind (so the list has no kind the storage never writes).
    expect(
      KEY_LAYOUT.filter((k) => !seen.has(k)).map((k) => k.key('P', '<name>', '<id>', '<trash-id>')),
    ).toEqual([]);
    await lease.release();
  });

  it('keeps no other keys than those (transcripts appear only when appended)', async () => {
    await storage.save(makeState({ messages: 2 }), 'one');
    await storage.save(makeState({ messages: 2 }), 'two');
    const keys = await client.keys(`${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
    expect(keys.sort()).toEqual(
      [
        `${prefix}{index}:members`,
        `${prefix}{index}:names`,
        `${prefix}{index}:order`,
        `${prefix}{index}:projects`,
        `${prefix}{one}:head`,
        `${prefix}{one}:messages`,
        `${prefix}{two}:head`,
        `${prefix}{two}:messages`,
      ].sort(),
    );
  });
});

describe('incremental saves', () => {
  it('sends only the new messages and the head', async () => {
    const state = makeState({ messages: 40 });
    await storage.save(state, 'growing');
    const ids = (elements: string[]) =>
      (JSON.parse(`[${elements.join(',')}]`) as { id: string }[]).map((m) => m.id);
    expect(ids(scriptMessages())).toEqual(state.messages.map((m) => m.id));
    const list = sessionKeys(prefix, 'growing').messages;
    const elementsBefore = await client.llen(list);
    addMessages(state, 2);
    log.reset();
    await storage.save(state, 'growing');
    expect(ids(scriptMessages())).toEqual(state.messages.slice(40).map((m) => m.id));
    // The two small messages were merged into the list's last element, which had room.
    expect(await client.llen(list)).toBe(elementsBefore);
    expect(ids(await client.lrange(list, 0, -1))).toEqual(state.messages.map((m) => m.id));
  });

  it('replaces the stored list after clear()', async () => {
    const state = makeState({ messages: 6 });
    await storage.save(state, 'cleared');
    state.messages = makeState({ messages: 1 }).messages;
    await storage.save(state, 'cleared');
    const stored = (await client.lrange(sessionKeys(prefix, 'cleared').messages, 0, -1)).map(
      (m) => JSON.parse(m).id,
    );
    expect(stored).toEqual(state.messages.map((m) => m.id));
    state.messages = [];
    await storage.save(state, 'cleared');
    expect(await client.exists(sessionKeys(prefix, 'cleared').messages)).toBe(0);
    expect((await storage.load('cleared')).messages).toEqual([]);
  });
});

describe('round trips', () => {
  it('a save of a session this storage saved or loaded is one script call', async () => {
    const state = makeState({ messages: 4 });
    log.reset();
    await storage.save(state, 'hot');
    expect(log.roundTrips()).toBe(1);
    addMessages(state, 2);
    log.reset();
    await storage.save(state, 'hot');
    expect(log.roundTrips()).toBe(1);

    const other = new RedisSessionStorage({ client, prefix });
    const loaded = await other.load('hot');
    addMessages(loaded, 2);
    log.reset();
    await other.save(loaded, 'hot');
    expect(log.roundTrips()).toBe(1);
  });

  it('a save of a session this storage has not seen is a head read plus the script', async () => {
    const state = makeState({ messages: 4 });
    await storage.save(state, 'cold');
    const other = new RedisSessionStorage({ client, prefix });
    addMessages(state, 2);
    log.reset();
    await other.save(state, 'cold');
    expect(log.roundTrips()).toBe(2);
    expect(log.names()).toEqual(['get', expect.stringMatching(/^eval(sha)?$/)]);
  });

  it('a stale remembered head costs one more script call, not a lost update', async () => {
    const state = makeState({ messages: 2 });
    await storage.save(state, 'raced');
    const rival = new RedisSessionStorage({ client, prefix });
    const copy = await rival.load('raced');
    addMessages(copy, 1);
    await rival.save(copy, 'raced');
    addMessages(state, 1);
    log.reset();
    await expect(storage.save(state, 'raced')).rejects.toMatchObject({ code: 'SESSION_CONFLICT' });
    expect(log.roundTrips()).toBe(1);
    expect((await storage.load('raced')).messages.map((m) => m.id)).toEqual(copy.messages.map((m) => m.id));
  });

  it('list reads the index and heads only: no message list, no KEYS or SCAN', async () => {
    for (let i = 0; i < 5; i++) await storage.save(makeState({ messages: 3 }), `s-${i}`);
    log.reset();
    const listed = await storage.list({ limit: 3 });
    expect(listed).toHaveLength(3);
    const names = new Set(log.names());
    for (const forbidden of ['lrange', 'lindex', 'keys', 'scan', 'sort'])
      expect(names.has(forbidden)).toBe(false);
    expect(log.roundTrips()).toBe(2);
  });
});
