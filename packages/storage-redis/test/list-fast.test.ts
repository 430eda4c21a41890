/**
 * Prefix and project listings asked in one tick go to the server as one read-only script call (list-fast.ts),
 * and list exactly what the full walk lists: stale, orphaned, corrupt and misfiled entries, more sessions
 * than one call reads, pages, heads that change at the same index position, and entries the caller changes.
 */
import { projectFolderName } from '@channelcoder/session-core';
import { makeState, tick } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { indexKeys, projectIndexKey, sessionKeys } from '../src/keys.js';
import { FAST_MAX } from '../src/list-fast.js';
import { recordCommands } from './support/command-log.js';
import { connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const client: Redis = connect(inject('redisUrl'));
const prefixes: string[] = [];
const fresh = () => {
  const prefix = uniquePrefix('fast');
  prefixes.push(prefix);
  return new RedisSessionStorage({ client, prefix });
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

function inProject(cwd?: string) {
  const state = makeState({ lastActive: tick() });
  if (cwd !== undefined) state.metadata.cwd = cwd;
  return state;
}

/** The names the full walk lists under a prefix: the whole listing, filtered here. */
async function walked(storage: RedisSessionStorage, prefix: string): Promise<string[]> {
  return (await storage.list()).map((i) => i.name).filter((n) => n.startsWith(prefix));
}

describe('listings asked side by side', () => {
  it('are one round trip, one script call, and list what the full walk lists', async () => {
    const storage = fresh();
    for (let i = 0; i < 6; i++) await storage.save(inProject(), `sdk-a.s${i}`);
    for (let i = 0; i < 4; i++) await storage.save(inProject(), `sdk-b.s${i}`);
    for (let i = 0; i < 5; i++) await storage.save(inProject(i < 3 ? REPO : OTHER), `cli-${i}`);
    // A new store's indexes are complete once a listing of each kind has looked (the full walk, once).
    await Promise.all([storage.list({ prefix: 'sdk-a.' }), storage.list({ projectKey: repo })]);

    const log = recordCommands(client);
    try {
      const [own, none, project] = await Promise.all([
        storage.list({ prefix: 'sdk-a.' }),
        storage.list({ prefix: 'sdk-zz-' }),
        storage.list({ projectKey: repo }),
      ]);
      expect(log.roundTrips()).toBe(1);
      expect(log.names()).toEqual(['evalsha']);
      expect(own.map((i) => i.name)).toEqual(await walked(storage, 'sdk-a.'));
      expect(none).toEqual([]);
      expect(project.map((i) => i.name)).toEqual(['cli-2', 'cli-1', 'cli-0']);
      // The same entries as the full walk, field for field (cursors included).
      const full = await storage.list();
      for (const info of [...own, ...project]) expect(info).toEqual(full.find((f) => f.name === info.name));
    } finally {
      log.restore();
    }
  });

  it('finds the heads on a client with its own keyPrefix (derived from the keys the client sent)', async () => {
    const keyPrefix = uniquePrefix('kp');
    prefixes.push(keyPrefix);
    const prefixed = connect(inject('redisUrl'), { keyPrefix });
    try {
      const storage = new RedisSessionStorage({ client: prefixed, prefix: 'app:' });
      for (let i = 0; i < 3; i++) await storage.save(inProject(REPO), `k${i}`);
      await Promise.all([storage.list({ prefix: 'k' }), storage.list({ projectKey: repo })]);
      const log = recordCommands(prefixed);
      try {
        const [byName, byProject] = await Promise.all([
          storage.list({ prefix: 'k' }),
          storage.list({ projectKey: repo }),
        ]);
        expect(log.names()).toEqual(['evalsha']);
        expect(byName.map((i) => i.name)).toEqual(['k2', 'k1', 'k0']);
        expect(byProject.map((i) => i.name)).toEqual(['k2', 'k1', 'k0']);
      } finally {
        log.restore();
      }
    } finally {
      await prefixed.quit();
    }
  });

  it('pages with limit, and combines a project with a prefix', async () => {
    const storage = fresh();
    for (let i = 0; i < 8; i++) await storage.save(inProject(REPO), `${i % 2 === 0 ? 'x' : 'y'}-${i}`);
    const all = await walked(storage, 'x-');
    expect((await storage.list({ prefix: 'x-', limit: 2 })).map((i) => i.name)).toEqual(all.slice(0, 2));
    expect((await storage.list({ projectKey: repo, prefix: 'x-', limit: 3 })).map((i) => i.name)).toEqual(
      all.slice(0, 3),
    );
    expect(await storage.list({ projectKey: repo, limit: 0 })).toEqual([]);
    await expect(storage.list({ prefix: 'x-', limit: -1 })).rejects.toThrow(/limit/);
    await expect(storage.list({ projectKey: '' })).rejects.toThrow(/projectKey/);
  });

  it(`lists more than ${FAST_MAX} sessions (by the full walk)`, async () => {
    const storage = fresh();
    for (let i = 0; i < FAST_MAX + 3; i++) await storage.save(inProject(REPO), `many-${i}`);
    const expected = await walked(storage, 'many-');
    expect(expected).toHaveLength(FAST_MAX + 3);
    expect((await storage.list({ prefix: 'many-' })).map((i) => i.name)).toEqual(expected);
    expect((await storage.list({ projectKey: repo })).map((i) => i.name)).toEqual(expected);
    expect((await storage.list({ projectKey: repo, limit: 5 })).map((i) => i.name)).toEqual(
      expected.slice(0, 5),
    );
  });
});

describe('entries the script does not answer for', () => {
  it('drops the entry of a session whose head is gone (expired), as the full walk does', async () => {
    const storage = fresh();
    for (let i = 0; i < 3; i++) await storage.save(inProject(REPO), `e${i}`);
    await client.del(sessionKeys(storage.prefix, 'e1').head);
    expect((await storage.list({ prefix: 'e' })).map((i) => i.name)).toEqual(['e2', 'e0']);
    expect(await client.hexists(indexKeys(storage.prefix).members, 'e1')).toBe(0);
    expect((await storage.list({ projectKey: repo })).map((i) => i.name)).toEqual(['e2', 'e0']);
    expect(await client.zcard(projectIndexKey(storage.prefix, repo))).toBe(2);
  });

  it('lists a corrupt head, or a head key of another type, with error set', async () => {
    const storage = fresh();
    for (let i = 0; i < 3; i++) await storage.save(inProject(REPO), `c${i}`);
    await client.set(sessionKeys(storage.prefix, 'c0').head, 'not json');
    const infos = await storage.list({ prefix: 'c' });
    expect(infos.map((i) => [i.name, i.error !== undefined])).toEqual([
      ['c2', false],
      ['c1', false],
      ['c0', true],
    ]);
    await client.del(sessionKeys(storage.prefix, 'c1').head);
    await client.rpush(sessionKeys(storage.prefix, 'c1').head, 'x');
    const again = await storage.list({ prefix: 'c' });
    expect(again.find((i) => i.name === 'c1')?.error).toMatch(/another Redis type/);
  });

  it('does not list a session under a project its head no longer names, and refiles it', async () => {
    const storage = fresh();
    await storage.save(inProject(REPO), 'stays');
    const moved = inProject(REPO);
    await storage.save(moved, 'moved');
    // A writer that did not keep the project index changed the cwd: the head says OTHER, the index REPO.
    const head = JSON.parse((await client.get(sessionKeys(storage.prefix, 'moved').head))!);
    head.metadata.cwd = OTHER;
    await client.set(sessionKeys(storage.prefix, 'moved').head, JSON.stringify(head));
    expect((await storage.list({ projectKey: repo })).map((i) => i.name)).toEqual(['stays']);
    expect((await storage.list({ projectKey: projectFolderName(OTHER) })).map((i) => i.name)).toEqual([
      'moved',
    ]);
  });
});

describe('decoded heads it remembers', () => {
  it('shows a head that changed at the same index position', async () => {
    const storage = fresh();
    const state = inProject(REPO);
    await storage.save(state, 'tagged');
    expect((await storage.list({ prefix: 'tag' }))[0]?.tags).toBeUndefined();
    state.metadata.tags = ['review']; // lastActive unchanged: the same index member
    await storage.save(state, 'tagged');
    expect((await storage.list({ prefix: 'tag' }))[0]?.tags).toEqual(['review']);
    expect((await storage.list({ projectKey: repo }))[0]?.tags).toEqual(['review']);
  });

  it('hands out entries the caller may change', async () => {
    const storage = fresh();
    const state = inProject();
    state.metadata.tags = ['a'];
    await storage.save(state, 'mine');
    const [first] = await storage.list({ prefix: 'mine' });
    first!.tags!.push('b');
    first!.lastActive.setTime(0);
    const [second] = await storage.list({ prefix: 'mine' });
    expect(second!.tags).toEqual(['a']);
    expect(second!.lastActive.getTime()).toBe(state.metadata.lastActive.getTime());
  });
});
