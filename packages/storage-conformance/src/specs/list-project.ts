import {
  InvalidArgumentError,
  projectFolderName,
  type SessionInfo,
  type SessionState,
  type SessionStorage,
  storageCapabilities,
} from '@channelcoder/session-core';
import { addMessages, makeState, tick } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it, type TestContext } from '../spec-api.js';

const REPO = '/home/dev/repo-a';
/** Another cwd the CLI files under the same project folder (every non-alphanumeric becomes `-`). */
const REPO_TWIN = '/home/dev/repo_a';
const OTHER = '/srv/other';

function inProject(cwd: string | undefined, spec: Parameters<typeof makeState>[0] = {}): SessionState {
  const state = makeState(spec);
  if (cwd !== undefined) state.metadata.cwd = cwd;
  return state;
}

const names = (infos: readonly SessionInfo[]) => infos.map((i) => i.name);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection, but it resolved'),
    (err: unknown) => err,
  );
}

async function allPages(
  storage: SessionStorage,
  projectKey: string,
  limit: number,
  prefix?: string,
): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page = await storage.list({
      projectKey,
      limit,
      ...(cursor === undefined ? {} : { cursor }),
      ...(prefix === undefined ? {} : { prefix }),
    });
    if (page.length === 0) return out;
    expect(page.length).toBeLessThanOrEqual(limit);
    out.push(...names(page));
    cursor = page.at(-1)?.cursor;
  }
  throw new Error('list({ projectKey, limit }) never returned an empty page');
}

/** `list({ projectKey })` on storages whose `listFilters` includes `'projectKey'`. */
export function listProjectSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  async function projectListing(t: TestContext): Promise<S> {
    const storage = await ctx.fresh();
    if (!storageCapabilities(storage).listByProject)
      t.skip("the storage does not declare listFilters: ['projectKey']");
    return storage;
  }

  const repo = projectFolderName(REPO);
  const other = projectFolderName(OTHER);

  it('lists only the sessions whose cwd maps to the project, newest first, as full entries', async (t) => {
    const storage = await projectListing(t);
    await storage.save(inProject(REPO, { messages: 4, lastActive: tick() }), 'a-old');
    await storage.save(inProject(OTHER, { lastActive: tick() }), 'elsewhere');
    await storage.save(inProject(undefined, { lastActive: tick() }), 'no-cwd');
    await storage.save(inProject(REPO_TWIN, { lastActive: tick() }), 'a-twin');
    await storage.save(inProject(REPO, { lastActive: tick() }), 'a-new');

    const listed = await storage.list({ projectKey: repo });
    expect(names(listed)).toEqual(['a-new', 'a-twin', 'a-old']);
    const everything = await storage.list();
    for (const entry of listed) {
      const same = everything.find((e) => e.name === entry.name);
      expect(same).toBeDefined();
      expect(entry.messageCount).toBe(same?.messageCount);
      expect(entry.lastActive.getTime()).toBe(same?.lastActive.getTime());
      expect(entry.cursor).toBe(same?.cursor);
    }
    expect(names(await storage.list({ projectKey: other }))).toEqual(['elsewhere']);
    expect(await storage.list({ projectKey: projectFolderName('/never/used') })).toEqual([]);
  });

  it('pages with limit and cursor, and combines with prefix', async (t) => {
    const storage = await projectListing(t);
    for (let i = 0; i < 7; i++) {
      await storage.save(inProject(i % 2 === 0 ? REPO : OTHER, { lastActive: tick() }), `s${i}`);
      await storage.save(inProject(REPO, { lastActive: tick() }), `t${i}`);
    }
    const all = names(await storage.list({ projectKey: repo }));
    expect(all).toEqual(['t6', 's6', 't5', 't4', 's4', 't3', 't2', 's2', 't1', 't0', 's0']);
    expect(await allPages(storage, repo, 3)).toEqual(all);
    expect(names(await storage.list({ projectKey: repo, prefix: 's' }))).toEqual(['s6', 's4', 's2', 's0']);
    expect(await allPages(storage, repo, 2, 's')).toEqual(['s6', 's4', 's2', 's0']);
    expect(names(await storage.list({ projectKey: other, limit: 2 }))).toEqual(['s5', 's3']);
  });

  it('follows saves: a new lastActive reorders, a changed cwd moves the session', async (t) => {
    const storage = await projectListing(t);
    const first = inProject(REPO, { lastActive: tick() });
    await storage.save(first, 'first');
    await storage.save(inProject(REPO, { lastActive: tick() }), 'second');
    expect(names(await storage.list({ projectKey: repo }))).toEqual(['second', 'first']);

    const again = await storage.load('first');
    addMessages(again, 2);
    await storage.save(again, 'first');
    const [top] = await storage.list({ projectKey: repo });
    expect(top?.name).toBe('first');
    expect(top?.messageCount).toBe(4);

    const moved = await storage.load('first');
    moved.metadata.cwd = OTHER;
    moved.metadata.lastActive = tick();
    await storage.save(moved, 'first');
    expect(names(await storage.list({ projectKey: repo }))).toEqual(['second']);
    expect(names(await storage.list({ projectKey: other }))).toEqual(['first']);

    const dropped = await storage.load('first');
    delete dropped.metadata.cwd;
    dropped.metadata.lastActive = tick();
    await storage.save(dropped, 'first');
    expect(await storage.list({ projectKey: other })).toEqual([]);
    expect(names(await storage.list())).toContain('first');
  });

  it('files a session without a cwd under its metadata.projectKey; a cwd wins; a save moves it', async (t) => {
    const storage = await projectListing(t);
    const keyed = (projectKey: string | undefined, cwd?: string): SessionState => {
      const state = inProject(cwd, { lastActive: tick() });
      if (projectKey !== undefined) state.metadata.projectKey = projectKey;
      return state;
    };
    /** A key no cwd maps to (the Agent SDK accepts any string as a projectKey). */
    const odd = 'not a folder/name';
    await storage.save(keyed(repo), 'by-key');
    await storage.save(keyed(other, REPO), 'cwd-wins');
    await storage.save(keyed(odd), 'odd-key');
    await storage.save(keyed(''), 'empty-key');
    expect(names(await storage.list({ projectKey: repo }))).toEqual(['cwd-wins', 'by-key']);
    expect(await storage.list({ projectKey: other })).toEqual([]);
    expect(names(await storage.list({ projectKey: odd }))).toEqual(['odd-key']);
    expect((await storage.load('by-key')).metadata.projectKey).toBe(repo);

    // A save that adds the field files a session stored without it.
    await storage.save(keyed(undefined), 'late');
    expect(names(await storage.list({ projectKey: other }))).toEqual([]);
    const late = await storage.load('late');
    late.metadata.projectKey = other;
    late.metadata.lastActive = tick();
    await storage.save(late, 'late');
    expect(names(await storage.list({ projectKey: other }))).toEqual(['late']);

    // Changing it moves the session; dropping it (no cwd) leaves every project.
    const moved = await storage.load('by-key');
    moved.metadata.projectKey = other;
    moved.metadata.lastActive = tick();
    await storage.save(moved, 'by-key');
    expect(names(await storage.list({ projectKey: repo }))).toEqual(['cwd-wins']);
    expect(names(await storage.list({ projectKey: other }))).toEqual(['by-key', 'late']);
    const dropped = await storage.load('by-key');
    delete dropped.metadata.projectKey;
    dropped.metadata.lastActive = tick();
    await storage.save(dropped, 'by-key');
    expect(names(await storage.list({ projectKey: other }))).toEqual(['late']);

    // A cwd set later wins over the field; the field is kept.
    const withCwd = await storage.load('late');
    withCwd.metadata.cwd = REPO;
    withCwd.metadata.lastActive = tick();
    await storage.save(withCwd, 'late');
    expect(await storage.list({ projectKey: other })).toEqual([]);
    expect(names(await storage.list({ projectKey: repo }))).toEqual(['late', 'cwd-wins']);
    expect((await storage.load('late')).metadata.projectKey).toBe(other);
  });

  it('forgets removed sessions, and trashed ones until they are restored', async (t) => {
    const storage = await projectListing(t);
    await storage.save(inProject(REPO, { lastActive: tick() }), 'kept');
    await storage.save(inProject(REPO, { lastActive: tick() }), 'removed');
    await storage.save(inProject(REPO, { lastActive: tick() }), 'binned');
    const caps = storageCapabilities(storage);
    if (caps.remove) {
      expect(await storage.remove?.('removed')).toBe(true);
      expect(names(await storage.list({ projectKey: repo }))).not.toContain('removed');
    }
    if (!caps.trash) return;
    const entry = await storage.moveToTrash?.('binned');
    expect(entry).toBeDefined();
    expect(names(await storage.list({ projectKey: repo }))).not.toContain('binned');
    expect(await storage.restoreFromTrash?.(entry?.id ?? '', { name: 'restored' })).toBe('restored');
    const listed = names(await storage.list({ projectKey: repo }));
    expect(listed).toContain('restored');
    expect(listed).toContain('kept');
    expect(listed).not.toContain('binned');
  });

  it('files a long cwd under the CLI’s cut and hashed folder name', async (t) => {
    const storage = await projectListing(t);
    const deep = `/home/dev/${'nested-folder/'.repeat(20)}repo`;
    const key = projectFolderName(deep);
    expect(key.length).toBeGreaterThan(200);
    await storage.save(inProject(deep), 'deep');
    await storage.save(inProject(`${deep}-sibling`), 'sibling');
    expect(names(await storage.list({ projectKey: key }))).toEqual(['deep']);
  });

  it('rejects a projectKey that is not a non-empty string, changing nothing', async (t) => {
    const storage = await projectListing(t);
    await storage.save(inProject(REPO), 'safe');
    for (const bad of ['', 42, null]) {
      const err = await rejection(storage.list({ projectKey: bad as unknown as string }));
      expect(InvalidArgumentError.is(err), String(err)).toBe(true);
    }
    expect(names(await storage.list({ projectKey: repo }))).toEqual(['safe']);
  });
}
