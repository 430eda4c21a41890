import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { createSessionState, projectFolderName, type SessionInfo } from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { requireBuiltPackage, startFixture } from './child-process.js';
import { useTempDirs } from './helpers.js';
import { oldVersionModule } from './old-version.js';

const tempDir = useTempDirs();

async function saveIn(storage: FileSessionStorage, name: string, cwd: string | undefined): Promise<void> {
  let state: ReturnType<typeof createSessionState>;
  try {
    state = await storage.load(name);
  } catch {
    state = createSessionState({ name });
  }
  if (cwd === undefined) delete state.metadata.cwd;
  else state.metadata.cwd = cwd;
  state.messages.push({
    id: `m${state.messages.length}`,
    role: 'user',
    content: name,
    timestamp: new Date(),
    sessionId: 'claude-x',
  });
  await storage.save(state);
}

const names = (infos: SessionInfo[]) => infos.map((i) => i.name).sort();

/** What `list({ projectKey, prefix })` must return: every session, loaded, filtered by its cwd. */
async function expected(storage: FileSessionStorage, projectKey: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const info of await storage.list({ prefix })) {
    if (info.error !== undefined) continue;
    const cwd = (await storage.load(info.name)).metadata.cwd;
    if (cwd !== undefined && projectFolderName(cwd) === projectKey) found.push(info.name);
  }
  return found.sort();
}

/** Makes the root look unchanged for a minute, as a root is between session creations. */
function settle(root: string): void {
  mkdirSync(join(root, '.list-groups'), { recursive: true, mode: 0o700 });
  const past = new Date(Date.now() - 60_000);
  utimesSync(root, past, past);
}

const A = '/work/alpha';
const B = '/work/beta';
const keyA = projectFolderName(A);
const keyB = projectFolderName(B);

describe('list({ projectKey })', () => {
  it('lists the sessions of one project, with prefix, limit and cursor, in the order of any listing', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    expect(storage.listFilters).toEqual(['projectKey']);
    for (let i = 0; i < 6; i++) await saveIn(storage, `s-${i}`, i % 2 === 0 ? A : B);
    await saveIn(storage, 'agent.x', A);
    await saveIn(storage, 'nowhere', undefined);
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(await expected(storage, keyA));
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['agent.x', 's-0', 's-2', 's-4']);
    expect(names(await storage.list({ projectKey: keyB }))).toEqual(['s-1', 's-3', 's-5']);
    expect(names(await storage.list({ projectKey: keyA, prefix: 's-' }))).toEqual(['s-0', 's-2', 's-4']);
    expect(await storage.list({ projectKey: 'no-such-project' })).toEqual([]);
    // Same order and cursors as the full listing, filtered.
    const full = (await storage.list()).filter((i) => ['agent.x', 's-0', 's-2', 's-4'].includes(i.name));
    const first = await storage.list({ projectKey: keyA, limit: 2 });
    expect(first.map((i) => i.name)).toEqual(full.slice(0, 2).map((i) => i.name));
    const rest = await storage.list({ projectKey: keyA, cursor: first[1]!.cursor });
    expect(rest.map((i) => i.name)).toEqual(full.slice(2).map((i) => i.name));
    expect(rest.map((i) => i.cursor)).toEqual(full.slice(2).map((i) => i.cursor));
  });

  it('reads the markers, not the root: a folder copied in with the root change time put back is not seen', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    await saveIn(storage, 'one', A);
    await saveIn(storage, 'plainname', A);
    settle(root);
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['one', 'plainname']);
    const { mtime } = statSync(root);
    cpSync(join(root, 'one'), join(root, 'hidden'), { recursive: true });
    cpSync(join(root, 'plainname'), join(root, 'plainname2'), { recursive: true });
    utimesSync(root, mtime, mtime);
    // Nothing the storage or a user does: only a listing that reads the root finds them.
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['one', 'plainname']);
    expect(names(await storage.list({ prefix: 'plain' }))).toEqual(['plainname']);
    expect(names(await storage.list({ prefix: 'plainname' }))).toEqual(['plainname']);
    expect(names(await storage.list())).toEqual(['hidden', 'one', 'plainname', 'plainname2']);
    // Once the root's change time moves and settles, a refresh finds them.
    settle(root);
    expect(names(await storage.list({ projectKey: keyA }))).toEqual([
      'hidden',
      'one',
      'plainname',
      'plainname2',
    ]);
  });

  it('follows saves that change the cwd, removals, the trash and restores, at once', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    await saveIn(storage, 'one', A);
    await saveIn(storage, 'two', A);
    settle(root);
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['one', 'two']);
    await saveIn(storage, 'two', B); // moves
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['one']);
    expect(names(await storage.list({ projectKey: keyB }))).toEqual(['two']);
    expect(readdirSync(join(root, '.list-groups', '.projects', keyA))).toEqual(['one']);
    await saveIn(storage, 'two', undefined); // no project any more
    expect(await storage.list({ projectKey: keyB })).toEqual([]);
    await storage.remove('one');
    expect(await storage.list({ projectKey: keyA })).toEqual([]);
    await saveIn(storage, 'three', A);
    const entry = await storage.moveToTrash('three');
    expect(await storage.list({ projectKey: keyA })).toEqual([]);
    await storage.restoreFromTrash(entry!.id, { name: 'three-again' });
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['three-again']);
    // A whole-store listing (which may rewrite the list index) leaves the markers trusted.
    await storage.list();
    await saveIn(storage, 'four', A);
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['four', 'three-again']);
  });

  it('a whole-store listing that rewrites the list index moves the stamp onto the new index file', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    for (let i = 0; i < 20; i++) await saveIn(storage, `s-${i}`, i % 2 === 0 ? A : B);
    expect(await storage.list({ projectKey: keyA })).toHaveLength(10); // stamped
    // Heads touched (new change times): every one is a miss, so the next full listing rewrites the index.
    const now = new Date();
    for (let i = 0; i < 20; i++) utimesSync(join(root, `s-${i}`, 'head.json'), now, now);
    await saveIn(storage, 's-20', A);
    const before = statSync(join(root, '.list-index.jsonl')).ino;
    expect(await storage.list()).toHaveLength(21);
    const stamp = JSON.parse(readFileSync(join(root, '.list-groups', 'log-stamp.json'), 'utf8'));
    expect(statSync(join(root, '.list-index.jsonl')).ino).not.toBe(before);
    expect(stamp.log[0]).toBe(statSync(join(root, '.list-index.jsonl')).ino);
    await saveIn(storage, 's-21', A);
    expect(await storage.list({ projectKey: keyA })).toHaveLength(12);
  });

  it('a removal stays pending (read each time) until it is a minute old, then it is settled', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    await saveIn(storage, 'one', A);
    await saveIn(storage, 'two', A);
    expect(await storage.list({ projectKey: keyA })).toHaveLength(2);
    await storage.remove('two');
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['one']);
    const stampPath = join(root, '.list-groups', 'log-stamp.json');
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    expect(stamp.pending.map((p: [string, number]) => p[0])).toContain('two');
    stamp.pending = stamp.pending.map(([n, since]: [string, number]) => [n, since - 120_000]);
    writeFileSync(stampPath, JSON.stringify(stamp));
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['one']);
    expect(JSON.parse(readFileSync(stampPath, 'utf8')).pending).toEqual([]);
  });

  it('finds the sessions of a store written before the markers existed, 3.x files included', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    for (let i = 0; i < 5; i++) await saveIn(storage, `old-${i}`, i < 3 ? A : B);
    const legacy = createSessionState({ name: 'legacy' });
    legacy.metadata.cwd = A;
    writeFileSync(join(root, 'legacy.json'), JSON.stringify(legacy));
    rmSync(join(root, '.list-groups'), { recursive: true, force: true }); // as a store of an older version
    settle(root);
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['legacy', 'old-0', 'old-1', 'old-2']);
    expect(names(await storage.list({ projectKey: keyB }))).toEqual(['old-3', 'old-4']);
    expect(names(await storage.list({ projectKey: keyA, prefix: 'old-' }))).toEqual([
      'old-0',
      'old-1',
      'old-2',
    ]);
  });

  it('a damaged, foreign or unwritable markers folder only makes the listing read every head', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    await saveIn(storage, 'one', A);
    await saveIn(storage, 'two', B);
    writeFileSync(join(root, '.list-groups', 'log-stamp.json'), '{"v":2,');
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['one']);
    rmSync(join(root, '.list-groups'), { recursive: true, force: true });
    writeFileSync(join(root, '.list-groups'), 'not a folder');
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['one']);
    expect(names(await storage.list({ projectKey: keyB }))).toEqual(['two']);
  });

  it('rejects a project key that is not a non-empty string, naming it', async () => {
    const storage = new FileSessionStorage({ dir: tempDir(), fsync: false });
    await expect(storage.list({ projectKey: '' })).rejects.toThrow(/projectKey must be a non-empty string/);
    await expect(storage.list({ projectKey: 3 as unknown as string })).rejects.toThrow(/projectKey/);
  });
});

describe('writers of an older version, which keep no markers, in other processes', () => {
  it('their creations, moves, removals and trashings are seen by the next listing', async () => {
    requireBuiltPackage();
    const oldModule = oldVersionModule();
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    await saveIn(storage, 'agent-a.seed', A);
    settle(root);
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['agent-a.seed']); // stamped
    expect(names(await storage.list({ prefix: 'agent-a.' }))).toEqual(['agent-a.seed']);
    const run = async (commands: string[]) => {
      const child = startFixture('old-writer.mjs', [oldModule, root, ...commands]);
      expect(await child.exited, child.stderr()).toBe(0);
    };
    await run(['save agent-a.1 /work/alpha', 'save agent-b.1 /work/beta', 'save agent-a.2 /work/alpha']);
    expect(names(await storage.list({ projectKey: keyA }))).toEqual([
      'agent-a.1',
      'agent-a.2',
      'agent-a.seed',
    ]);
    expect(names(await storage.list({ prefix: 'agent-a.' }))).toEqual([
      'agent-a.1',
      'agent-a.2',
      'agent-a.seed',
    ]);
    await run(['save agent-a.1 /work/beta']); // moved by the old version: the marker in A is stale
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['agent-a.2', 'agent-a.seed']);
    expect(names(await storage.list({ projectKey: keyB }))).toEqual(['agent-a.1', 'agent-b.1']);
    await run(['remove agent-a.2', 'trash agent-a.seed']);
    expect(await storage.list({ projectKey: keyA })).toEqual([]);
    expect(names(await storage.list({ prefix: 'agent-a.' }))).toEqual(['agent-a.1']);
    // After a whole-store listing too (it may rewrite the index the stamp points into).
    await storage.list();
    await run(['save agent-a.3 /work/alpha']);
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(['agent-a.3']);
  }, 60_000);

  it('while they write concurrently: every session saved before a listing began is listed', async () => {
    requireBuiltPackage();
    const oldModule = oldVersionModule();
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    await saveIn(storage, 'seed', A);
    const cwds = [A, B, '/work/gamma'];
    const children = [0, 1].map((w) =>
      startFixture('old-writer.mjs', [
        oldModule,
        root,
        ...Array.from({ length: 30 }, (_, i) => `save w${w}-${i} ${cwds[i % 3]}`),
      ]),
    );
    // The current version writes too (it keeps the markers).
    const ownNames: string[] = [];
    const own = (async () => {
      for (let i = 0; i < 20; i++) {
        await saveIn(storage, `own-${i}`, cwds[i % 3]);
        ownNames.push(`own-${i}`);
      }
    })();
    const done = Promise.all(children.map((c) => c.exited));
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    while (!finished) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (Math.random() < 0.2) settle(root);
      if (Math.random() < 0.1) await storage.list(); // whole-store listings in between
      const before = new Set(
        children.flatMap((c, w) =>
          c.lines.filter((l) => /^done \d+$/.test(l)).map((l) => `w${w}-${l.slice(5)}`),
        ),
      );
      for (const name of ownNames) before.add(name);
      const listed = new Set(names(await storage.list({ projectKey: keyA })));
      for (const name of before) {
        const i = Number(name.split('-')[1]);
        if (i % 3 === 0) expect(listed.has(name), name).toBe(true);
        else expect(listed.has(name), name).toBe(false);
      }
    }
    expect(await done).toEqual([0, 0]);
    await own;
    expect(names(await storage.list({ projectKey: keyA }))).toEqual(await expected(storage, keyA));
    expect(await storage.list({ projectKey: keyA })).toHaveLength(10 + 10 + 7 + 1);
  }, 90_000);
});
