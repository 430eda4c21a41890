/**
 * Backend faults, always on a private redis-server (never the shared one): a stopped server gives
 * StorageUnavailableError within the storage's timeout, the same storage object works again after a
 * restart, and no acknowledged save is lost when an `appendonly yes` / `appendfsync always` server crashes.
 */
import { StorageUnavailableError } from '@channelcoder/session-core';
import { addMessages, makeState } from '@channelcoder/storage-conformance';
import { type PrivateRedis, startPrivateRedis } from '@channelcoder/testkit';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { connect } from './support/fixtures.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function privateServer(appendOnly = false): Promise<PrivateRedis> {
  const server = await startPrivateRedis({ appendOnly });
  cleanup.push(() => server.destroy());
  return server;
}

function track(client: Redis): Redis {
  client.on('error', () => {});
  cleanup.push(() => Promise.resolve(client.disconnect()));
  return client;
}

/** Retries `attempt` until it resolves (the client reconnects with backoff); fails after 20 s. */
async function eventually<T>(attempt: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (const end = Date.now() + 20_000; Date.now() < end; ) {
    try {
      return await attempt();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw last;
}

const clientKinds = {
  'ioredis defaults (offline queue, 20 retries per request)': (url: string) => new Redis(url),
  'the recommended options': (url: string) => connect(url),
};

describe.each(Object.entries(clientKinds))('with a stopped server, using %s', (_, makeClient) => {
  it('every call fails with StorageUnavailableError, and the same storage works after a restart', async () => {
    const server = await privateServer(true);
    const client = track(makeClient(server.url));
    const storage = new RedisSessionStorage({ client, prefix: 'faults:', timeoutMs: 1000 });
    const state = makeState({ messages: 2 });
    await storage.save(state, 'survivor');

    await server.stop();
    // Calls made while the server is down (a call already in flight when it dies is ambiguous: see README).
    await eventually(async () => expect(client.status).not.toBe('ready'));
    addMessages(state, 2);
    const calls = {
      save: () => storage.save(state, 'survivor'),
      load: () => storage.load('survivor'),
      list: () => storage.list(),
      exists: () => storage.exists('survivor'),
      remove: () => storage.remove('survivor'),
    };
    for (const [name, call] of Object.entries(calls)) {
      const err = await call().catch((e: unknown) => e);
      expect(StorageUnavailableError.is(err), `${name}: ${String(err)}`).toBe(true);
      expect((err as Error).message).toMatch(/Redis/);
    }
    expect(state.revision).toBe(1);

    await server.start();
    // The failed save was never sent, so it is not applied later: the retry of the same state succeeds.
    await eventually(() => storage.save(state, 'survivor'));
    expect(state.revision).toBe(2);
    const loaded = await storage.load('survivor');
    expect(loaded.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
    expect((await storage.list()).map((i) => i.name)).toEqual(['survivor']);
  });
});

describe('a server that is never reachable', () => {
  it('fails a lazyConnect client within the timeout instead of waiting for it', async () => {
    const server = await privateServer();
    await server.stop();
    const client = track(new Redis(server.url, { lazyConnect: true }));
    const storage = new RedisSessionStorage({ client, timeoutMs: 500 });
    await expect(storage.list()).rejects.toSatisfy(StorageUnavailableError.is);
  });

  it('fails at once on a client that was closed', async () => {
    const server = await privateServer();
    const client = track(new Redis(server.url));
    const storage = new RedisSessionStorage({ client });
    await client.quit();
    const err = await storage.load('anything').catch((e: unknown) => e);
    expect(StorageUnavailableError.is(err)).toBe(true);
    expect((err as Error).message).toMatch(/closed|ended/);
  });
});

describe('a reply that comes after the deadline', () => {
  it('fails the save as unavailable, says it may have been applied, and leaves the state untouched', async () => {
    const server = await privateServer();
    const client = track(connect(server.url));
    const blocker = track(new Redis(server.url));
    const storage = new RedisSessionStorage({ client, prefix: 'late:', timeoutMs: 300 });
    const state = makeState({ messages: 2 });
    await storage.save(state, 'late');
    await blocker.ping();

    // The save below is received but answered late.
    const busy = await keepServerBusy(blocker, 1500);
    addMessages(state, 2);
    const err = await storage.save(state, 'late').catch((e: unknown) => e);
    expect(StorageUnavailableError.is(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/may or may not have been applied/);
    expect(state.revision).toBe(1);
    await busy.done;

    // Here the save did land; the state still says revision 1, so saving it again is a conflict, not a
    // silent overwrite, and a reload shows what is stored.
    const stored = await eventually(() => storage.load('late'));
    expect(stored.revision).toBe(2);
    expect(stored.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
    await expect(storage.save(state, 'late')).rejects.toMatchObject({ code: 'SESSION_CONFLICT' });
  });
});

describe('a listing answered after the deadline', () => {
  it('fails as unavailable at the deadline, on the one-command path and the script path alike', async () => {
    const server = await privateServer();
    const client = track(connect(server.url));
    const blocker = track(new Redis(server.url));
    const storage = new RedisSessionStorage({ client, prefix: 'late-list:', timeoutMs: 300 });
    const state = makeState({ messages: 2 });
    state.metadata.cwd = '/home/dev/repo';
    await storage.save(state, 'listed');
    const projectKey = '-home-dev-repo';
    for (let i = 0; i < 3; i++) await storage.list({ projectKey }); // builds the project's listing set
    await blocker.ping();

    for (const listing of [
      () => storage.list({ projectKey }), // one SORT_RO
      () => Promise.all([storage.list({ projectKey }), storage.list({ prefix: 'li' })]), // one script call
    ]) {
      // The listing is received but answered late.
      const busy = await keepServerBusy(blocker);
      const err = await listing().catch((e: unknown) => e);
      expect(StorageUnavailableError.is(err), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/no reply within 300 ms/);
      expect(busy.answered()).toBe(false); // failed at its deadline, before the server could answer
      await busy.done;
    }
    expect((await storage.list({ projectKey })).map((i) => i.name)).toEqual(['listed']);
  });

  it('fails each listing at its own deadline: a shorter one after a longer one still fails first', async () => {
    const server = await privateServer();
    const patient = new RedisSessionStorage({
      client: track(connect(server.url)),
      prefix: 'p:',
      timeoutMs: 8000,
    });
    const hasty = new RedisSessionStorage({
      client: track(connect(server.url)),
      prefix: 'p:',
      timeoutMs: 300,
    });
    const blocker = track(new Redis(server.url));
    const state = makeState({ messages: 2 });
    state.metadata.cwd = '/home/dev/repo';
    await patient.save(state, 'listed');
    const projectKey = '-home-dev-repo';
    for (let i = 0; i < 3; i++) await Promise.all([patient.list({ projectKey }), hasty.list({ projectKey })]);
    await blocker.ping();

    const busy = await keepServerBusy(blocker);
    const long = patient.list({ projectKey }); // asked first, with the later deadline
    const err = await hasty.list({ projectKey }).catch((e: unknown) => e);
    expect(StorageUnavailableError.is(err), String(err)).toBe(true);
    expect(busy.answered()).toBe(false);
    expect((await long).map((i) => i.name)).toEqual(['listed']); // answered once the server is free
    await busy.done;
  });
});

describe('durability', () => {
  it('keeps every resolved save across a crash of an appendonly server (appendfsync always)', async () => {
    const server = await privateServer(true);
    const client = track(connect(server.url));
    const storage = new RedisSessionStorage({ client, prefix: 'durable:' });
    const states = Array.from({ length: 20 }, () => makeState({ messages: 2 }));
    for (const [i, state] of states.entries()) await storage.save(state, `durable-${i}`);
    for (const [i, state] of states.entries()) {
      addMessages(state, 2);
      await storage.save(state, `durable-${i}`);
    }

    await server.kill(); // SIGKILL: no shutdown hook gets to write anything
    await server.start();
    const reader = new RedisSessionStorage({ client: track(connect(server.url)), prefix: 'durable:' });
    for (const [i, state] of states.entries()) {
      const loaded = await eventually(() => reader.load(`durable-${i}`));
      expect(loaded.revision).toBe(2);
      expect(loaded.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
    }
    expect(await reader.list()).toHaveLength(20);
  });
});

/**
 * Keeps the server busy for `ms` (2 s by default) with a script on `blocker`, so commands sent meanwhile are
 * received but answered late. Resolves once the script has had 100 ms to start; `answered()` says whether it
 * finished.
 */
async function keepServerBusy(
  blocker: Redis,
  ms = 2000,
): Promise<{ done: Promise<void>; answered: () => boolean }> {
  let answered = false;
  const done = blocker
    .eval(
      `local t = redis.call('TIME') local stop = t[1] * 1000000 + t[2] + ${ms * 1000} ` +
        "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= stop return 1",
      0,
    )
    .then(() => {
      answered = true;
    });
  await new Promise((r) => setTimeout(r, 100));
  return { done, answered: () => answered };
}
