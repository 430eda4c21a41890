/**
 * The trash on a real server: a move renames keys (never copies values) in one script, a restore renames
 * them back with the revision and transcripts, and two processes moving the same sessions at once leave
 * exactly one entry per session.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SessionConflictError, SessionCorruptError, SessionNotFoundError } from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { indexKeys, sessionKeys, transcriptKey, trashedKeys, trashIndexKeys } from '../src/keys.js';
import { recordCommands } from './support/command-log.js';
import { backdoor, connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const url = inject('redisUrl');
const client: Redis = connect(url);
let prefix: string;
let storage: RedisSessionStorage;

beforeEach(() => {
  prefix = uniquePrefix('trash');
  storage = new RedisSessionStorage({ client, prefix, ttlSeconds: 3600 });
});
afterEach(async () => {
  await deletePrefix(client, prefix);
});
afterAll(async () => {
  await client.quit();
});

describe('trash', () => {
  it('moves by renaming in one script and restores the same keys, revision and transcripts', async () => {
    const state = makeState({ messages: 300 });
    await storage.save(state, 'binned');
    await storage.appendTranscript('binned', 'claude-a', [{ type: 'user', n: 1 }, { type: 'assistant' }], 0);
    const keys = sessionKeys(prefix, 'binned');
    const before = await client.lrange(keys.messages, 0, -1);

    const log = recordCommands(client);
    const entry = await storage.moveToTrash('binned', { reason: 'replaced' });
    log.restore();
    // One read of the head, one script call: no value travels to the client or is copied by the script.
    expect(log.names()).toEqual(['get', expect.stringMatching(/^eval(sha)?$/)]);
    expect(entry).toMatchObject({ name: 'binned', reason: 'replaced', session: { messageCount: 300 } });

    const trashed = trashedKeys(prefix, 'binned', entry!.id);
    expect(await client.exists(keys.head, keys.messages, keys.transcripts)).toBe(0);
    expect(await client.lrange(trashed.messages, 0, -1)).toEqual(before);
    expect(await client.exists(`${prefix}{binned}:trash:${entry!.id}:transcript:claude-a`)).toBe(1);
    expect(await client.hget(indexKeys(prefix).members, 'binned')).toBeNull();
    // The trashed keys expire after the entry does (a day later), not with the session's ttl.
    const expiry = await client.pexpiretime(trashed.head);
    expect(expiry).toBeGreaterThan(entry!.expiresAt.getTime());
    expect(await storage.loadTranscript('binned', 'claude-a')).toBeNull();

    // The name is free: a new session there does not block the entry, but restoring onto it is refused.
    const other = makeState({ messages: 1 });
    await storage.save(other, 'binned');
    await expect(storage.restoreFromTrash(entry!.id)).rejects.toSatisfy(
      (err) => SessionConflictError.is(err) && err.reason === 'name-taken',
    );
    expect(await client.lrange(trashed.messages, 0, -1)).toEqual(before); // nothing changed

    expect(await storage.restoreFromTrash(entry!.id, { name: 'binned-again' })).toBe('binned-again');
    const restored = await storage.load('binned-again');
    expect(restored.revision).toBe(state.revision);
    expect(restored.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
    expect(await storage.loadTranscript('binned-again', 'claude-a')).toEqual([
      { type: 'user', n: 1 },
      { type: 'assistant' },
    ]);
    // The restored session has the storage's ttl again; its trash keys and entry are gone.
    expect(await client.pttl(sessionKeys(prefix, 'binned-again').head)).toBeGreaterThan(0);
    expect(await client.pttl(transcriptKey(prefix, 'binned-again', 'claude-a'))).toBeGreaterThan(0);
    expect(await client.exists(trashed.head, trashed.messages, trashed.transcripts)).toBe(0);
    expect(await client.zcard(trashIndexKeys(prefix).order)).toBe(0);
    await expect(storage.restoreFromTrash(entry!.id)).rejects.toSatisfy(SessionNotFoundError.is);
  });

  it('two processes moving the same sessions at once: exactly one entry per session', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `raced-${i}`);
    for (const name of names) await storage.save(makeState({ messages: 2 }), name);
    const script = fileURLToPath(new URL('./fixtures/trash-mover.mjs', import.meta.url));
    const children = [0, 1].map(() => {
      const proc = spawn(process.execPath, [script, url, prefix, ...names], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      proc.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
      });
      proc.stderr.setEncoding('utf8').on('data', (c: string) => {
        err += c;
      });
      const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
      return { proc, exited, out: () => out, err: () => err };
    });
    const ready = async (c: (typeof children)[number]) => {
      for (let i = 0; i < 600 && !c.out().includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(c.out(), c.err()).toContain('ready');
    };
    await Promise.all(children.map(ready));
    for (const c of children) c.proc.stdin.end('go\n');
    const codes = await Promise.all(children.map((c) => c.exited));
    expect(codes, children.map((c) => c.err()).join('\n')).toEqual([0, 0]);

    const lines = children.flatMap((c) => c.out().trim().split('\n').slice(1));
    const entries = await storage.listTrash();
    for (const name of names) {
      const moved = lines.filter((l) => l.startsWith(`moved ${name} `));
      expect(moved, name).toHaveLength(1);
      expect(
        lines.filter((l) => l === `absent ${name}`),
        name,
      ).toHaveLength(1);
      const listed = entries.filter((e) => e.name === name);
      expect(listed.map((e) => e.id)).toEqual([moved[0]!.split(' ')[2]]);
    }
    expect(await storage.list()).toEqual([]);
  });

  it('moves and restores a damaged session, still reported as damaged', async () => {
    await storage.save(makeState({ messages: 2 }), 'damaged');
    await backdoor(client, prefix).corrupt('damaged');
    const entry = await storage.moveToTrash('damaged');
    expect(entry?.session.error).toBeDefined();
    expect(await storage.list()).toEqual([]);
    expect(await storage.restoreFromTrash(entry!.id)).toBe('damaged');
    expect((await storage.list()).map((i) => [i.name, i.error !== undefined])).toEqual([['damaged', true]]);
    await expect(storage.load('damaged')).rejects.toSatisfy(SessionCorruptError.is);
  });

  it('purges the expired entries (and their keys) and keeps the others', async () => {
    await storage.save(makeState({ messages: 2 }), 'short');
    await storage.save(makeState({ messages: 2 }), 'long');
    const short = await storage.moveToTrash('short', { retentionMs: 1 });
    const long = await storage.moveToTrash('long');
    for (let i = 0; i < 100 && Date.now() <= short!.expiresAt.getTime(); i++)
      await new Promise((r) => setTimeout(r, 5));
    expect((await storage.listTrash()).map((e) => e.id)).toEqual([long!.id]);
    expect(await storage.purgeTrash()).toBe(1);
    expect(await client.exists(trashedKeys(prefix, 'short', short!.id).head)).toBe(0);
    expect(await client.exists(trashedKeys(prefix, 'long', long!.id).head)).toBe(1);
    expect(await storage.purgeTrash({ all: true })).toBe(1);
    expect(await client.keys(`${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`)).toEqual([]);
  });
});
