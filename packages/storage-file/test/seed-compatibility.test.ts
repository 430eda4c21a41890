import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { InvalidSessionNameError } from '@channelcoder/session-core';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSessionsRoot, FileSessionStorage } from '../src/index.js';
import { message, stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

/** A session file as ChannelCoder 3.x wrote it: no formatVersion, no revision, no message ids. */
function seedFile(name: string): string {
  return JSON.stringify(
    {
      sessionChain: ['abc-1', 'abc-2'],
      currentSessionId: 'abc-2',
      messages: [
        {
          role: 'user',
          content: 'Create a React component',
          timestamp: '2024-01-15T10:00:00.000Z',
          sessionId: 'abc-1',
        },
        {
          role: 'assistant',
          content: 'Here it is…',
          timestamp: '2024-01-15T10:00:05.000Z',
          sessionId: 'abc-2',
        },
      ],
      metadata: { name, created: '2024-01-15T10:00:00.000Z', lastActive: '2024-01-15T11:30:00.000Z' },
    },
    null,
    2,
  );
}

describe('FileSessionStorage and ChannelCoder 3.x sessions', () => {
  const cwd = process.cwd();
  afterEach(() => {
    process.chdir(cwd);
  });

  it('lists and loads a 3.x file from the root and upgrades it to a directory on the next save', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'feature-auth.json'), seedFile('feature-auth'));
    const storage = new FileSessionStorage(root);

    const [info] = await storage.list();
    expect(info).toMatchObject({
      name: 'feature-auth',
      messageCount: 2,
      path: join(root, 'feature-auth.json'),
    });
    expect(info?.error).toBeUndefined();
    expect(await storage.exists('feature-auth')).toBe(true);

    const state = await storage.load('feature-auth');
    expect(state).toMatchObject({ formatVersion: 1, revision: 1, currentSessionId: 'abc-2' });
    expect(state.messages.map((m) => m.content)).toEqual(['Create a React component', 'Here it is…']);
    state.messages.push(message('next-u'));
    await storage.save(state);

    expect(readdirSync(root).sort()).toEqual([
      '.list-groups',
      '.list-index.jsonl',
      '.list-order',
      '.locks',
      '.search-index.jsonl',
      'feature-auth',
    ]);
    const again = await storage.load('feature-auth');
    expect(again.revision).toBe(2);
    expect(again.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
    expect((await storage.list()).map((i) => [i.name, i.messageCount])).toEqual([['feature-auth', 3]]);
  });

  it('loads a session file by absolute path and by ./relative path, wherever it is', async () => {
    const elsewhere = tempDir();
    const file = join(elsewhere, 'exported.json');
    writeFileSync(file, seedFile('exported'));
    const storage = new FileSessionStorage(tempDir());
    expect((await storage.load(file)).messages).toHaveLength(2);
    process.chdir(elsewhere);
    expect((await storage.load('./exported.json')).currentSessionId).toBe('abc-2');
  });

  it('treats a path-looking argument that is not an existing .json file as an invalid name', async () => {
    const storage = new FileSessionStorage(tempDir());
    for (const input of ['./missing.json', '/nowhere/at/all.json', '../x', '/etc/hostname']) {
      const err = await storage.load(input).catch((e: unknown) => e);
      expect(InvalidSessionNameError.is(err), input).toBe(true);
    }
  });

  it("resolves new FileSessionStorage('./my-sessions') against the working directory", async () => {
    const base = tempDir();
    process.chdir(base);
    const storage = new FileSessionStorage('./my-sessions');
    process.chdir(cwd);
    expect(relative(base, storage.root)).toBe('my-sessions');
    await storage.save(stateWith(1), 'here');
    expect(existsSync(join(base, 'my-sessions', 'here', 'head.json'))).toBe(true);
  });

  it('defaults to ~/.channelcoder/sessions, or $CHANNELCODER_HOME/sessions when set', () => {
    expect(defaultSessionsRoot({})).toBe(join(homedir(), '.channelcoder', 'sessions'));
    expect(defaultSessionsRoot({ CHANNELCODER_HOME: '/srv/cc' })).toBe('/srv/cc/sessions');
    const previous = process.env.CHANNELCODER_HOME;
    process.env.CHANNELCODER_HOME = '/srv/other';
    try {
      expect(new FileSessionStorage().root).toBe('/srv/other/sessions');
      expect(new FileSessionStorage({ fsync: false }).root).toBe('/srv/other/sessions');
    } finally {
      if (previous === undefined) delete process.env.CHANNELCODER_HOME;
      else process.env.CHANNELCODER_HOME = previous;
    }
  });

  it('keeps a directory session authoritative over a leftover 3.x file of the same name', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(4), 'both');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'both.json'), seedFile('both'));
    expect((await storage.load('both')).messages).toHaveLength(4);
    expect((await storage.load(join(root, 'both.json'))).messages).toHaveLength(4); // the path of the old file
    expect((await storage.list()).map((i) => [i.name, i.messageCount])).toEqual([['both', 4]]);
    expect(await storage.remove('both')).toBe(true);
    expect(readdirSync(root).filter((f) => !f.startsWith('.'))).toEqual([]);
  });
});
