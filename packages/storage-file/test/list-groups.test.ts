import { cpSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionState, type SessionInfo } from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { requireBuiltPackage, startFixture } from './child-process.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

async function saveNew(storage: FileSessionStorage, name: string): Promise<void> {
  const state = createSessionState({ name });
  state.messages.push({
    id: 'm1',
    role: 'user',
    content: name,
    timestamp: new Date(),
    sessionId: 'claude-x',
  });
  await storage.save(state);
}

/** Makes the root look unchanged for a minute, as a root is between session creations. */
function settle(root: string): void {
  // The first listing makes the groups folder (a change of the root): made here, before the stamp.
  mkdirSync(join(root, '.list-groups'), { recursive: true, mode: 0o700 });
  const past = new Date(Date.now() - 60_000);
  utimesSync(root, past, past);
}

const names = (infos: SessionInfo[]) => infos.map((i) => i.name).sort();

/** What a prefix listing must return: the full listing, filtered. */
async function expected(storage: FileSessionStorage, prefix: string): Promise<string[]> {
  return names(await storage.list()).filter((n) => n.startsWith(prefix));
}

describe('list({ prefix }) through the per-prefix groups', () => {
  it('reads only the groups of the prefix once the root settled, and stays equal to the filtered full listing', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    for (const name of [
      'agent-a.1',
      'agent-a.2',
      'agent-b.1',
      'agent-ab.1',
      'plain',
      'plainer',
      'agent-a-legacy-1',
    ])
      await saveNew(storage, name);
    settle(root);
    await storage.list({ prefix: 'agent-a.' }); // stamps the groups
    expect(readdirSync(join(root, '.list-groups')).sort()).toEqual([
      '.p-agent-a-',
      '.p-agent-a.',
      '.p-agent-ab',
      '.p-agent-b.',
      '.p-plain',
      '.p-plainer',
      '.seen',
      'agent-a.',
      'agent-ab.',
      'agent-b.',
      'log-stamp.json',
    ]);
    for (const prefix of [
      'agent-a.',
      'agent-a',
      'agent-',
      'agent-b.',
      'plain',
      'pla',
      'plainer',
      'agent-a-',
      'agent-a-l',
      'agent-a-legacy-1',
      'agent-a-legacy-10',
      'agent-ab.',
      'nothing.',
      'zz',
    ])
      expect(names(await storage.list({ prefix })), prefix).toEqual(await expected(storage, prefix));
    // The groups are what is read: a folder copied in with the root's change time put back (nothing the
    // storage or a user does) is not in any group, so only a listing that reads the root finds it.
    settle(root);
    await storage.list({ prefix: 'agent-b.' }); // stamps the groups again
    const { mtime } = statSync(root);
    cpSync(join(root, 'agent-b.1'), join(root, 'agent-b.hidden'), { recursive: true });
    utimesSync(root, mtime, mtime);
    expect(names(await storage.list({ prefix: 'agent-b.' }))).toEqual(['agent-b.1']);
    expect(names(await storage.list())).toContain('agent-b.hidden');
  });

  it('sees sessions created, copied in by hand and removed after the groups were stamped', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    await saveNew(storage, 'agent-a.1');
    await saveNew(storage, 'agent-a.2');
    settle(root);
    expect(names(await storage.list({ prefix: 'agent-a.' }))).toEqual(['agent-a.1', 'agent-a.2']);
    await saveNew(storage, 'agent-a.3');
    expect(names(await storage.list({ prefix: 'agent-a.' }))).toEqual([
      'agent-a.1',
      'agent-a.2',
      'agent-a.3',
    ]);
    settle(root);
    await storage.list({ prefix: 'agent-a.' });
    cpSync(join(root, 'agent-a.1'), join(root, 'agent-a.copied'), { recursive: true });
    writeFileSync(
      join(root, 'agent-a.legacy.json'),
      JSON.stringify(createSessionState({ name: 'agent-a.legacy' })),
    );
    // Copied in by hand, not through the storage: nothing logs it, the root's change time shows it once
    // it has settled.
    settle(root);
    expect(names(await storage.list({ prefix: 'agent-a.' }))).toEqual(await expected(storage, 'agent-a.'));
    expect(names(await storage.list({ prefix: 'agent-a.' }))).toContain('agent-a.copied');
    settle(root);
    await storage.list({ prefix: 'agent-a.' });
    await storage.remove('agent-a.2');
    rmSync(join(root, 'agent-a.3'), { recursive: true });
    settle(root);
    expect(names(await storage.list({ prefix: 'agent-a.' }))).toEqual([
      'agent-a.1',
      'agent-a.copied',
      'agent-a.legacy',
    ]);
    // A save of a listed session (its folder only changes) shows its new fields.
    const state = await storage.load('agent-a.1');
    state.messages.push({
      id: 'm2',
      role: 'assistant',
      content: 'more',
      timestamp: new Date(),
      sessionId: 'claude-x',
    });
    await storage.save(state);
    const listed = await storage.list({ prefix: 'agent-a.1' });
    expect(listed.map((i) => i.messageCount)).toEqual([2]);
  });

  it('a damaged or missing groups folder only makes the listing read the root', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    await saveNew(storage, 'agent-a.1');
    settle(root);
    await storage.list({ prefix: 'agent-a.' });
    writeFileSync(join(root, '.list-groups', 'log-stamp.json'), '{"v":');
    expect(names(await storage.list({ prefix: 'agent-a.' }))).toEqual(['agent-a.1']);
    rmSync(join(root, '.list-groups'), { recursive: true });
    settle(root);
    expect(names(await storage.list({ prefix: 'agent-a.' }))).toEqual(['agent-a.1']);
    expect(names(await storage.list({ prefix: 'agent-a.' }))).toEqual(['agent-a.1']);
  });

  it('processes creating sessions of many projects: every session saved before a listing began is listed', async () => {
    requireBuiltPackage();
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    await saveNew(storage, 'agent-p0.seed');
    const children = [0, 1, 2].map((w) => startFixture('project-writer.mjs', [root, `w${w}`, '40', '4']));
    const done = Promise.all(children.map((c) => c.exited));
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    while (!finished) {
      await new Promise((resolve) => setTimeout(resolve, 5)); // lets the children's output in
      // Whatever the root's state, settled or not, groups stamped or not.
      if (Math.random() < 0.3) settle(root);
      const before = new Set(
        children
          .flatMap((c) => c.lines)
          .filter((l) => l.startsWith('saved '))
          .map((l) => l.slice(6)),
      );
      const listed = new Set(names(await storage.list({ prefix: 'agent-p1.' })));
      for (const name of before) if (name.startsWith('agent-p1.')) expect(listed.has(name), name).toBe(true);
    }
    expect(await done).toEqual([0, 0, 0]);
    settle(root);
    for (const prefix of ['agent-p0.', 'agent-p1.', 'agent-p3.', 'agent-'])
      expect(names(await storage.list({ prefix }))).toEqual(await expected(storage, prefix));
    expect(await storage.list({ prefix: 'agent-p1.' })).toHaveLength(30);
  }, 60_000);
});
