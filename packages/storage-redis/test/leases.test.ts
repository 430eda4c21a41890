/** Leases across processes on one server, their keys, and their round trips. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LeaseLostError, SessionBusyError } from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { sessionKeys } from '../src/keys.js';
import { recordCommands } from './support/command-log.js';
import { connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const url = inject('redisUrl');
const client: Redis = connect(url);
const prefixes: string[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const prefix of prefixes.splice(0)) await deletePrefix(client, prefix);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(async () => {
  await client.quit();
});

function freshPrefix(): string {
  const prefix = uniquePrefix('leases');
  prefixes.push(prefix);
  return prefix;
}

/** Runs the fixture on the built package; resolves its stdout lines and exit code. */
function child(args: string[]) {
  const proc = spawn(
    process.execPath,
    [fileURLToPath(new URL('./fixtures/lease-contender.mjs', import.meta.url)), ...args],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  proc.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const line = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = out.split('\n').find((l) => l.startsWith(prefix));
        if (found !== undefined) resolve(found);
      };
      proc.stdout.on('data', check);
      exited.then(() => reject(new Error(`exited before "${prefix}": ${err}`)));
      check();
    });
  return { proc, exited, line, stderr: () => err };
}

/** Checks an overlap log: holds never overlap; returns them in the order they were held. */
function holdsIn(log: string): { token: number; worker: string }[] {
  const holds: { token: number; worker: string }[] = [];
  let holding: { token: number; worker: string } | undefined;
  for (const line of log.trim().split('\n')) {
    const [event, token, worker] = line.split(' ');
    if (event === 'acquire') {
      expect(holding, `"${line}" while ${JSON.stringify(holding)} held the lease`).toBeUndefined();
      holding = { token: Number(token), worker: worker! };
      holds.push(holding);
    } else {
      expect({ token: Number(token), worker }).toEqual(holding);
      holding = undefined;
    }
  }
  return holds;
}

describe('RedisSessionStorage leases across processes', () => {
  it('4 processes × 8 turns on one session: one holder at a time, tokens increasing, every turn stored once', async () => {
    const prefix = freshPrefix();
    const dir = mkdtempSync(join(tmpdir(), 'cc-redis-leases-'));
    dirs.push(dir);
    const log = join(dir, 'overlap.log');
    writeFileSync(log, '');
    const rounds = 8;
    const children = [1, 2, 3, 4].map((w) =>
      child(['contend', url, prefix, 'shared', `w${w}`, String(rounds), log]),
    );
    const codes = await Promise.all(children.map((c) => c.exited));
    expect(codes, children.map((c) => c.stderr()).join('\n')).toEqual([0, 0, 0, 0]);

    const holds = holdsIn(readFileSync(log, 'utf8'));
    expect(holds.map((h) => h.token)).toEqual(Array.from({ length: 4 * rounds }, (_, i) => i + 1));
    expect(new Set(holds.map((h) => h.worker))).toEqual(new Set(['w1', 'w2', 'w3', 'w4']));
    const stored = await new RedisSessionStorage({ client, prefix }).load('shared');
    expect(stored.revision).toBe(4 * rounds);
    expect(stored.messages.map((m) => m.id).sort()).toEqual(
      [1, 2, 3, 4].flatMap((w) => Array.from({ length: rounds }, (_, r) => `w${w}-${r + 1}`)).sort(),
    );
  }, 120_000);

  it('a holder killed with SIGKILL keeps the lease only until it expires; its token is never reissued', async () => {
    const prefix = freshPrefix();
    const storage = new RedisSessionStorage({ client, prefix });
    const holder = child(['hold', url, prefix, 'abandoned', 'killed-holder', '5000']);
    const token = Number((await holder.line('holding ')).split(' ')[1]);
    holder.proc.kill('SIGKILL');
    await holder.exited;
    const busy = await storage.lease('abandoned').catch((e: unknown) => e);
    expect(SessionBusyError.is(busy) && busy.holder, String(busy)).toBe('killed-holder');
    const next = await storage.lease('abandoned', { waitMs: 30_000 });
    expect(next.token).toBe(token + 1);
    await next.release();
  }, 60_000);
});

describe('lease keys and round trips', () => {
  it('keeps the lease in P{<name>}:lease (expiring with it) and the token counter in P{<name>}:lease-token', async () => {
    const prefix = freshPrefix();
    const storage = new RedisSessionStorage({ client, prefix });
    const keys = sessionKeys(prefix, 'keyed');
    const lease = await storage.lease('keyed', { ttlMs: 60_000, holder: 'me' });
    expect(await client.hgetall(keys.lease)).toEqual({
      token: '1',
      holder: 'me',
      expiresAt: String(lease.expiresAt.getTime()),
    });
    expect(await client.pexpiretime(keys.lease)).toBe(lease.expiresAt.getTime());
    expect(await client.get(keys.leaseToken)).toBe('1');
    expect(await client.exists(keys.head)).toBe(0);
    await lease.release();
    expect(await client.exists(keys.lease)).toBe(0);
    expect(await client.get(keys.leaseToken)).toBe('1');
    expect(await client.ttl(keys.leaseToken)).toBe(-1);
  });

  it('takes, renews and releases a lease in one round trip each; a fenced save adds none', async () => {
    const prefix = freshPrefix();
    const storage = new RedisSessionStorage({ client, prefix });
    // Load the scripts on this connection first (EVAL once, EVALSHA afterwards).
    const warm = await storage.lease('warm');
    await warm.renew();
    await warm.release();
    const state = makeState({ messages: 2 });
    await storage.save(state, 'counted');
    const log = recordCommands(client);
    try {
      const lease = await storage.lease('counted', { ttlMs: 60_000 });
      expect(log.roundTrips()).toBe(1);
      await lease.renew();
      expect(log.roundTrips()).toBe(2);
      state.messages.push(...makeState({ messages: 2 }).messages);
      await storage.save(state, 'counted', { lease });
      expect(log.roundTrips()).toBe(3);
      await lease.release();
      expect(log.roundTrips()).toBe(4);
      expect(log.names().every((n) => n === 'evalsha')).toBe(true);
    } finally {
      log.restore();
    }
  });

  it('checks the token in the save script itself: a save under a lease deleted on the server writes nothing', async () => {
    const prefix = freshPrefix();
    const storage = new RedisSessionStorage({ client, prefix });
    const state = makeState({ messages: 2 });
    await storage.save(state, 'fenced');
    const lease = await storage.lease('fenced', { ttlMs: 60_000 });
    await client.del(sessionKeys(prefix, 'fenced').lease); // as expiry would
    state.messages.push(...makeState({ messages: 2 }).messages);
    const err = await storage.save(state, 'fenced', { lease }).catch((e: unknown) => e);
    expect(LeaseLostError.is(err), String(err)).toBe(true);
    expect((await storage.load('fenced')).messages).toHaveLength(2);
    const append = await storage
      .appendTranscript('fenced', 'c1', [{ type: 'user' }], 0, { lease })
      .catch((e: unknown) => e);
    expect(LeaseLostError.is(append), String(append)).toBe(true);
    expect(await storage.loadTranscript('fenced', 'c1')).toBeNull();
  });
});
