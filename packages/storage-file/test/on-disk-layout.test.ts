import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearSession } from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { message, stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

describe('FileSessionStorage on disk', () => {
  it('keeps a session as a directory with a small head and an append-only messages file', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    const state = stateWith(3, 'demo');
    expect(await storage.save(state)).toBe('demo');

    expect(readdirSync(join(root, 'demo')).sort()).toEqual(['head.json', 'messages-1.jsonl']);
    const head = JSON.parse(readFileSync(join(root, 'demo', 'head.json'), 'utf8'));
    expect(head).toMatchObject({ formatVersion: 1, revision: 1, messageCount: 3, lastMessageId: 'm2' });
    expect(head.messages).toBeUndefined();
    const lines = readFileSync(join(root, 'demo', 'messages-1.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(['m0', 'm1', 'm2']);
    expect(head.file).toEqual({
      messages: 'messages-1.jsonl',
      bytes: statSync(join(root, 'demo', 'messages-1.jsonl')).size,
    });
  });

  it('appends only the new messages on the next save and leaves earlier bytes untouched', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    const state = stateWith(2, 'grow');
    await storage.save(state);
    const file = join(root, 'grow', 'messages-1.jsonl');
    const before = readFileSync(file);

    state.messages.push(message('m2'), message('m3a'));
    await storage.save(state);
    const after = readFileSync(file);
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
    expect(
      after
        .subarray(before.length)
        .toString('utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual(['m2', 'm3a']);
    expect(state.revision).toBe(2);
    expect((await storage.load('grow')).messages.map((m) => m.id)).toEqual(['m0', 'm1', 'm2', 'm3a']);
  });

  it('writes a new messages generation after clear() and removes the old one', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    let state = stateWith(4, 'cleared');
    await storage.save(state);
    state = clearSession(state);
    state.messages.push(message('fresh'));
    await storage.save(state);

    expect(readdirSync(join(root, 'cleared')).sort()).toEqual(['head.json', 'messages-2.jsonl']);
    const loaded = await storage.load('cleared');
    expect(loaded.messages.map((m) => m.id)).toEqual(['fresh']);
    expect(loaded.revision).toBe(2);
  });

  it('ignores a torn tail after the committed bytes and cuts it off on the next save', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    const state = stateWith(2, 'torn');
    await storage.save(state);
    // What a process killed between writing messages and publishing the head leaves behind.
    appendFileSync(join(root, 'torn', 'messages-1.jsonl'), '{"id":"ghost","role":"user","con');

    expect((await storage.load('torn')).messages.map((m) => m.id)).toEqual(['m0', 'm1']);
    state.messages.push(message('m2'));
    await storage.save(state);
    const loaded = await storage.load('torn');
    expect(loaded.messages.map((m) => m.id)).toEqual(['m0', 'm1', 'm2']);
    expect(readFileSync(join(root, 'torn', 'messages-1.jsonl'), 'utf8')).not.toContain('ghost');
  });

  it('reports the head file as the path of a listed session, and load() accepts that path', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(1, 'listed'));
    const [info] = await storage.list();
    expect(info?.path).toBe(join(root, 'listed', 'head.json'));
    expect((await storage.load(info!.path)).messages).toHaveLength(1);
  });

  it('never reads messages files to list', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(3, 'heads-only'));
    writeFileSync(join(root, 'heads-only', 'messages-1.jsonl'), 'not json at all\n');
    const [info] = await storage.list();
    expect(info).toMatchObject({ name: 'heads-only', messageCount: 3 });
    expect(info?.error).toBeUndefined();
  });
});
