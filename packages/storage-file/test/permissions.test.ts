import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearSession } from '@channelcoder/session-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { message, stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const mode = (path: string) => statSync(path).mode & 0o777;

/** Modes of everything under `dir`, as `relative/path 0600`. */
function modes(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => join(e.parentPath, e.name))
    .map((p) => `${p.slice(dir.length + 1)} ${mode(p).toString(8)}`)
    .sort();
}

describe('FileSessionStorage permissions (conversations hold secrets)', () => {
  // A permissive umask proves the modes come from the storage, not from the environment.
  let previous = 0;
  beforeEach(() => {
    previous = process.umask(0);
  });
  afterEach(() => {
    process.umask(previous);
  });

  it('creates the root and every folder 0700 and every file 0600', async () => {
    const parent = tempDir();
    const root = join(parent, 'deep', 'sessions');
    const storage = new FileSessionStorage(root);
    let state = stateWith(2, 'secret');
    await storage.save(state);
    state.messages.push(message('m2'));
    await storage.save(state);
    state = clearSession(state);
    state.messages.push(message('again'));
    await storage.save(state);

    expect(mode(join(parent, 'deep'))).toBe(0o700);
    expect(mode(root)).toBe(0o700);
    expect(modes(root)).toEqual([
      '.list-groups 700',
      '.list-groups/.p-secret 700',
      '.list-groups/.p-secret/secret 600',
      '.list-groups/.seen 700',
      '.list-groups/.seen/secret 600',
      '.list-index.jsonl 600',
      '.locks 700',
      '.search-index.jsonl 600',
      'secret 700',
      'secret/head.json 600',
      'secret/messages-3.jsonl 600',
    ]);
  });

  it('writes an upgraded 3.x session owner-only too', async () => {
    const root = tempDir();
    writeFileSync(
      join(root, 'old.json'),
      JSON.stringify({
        sessionChain: ['c1'],
        currentSessionId: 'c1',
        messages: [{ role: 'user', content: 'hi', timestamp: '2024-01-15T10:00:00Z', sessionId: 'c1' }],
        metadata: { name: 'old', created: '2024-01-15T10:00:00Z', lastActive: '2024-01-15T10:00:00Z' },
      }),
      { mode: 0o644 },
    );
    const storage = new FileSessionStorage(root);
    await storage.save(await storage.load('old'));
    expect(modes(root)).toEqual([
      '.list-groups 700',
      '.list-groups/.p-old 700',
      '.list-groups/.p-old/old 600',
      '.list-groups/.seen 700',
      '.list-groups/.seen/old 600',
      '.list-index.jsonl 600',
      '.locks 700',
      '.search-index.jsonl 600',
      'old 700',
      'old/head.json 600',
      'old/messages-2.jsonl 600',
    ]);
  });
});
