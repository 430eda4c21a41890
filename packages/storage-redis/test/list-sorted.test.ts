/**
 * A project listing asked alone in its tick is one SORT_RO of the project's listing set
 * (`P{index}:project-listing:<projectKey>`) with the heads (list-fast.ts), and lists exactly what the full
 * walk lists: the set is kept by every write script, and whatever the SORT_RO reply cannot vouch for (a
 * head gone, corrupt, of another type or of another project, an unusual order, too many sessions, a
 * server that refuses the command) goes to the walk.
 */
import { projectFolderName, type SessionInfo, toAgentSessionStore } from '@channelcoder/session-core';
import { makeState, tick } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { projectListingKey, sessionKeys } from '../src/keys.js';
import { FAST_MAX } from '../src/list-fast.js';
import { listByProject } from '../src/project-index.js';
import { SessionScripts } from '../src/scripts.js';
import { recordCommands } from './support/command-log.js';
import { connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const client: Redis = connect(inject('redisUrl'));
const prefixes: string[] = [];
const fresh = (options: { ttlSeconds?: number; prefix?: string } = {}) => {
  const prefix = options.prefix ?? uniquePrefix('sorted');
  if (!prefixes.includes(prefix)) prefixes.push(prefix);
  return new RedisSessionStorage({
    client,
    prefix,
    ...(options.ttlSeconds ? { ttlSeconds: options.ttlSeconds } : {}),
  });
};

beforeAll(async () => {
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
});
afterEach(async () => {
  for (const prefix of prefixes.splice(0)) await deletePrefix(client, prefix);
});
afterAll(async () => {
  await client.quit();
});

const REPO = '/home/dev/repo';
const OTHER = '/srv/other';
const repo = projectFolderName(REPO);
const other = projectFolderName(OTHER);

function inProject(cwd: string, lastActive = tick()) {
  const state = makeState({ lastActive });
  state.metadata.lastActive = lastActive;
  state.metadata.cwd = cwd;
  return state;
}

/** What the full walk lists for the project (it also cleans up what it meets). */
async function walked(storage: RedisSessionStorage, projectKey: string, extra = {}): Promise<SessionInfo[]> {
  const ctx = { client, scripts: new SessionScripts(client), prefix: storage.prefix, cluster: false };
  return (await listByProject(ctx, { projectKey, ...extra }, {})).infos;
}

/** Lists until the project's listing set is built (the first listing completes the project index). */
async function build(storage: RedisSessionStorage, projectKey: string): Promise<void> {
  for (let i = 0; i < 3; i++) await storage.list({ projectKey });
  expect(await client.zscore(projectListingKey(storage.prefix, projectKey), '')).toBe('-inf');
}

/** The listing, the commands it sent and its round trips. */
async function listed(storage: RedisSessionStorage, projectKey: string, extra = {}) {
  const log = recordCommands(client);
  try {
    const infos = await storage.list({ projectKey, ...extra });
    return { infos, names: log.names(), roundTrips: log.roundTrips(), commands: [...log.commands] };
  } finally {
    log.restore();
  }
}

/** The LIMIT count of the listing's SORT_RO. */
function recordedCount(run: { commands: { name: string; args: unknown[] }[] }): number {
  const args = run.commands.find((c) => c.name === 'sort_ro')!.args.map(String);
  return Number(args[args.indexOf('LIMIT') + 2]);
}

/** The names in the project's listing set, in its order ('' first). */
function setNames(storage: RedisSessionStorage, projectKey: string): Promise<string[]> {
  return client.zrange(projectListingKey(storage.prefix, projectKey), '0', '-1');
}

describe('a project listing asked alone', () => {
  it('is one SORT_RO, no script on the server, and lists the walk field for field', async () => {
    const storage = fresh();
    for (let i = 0; i < 5; i++) await storage.save(inProject(REPO), `sdk-${i}`);
    for (let i = 0; i < 4; i++) await storage.save(inProject(OTHER), `cli-${i}`);
    await build(storage, repo);

    // What the server ran, from its own MONITOR feed: the commands on this prefix's keys.
    const monitor = await client.duplicate().monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((a) => a.includes(storage.prefix))) seen.push(args[0]!.toLowerCase());
    });
    try {
      const { infos, names, roundTrips } = await listed(storage, repo);
      expect(names).toEqual(['sort_ro']);
      expect(roundTrips).toBe(1);
      const marker = `${storage.prefix}done`;
      await client.echo(marker);
      await expect.poll(() => seen.at(-1)).toBe('echo');
      // One command ran, and no script (a script's own calls show in MONITOR too).
      expect(seen).toEqual(['sort_ro', 'echo']);
      expect(infos.map((i) => i.name)).toEqual(['sdk-4', 'sdk-3', 'sdk-2', 'sdk-1', 'sdk-0']);
      expect(infos).toEqual(await walked(storage, repo));
    } finally {
      monitor.disconnect();
    }
  });

  it('pages with limit and filters by prefix as the walk does, still one SORT_RO', async () => {
    const storage = fresh();
    for (let i = 0; i < 8; i++) await storage.save(inProject(REPO), `${i % 2 === 0 ? 'x' : 'y'}-${i}`);
    await build(storage, repo);
    for (const extra of [{ limit: 3 }, { prefix: 'x-' }, { prefix: 'y-', limit: 2 }, { prefix: 'z' }]) {
      const { infos, names } = await listed(storage, repo, extra);
      expect(names).toEqual(['sort_ro']);
      expect(infos).toEqual(await walked(storage, repo, extra));
    }
  });

  it('hands out entries the caller may change', async () => {
    const storage = fresh();
    const state = inProject(REPO);
    state.metadata.tags = ['a'];
    await storage.save(state, 'mine');
    await build(storage, repo);
    const [first] = await storage.list({ projectKey: repo });
    first!.tags!.push('b');
    first!.lastActive.setTime(0);
    const [second] = await storage.list({ projectKey: repo });
    expect(second!.tags).toEqual(['a']);
    expect(second!.lastActive.getTime()).toBe(state.metadata.lastActive.getTime());
  });

  it('finds the heads on a client with its own keyPrefix', async () => {
    const keyPrefix = uniquePrefix('kp');
    prefixes.push(keyPrefix);
    const prefixed = connect(inject('redisUrl'), { keyPrefix });
    try {
      const storage = new RedisSessionStorage({ client: prefixed, prefix: 'app:' });
      for (let i = 0; i < 3; i++) await storage.save(inProject(REPO), `k${i}`);
      for (let i = 0; i < 3; i++) await storage.list({ projectKey: repo });
      expect(await client.zscore(`${keyPrefix}app:{index}:project-listing:${repo}`, '')).toBe('-inf');
      const log = recordCommands(prefixed);
      try {
        const infos = await storage.list({ projectKey: repo });
        expect(log.names()).toEqual(['sort_ro']);
        expect(infos.map((i) => i.name)).toEqual(['k2', 'k1', 'k0']);
      } finally {
        log.restore();
      }
    } finally {
      await prefixed.quit();
    }
  });
});

describe("the Agent SDK bridge's listSessions", () => {
  it('is one SORT_RO once it knows the project, in both modes', async () => {
    const storage = fresh();
    const project = '-home-dev-shop-api';
    const ids = [0, 1, 2].map((n) => `00000000-0000-4000-8000-00000000000${n}`);
    const bridge = toAgentSessionStore(storage);
    for (const sessionId of ids)
      await bridge.append({ projectKey: project, sessionId }, [
        { type: 'user', uuid: `u-${sessionId}`, message: { content: 'hello' } },
      ]);
    await storage.save(inProject(OTHER), 'elsewhere');
    for (const options of [{}, { channelcoderSessions: false }]) {
      const store = toAgentSessionStore(storage, options);
      // The first call also runs the name-prefix listings; the second builds the project's listing set.
      for (let i = 0; i < 2; i++) await store.listSessions(project);
      const log = recordCommands(client);
      try {
        const listed = await store.listSessions(project);
        expect(log.names()).toEqual(['sort_ro']);
        expect(log.roundTrips()).toBe(1);
        expect(listed.map((s) => s.sessionId)).toEqual([...ids].reverse());
      } finally {
        log.restore();
      }
    }
  });
});

describe('the listing set', () => {
  it('is kept by saves, moves between projects, removes, trash and restore', async () => {
    const storage = fresh();
    const a = inProject(REPO);
    await storage.save(a, 'a');
    const b = inProject(REPO);
    await storage.save(b, 'b');
    await storage.save(inProject(OTHER), 'o');
    await build(storage, repo);
    await build(storage, other);
    const check = async (expectRepo: string[], expectOther: string[]) => {
      for (const [project, expected] of [
        [repo, expectRepo],
        [other, expectOther],
      ] as const) {
        const { infos, names } = await listed(storage, project);
        expect(names, project).toEqual(['sort_ro']);
        expect(infos.map((i) => i.name)).toEqual(expected);
        expect(infos).toEqual(await walked(storage, project));
        expect(await setNames(storage, project)).toEqual(['', ...expected]);
      }
    };
    await check(['b', 'a'], ['o']);

    await storage.save(inProject(REPO), 'c'); // a new session
    await check(['c', 'b', 'a'], ['o']);
    a.metadata.lastActive = tick(); // a newer save moves it to the front
    await storage.save(a, 'a');
    await check(['a', 'c', 'b'], ['o']);
    const same = a.metadata.lastActive; // same lastActive: ties by name
    const d = inProject(REPO, same);
    await storage.save(d, 'd');
    await check(['a', 'd', 'c', 'b'], ['o']);
    b.metadata.cwd = OTHER; // moves to the other project
    b.metadata.lastActive = tick();
    await storage.save(b, 'b');
    await check(['a', 'd', 'c'], ['b', 'o']);
    await storage.remove('c');
    await check(['a', 'd'], ['b', 'o']);
    const entry = await storage.moveToTrash('d');
    await check(['a'], ['b', 'o']);
    await storage.restoreFromTrash(entry!.id);
    await check(['a', 'd'], ['b', 'o']);
  });

  it('stays while the only session of its project is saved again, and goes with the last one', async () => {
    const storage = fresh();
    const only = inProject(REPO);
    await storage.save(only, 'only');
    await build(storage, repo);
    only.metadata.lastActive = tick();
    await storage.save(only, 'only');
    const { infos, names } = await listed(storage, repo);
    expect(names).toEqual(['sort_ro']);
    expect(infos).toEqual(await walked(storage, repo));
    await storage.remove('only');
    expect(await client.exists(projectListingKey(storage.prefix, repo))).toBe(0);
    expect(await storage.list({ projectKey: repo })).toEqual([]);
    // Listed while empty, the set holds its mark alone and answers with nothing.
    await storage.list({ projectKey: repo });
    expect(await setNames(storage, repo)).toEqual(['']);
    const empty = await listed(storage, repo);
    expect(empty.names).toEqual(['sort_ro']);
    expect(empty.infos).toEqual([]);
    await storage.save(inProject(REPO), 'next');
    const next = await listed(storage, repo);
    expect(next.names).toEqual(['sort_ro']);
    expect(next.infos.map((i) => i.name)).toEqual(['next']);
  });

  it('built, then grown past what one listing reads: pages within it, the rest by the walk', async () => {
    const storage = fresh();
    for (let i = 0; i < 3; i++) await storage.save(inProject(REPO), `grown-${i}`);
    await build(storage, repo);
    for (let i = 3; i < FAST_MAX + 3; i++) await storage.save(inProject(REPO), `grown-${i}`);
    const page = await listed(storage, repo, { limit: 10 });
    expect(page.names).toEqual(['sort_ro']);
    expect(page.infos).toEqual(await walked(storage, repo, { limit: 10 }));
    const large = await listed(storage, repo, { limit: FAST_MAX + 50 });
    const sort = large.names.indexOf('sort_ro');
    expect(sort).toBe(0);
    // That SORT_RO read at most FAST_MAX + 1 heads after the mark.
    expect(recordedCount(large)).toBe(FAST_MAX + 2);
    expect(large.infos).toEqual(await walked(storage, repo, { limit: FAST_MAX + 50 }));
    const all = await storage.list({ projectKey: repo });
    expect(all).toHaveLength(FAST_MAX + 3);
    expect(all).toEqual(await walked(storage, repo));
  });

  it('is not built for a project of more sessions than one listing reads; those list by the walk', async () => {
    const storage = fresh();
    for (let i = 0; i < FAST_MAX + 2; i++) await storage.save(inProject(REPO), `many-${i}`);
    for (let i = 0; i < 3; i++) await storage.list({ projectKey: repo });
    expect(await client.exists(projectListingKey(storage.prefix, repo))).toBe(0);
    const { infos, names } = await listed(storage, repo);
    expect(names).not.toContain('sort_ro'); // not asked again for a while
    expect(infos).toEqual(await walked(storage, repo));
    expect(infos).toHaveLength(FAST_MAX + 2);
  });
});

describe('after any mix of writes', () => {
  it('lists what the walk lists, operation after operation (seeded random sequence)', async () => {
    const storage = fresh();
    let seed = 20261203;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const cwds = [REPO, OTHER, undefined];
    const names = Array.from({ length: 10 }, (_, i) => `r${i}`);
    const trashed: string[] = [];
    let shared = tick();
    let sorted = 0;
    for (let step = 0; step < 150; step++) {
      const name = names[random(names.length)]!;
      const op = random(10);
      if (op < 5) {
        // A save: new or again, in a random project (or none), sometimes at the same instant as another.
        if (random(3) === 0) shared = tick();
        const state = inProject(REPO, random(2) === 0 ? shared : tick());
        const cwd = cwds[random(cwds.length)];
        if (cwd === undefined) delete state.metadata.cwd;
        else state.metadata.cwd = cwd;
        state.revision = (await storage.readRevision(name)) ?? 0;
        await storage.save(state, name);
      } else if (op === 5) await storage.remove(name);
      else if (op === 6) {
        const entry = await storage.moveToTrash(name);
        if (entry !== undefined) trashed.push(entry.id);
      } else if (op === 7 && trashed.length > 0) {
        await storage.restoreFromTrash(trashed.pop()!).catch(() => {}); // the name may be taken again
      } else if (op === 8) await client.del(sessionKeys(storage.prefix, name).head); // as an expiry would
      for (const project of [repo, other]) {
        const run = await listed(storage, project);
        if (run.names.length === 1 && run.names[0] === 'sort_ro') sorted += 1;
        expect(run.infos, `step ${step}, ${project}`).toEqual(await walked(storage, project));
      }
    }
    // Most listings were the one command (the rest met a removed head, or built a set).
    expect(sorted).toBeGreaterThan(250);
  });
});

describe('entries the SORT_RO reply does not vouch for', () => {
  it('an expired session: the walk lists without it and drops it from the set, then one SORT_RO again', async () => {
    const prefix = uniquePrefix('sorted-ttl');
    const storage = fresh({ prefix });
    const brief = fresh({ prefix, ttlSeconds: 0.3 });
    await storage.save(inProject(REPO), 'stays-1');
    await brief.save(inProject(REPO), 'expires');
    await storage.save(inProject(REPO), 'stays-2');
    await build(storage, repo);
    expect(await setNames(storage, repo)).toEqual(['', 'stays-2', 'expires', 'stays-1']);
    await expect
      .poll(() => client.exists(sessionKeys(prefix, 'expires').head), { timeout: 5000, interval: 50 })
      .toBe(0);

    const first = await listed(storage, repo);
    expect(first.names[0]).toBe('sort_ro');
    expect(first.names.length).toBeGreaterThan(1); // then the walk
    expect(first.infos.map((i) => i.name)).toEqual(['stays-2', 'stays-1']);
    expect(await setNames(storage, repo)).toEqual(['', 'stays-2', 'stays-1']);
    const again = await listed(storage, repo);
    expect(again.names).toEqual(['sort_ro']);
    expect(again.infos).toEqual(first.infos);
  });

  it('a corrupt head or a head key of another type is listed with error set, as the walk lists it', async () => {
    const storage = fresh();
    for (let i = 0; i < 3; i++) await storage.save(inProject(REPO), `c${i}`);
    await build(storage, repo);
    await client.set(sessionKeys(storage.prefix, 'c0').head, 'not json');
    const corrupt = await storage.list({ projectKey: repo });
    expect(corrupt.map((i) => [i.name, i.error !== undefined])).toEqual([
      ['c2', false],
      ['c1', false],
      ['c0', true],
    ]);
    await client.del(sessionKeys(storage.prefix, 'c1').head);
    await client.rpush(sessionKeys(storage.prefix, 'c1').head, 'x');
    const wrongType = await storage.list({ projectKey: repo });
    expect(wrongType.find((i) => i.name === 'c1')?.error).toMatch(/another Redis type/);
  });

  it('a head that names another project: not listed, refiled, and the sets follow', async () => {
    const storage = fresh();
    await storage.save(inProject(REPO), 'stays');
    await storage.save(inProject(REPO), 'moved');
    await storage.save(inProject(OTHER), 'there');
    await build(storage, repo);
    await build(storage, other);
    // A writer that did not keep the index changed the cwd: the head says OTHER, the index REPO.
    const head = JSON.parse((await client.get(sessionKeys(storage.prefix, 'moved').head))!);
    head.metadata.cwd = OTHER;
    await client.set(sessionKeys(storage.prefix, 'moved').head, JSON.stringify(head));
    expect((await storage.list({ projectKey: repo })).map((i) => i.name)).toEqual(['stays']);
    expect(await setNames(storage, repo)).toEqual(['', 'stays']);
    expect(await setNames(storage, other)).toEqual(['', 'there', 'moved']);
    const { infos, names } = await listed(storage, other);
    expect(names).toEqual(['sort_ro']);
    expect(infos.map((i) => i.name)).toEqual(['there', 'moved']);
    expect(infos).toEqual(await walked(storage, other));
  });

  it('a set out of listing order (or missing its mark) is not trusted', async () => {
    const storage = fresh();
    for (let i = 0; i < 3; i++) await storage.save(inProject(REPO), `o${i}`);
    await build(storage, repo);
    const expected = await walked(storage, repo);
    const key = projectListingKey(storage.prefix, repo);
    await client.zadd(key, 1, 'o0'); // now first, though the oldest
    expect(await storage.list({ projectKey: repo })).toEqual(expected);
    // Without its mark the set is rebuilt from the project index beside the next listing.
    const fresher = fresh({ prefix: storage.prefix });
    await client.zrem(key, '');
    expect(await fresher.list({ projectKey: repo })).toEqual(expected);
    expect(await setNames(storage, repo)).toEqual(['', 'o2', 'o1', 'o0']);
    const { infos, names } = await listed(fresher, repo);
    expect(names).toEqual(['sort_ro']);
    expect(infos).toEqual(expected);
  });

  it('a key of another type where the set goes: rebuilt, nothing lost', async () => {
    const storage = fresh();
    for (let i = 0; i < 2; i++) await storage.save(inProject(REPO), `w${i}`);
    await build(storage, repo);
    const key = projectListingKey(storage.prefix, repo);
    await client.del(key);
    await client.set(key, 'x');
    expect((await storage.list({ projectKey: repo })).map((i) => i.name)).toEqual(['w1', 'w0']);
    expect(await setNames(storage, repo)).toEqual(['', 'w1', 'w0']);
  });
});

describe('a server that refuses SORT … GET (an ACL without read access to every key)', () => {
  it('keeps the script path, listing the same', async () => {
    const storage = fresh();
    for (let i = 0; i < 3; i++) await storage.save(inProject(REPO), `acl-${i}`);
    await build(storage, repo);
    const expected = await walked(storage, repo);
    const user = `cc-sorted-${process.pid}-${Date.now().toString(36)}`;
    await client.call('ACL', 'SETUSER', user, 'on', '>secret', '+@all', `~${storage.prefix}*`);
    const limited = connect(inject('redisUrl'), { username: user, password: 'secret' });
    try {
      const restricted = new RedisSessionStorage({ client: limited, prefix: storage.prefix });
      expect(await restricted.list({ projectKey: repo })).toEqual(expected);
      const log = recordCommands(limited);
      try {
        expect(await restricted.list({ projectKey: repo })).toEqual(expected);
        expect(log.names()).toEqual(['evalsha']);
      } finally {
        log.restore();
      }
    } finally {
      await limited.quit();
      await client.call('ACL', 'DELUSER', user);
    }
  });
});
