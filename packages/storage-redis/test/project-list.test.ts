/**
 * list({ projectKey }) on Redis: the per-project index, sessions indexed before it existed (copied in a
 * bounded part per listing, completed by pruneIndex()), cwd changes, and entries left wrong by writers that
 * did not keep the index.
 */
import { projectFolderName } from '@channelcoder/session-core';
import { makeState, tick } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { indexKeys, projectIndexKey } from '../src/keys.js';
import { COPY_STEP } from '../src/project-index.js';
import { connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const client: Redis = connect(inject('redisUrl'));
const prefixes: string[] = [];
const fresh = () => {
  const prefix = uniquePrefix('project');
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
const other = projectFolderName(OTHER);

function inProject(cwd: string | undefined) {
  const state = makeState({ lastActive: tick() });
  if (cwd !== undefined) state.metadata.cwd = cwd;
  return state;
}

/** Makes the stored index look as versions before the project index left it. */
async function forgetProjectIndex(prefix: string): Promise<void> {
  const keys = indexKeys(prefix);
  const projects = await client.hgetall(keys.projects);
  for (const project of new Set(Object.values(projects))) {
    if (project !== '') await client.del(projectIndexKey(prefix, project));
  }
  await client.del(keys.projects, keys.projectsState);
}

describe('list({ projectKey })', () => {
  it('reads only the project’s index entries and heads', async () => {
    const storage = fresh();
    for (let i = 0; i < 30; i++) await storage.save(inProject(i % 10 === 0 ? REPO : OTHER), `s${i}`);
    expect(await storage.list({ projectKey: repo })).toHaveLength(3);
    expect(await client.zcard(projectIndexKey(storage.prefix, repo))).toBe(3);
    expect(await client.zcard(projectIndexKey(storage.prefix, other))).toBe(27);
    expect(await client.hget(indexKeys(storage.prefix).projects, 's0')).toBe(repo);
  });

  it('moves a session whose cwd changes, and drops it from every project when the cwd goes', async () => {
    const storage = fresh();
    const state = inProject(REPO);
    await storage.save(state, 'mover');
    state.metadata.cwd = OTHER; // same lastActive: the same listing member, another project
    await storage.save(state, 'mover');
    expect(await storage.list({ projectKey: repo })).toEqual([]);
    expect((await storage.list({ projectKey: other })).map((i) => i.name)).toEqual(['mover']);
    expect(await client.zcard(projectIndexKey(storage.prefix, repo))).toBe(0);
    delete state.metadata.cwd;
    state.metadata.lastActive = tick();
    await storage.save(state, 'mover');
    expect(await storage.list({ projectKey: other })).toEqual([]);
    expect(await client.exists(projectIndexKey(storage.prefix, other))).toBe(0);
    expect(await client.hget(indexKeys(storage.prefix).projects, 'mover')).toBe('');
    await storage.remove('mover');
    expect(await client.hexists(indexKeys(storage.prefix).projects, 'mover')).toBe(0);
  });

  it('finds sessions indexed before the project index existed, a bounded part per listing', async () => {
    const storage = fresh();
    const count = 2 * 2 * COPY_STEP + 50; // more than one listing copies
    for (let i = 0; i < count; i++) await storage.save(inProject(i % 100 === 0 ? REPO : OTHER), `old${i}`);
    await forgetProjectIndex(storage.prefix);
    const expected = Array.from({ length: count }, (_, i) => i)
      .filter((i) => i % 100 === 0)
      .reverse()
      .map((i) => `old${i}`);

    // While the copy is incomplete the listing walks the whole index: complete and correct anyway.
    expect((await storage.list({ projectKey: repo })).map((i) => i.name)).toEqual(expected);
    const state = indexKeys(storage.prefix).projectsState;
    expect(await client.get(state)).not.toBe('complete');
    const copied = async () =>
      (await client.zcard(projectIndexKey(storage.prefix, other))) +
      (await client.zcard(projectIndexKey(storage.prefix, repo)));
    expect(await copied()).toBe(2 * COPY_STEP); // two steps per listing
    // A page with a cursor, during the copy.
    const [first] = await storage.list({ projectKey: repo, limit: 1 });
    expect((await storage.list({ projectKey: repo, cursor: first!.cursor! })).map((i) => i.name)).toEqual(
      expected.slice(1),
    );
    expect(await client.get(state)).toBe('complete');
    expect((await storage.list({ projectKey: repo })).map((i) => i.name)).toEqual(expected);
    expect(await client.zcard(projectIndexKey(storage.prefix, repo))).toBe(expected.length);
  });

  it('pruneIndex() completes the copy; a save during it is not undone', async () => {
    const storage = fresh();
    for (let i = 0; i < 40; i++) await storage.save(inProject(REPO), `p${i}`);
    await forgetProjectIndex(storage.prefix);
    const moved = await storage.load('p3');
    moved.metadata.cwd = OTHER;
    await storage.save(moved, 'p3'); // recorded by the save itself, before the copy reaches it
    await storage.pruneIndex();
    expect(await client.get(indexKeys(storage.prefix).projectsState)).toBe('complete');
    const listed = (await storage.list({ projectKey: repo })).map((i) => i.name);
    expect(listed).toHaveLength(39);
    expect(listed).not.toContain('p3');
    expect((await storage.list({ projectKey: other })).map((i) => i.name)).toEqual(['p3']);
  });

  it('refiles an entry whose head moved to another project without the index (an older writer)', async () => {
    const storage = fresh();
    await storage.save(inProject(REPO), 'stray');
    await storage.save(inProject(REPO), 'stays');
    // An older writer rewrites the head with another cwd and leaves the project index as it was.
    const headKey = `${storage.prefix}{stray}:head`;
    const head = JSON.parse((await client.get(headKey))!);
    head.metadata.cwd = OTHER;
    await client.set(headKey, JSON.stringify(head));
    expect((await storage.list({ projectKey: repo })).map((i) => i.name)).toEqual(['stays']);
    expect(await client.hget(indexKeys(storage.prefix).projects, 'stray')).toBe(other);
    expect((await storage.list({ projectKey: other })).map((i) => i.name)).toEqual(['stray']);
  });

  it('drops entries of expired or removed sessions from the project index as it meets them', async () => {
    const storage = fresh();
    await storage.save(inProject(REPO), 'gone');
    await storage.save(inProject(REPO), 'here');
    await client.del(`${storage.prefix}{gone}:head`); // as an expiry would
    expect((await storage.list({ projectKey: repo })).map((i) => i.name)).toEqual(['here']);
    expect(await client.zcard(projectIndexKey(storage.prefix, repo))).toBe(1);
    expect(await client.hexists(indexKeys(storage.prefix).projects, 'gone')).toBe(0);
  });
});
