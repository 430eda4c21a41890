import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  clearSession,
  InvalidArgumentError,
  SessionNotFoundError,
  storageCapabilities,
} from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { message, stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const ID = '0c6f2a4e-7d1b-4c55-9e0a-3f8d2b1c9a77';
const entry = (i: number) => ({
  type: i % 2 ? 'assistant' : 'user',
  uuid: `u${i}`,
  text: `line ${i} ✓ \u2028 🎉`,
});

async function withSession(): Promise<{ storage: FileSessionStorage; root: string }> {
  const root = tempDir();
  const storage = new FileSessionStorage(root);
  await storage.save(stateWith(2), 'portable');
  return { storage, root };
}

describe('FileSessionStorage transcripts (portable sessions)', () => {
  it('has the transcript capability', () => {
    expect(storageCapabilities(new FileSessionStorage(tempDir())).transcripts).toBe(true);
  });

  it('dedupe uuid: indexes lines stored by positional appends (older transcripts) before it checks', async () => {
    const { storage, root } = await withSession();
    await storage.appendTranscript('portable', ID, [entry(0), entry(1)], 0); // no uuid index yet
    await storage.appendTranscript('portable', ID, [entry(1), entry(2)], 0, { dedupe: 'uuid' });
    await storage.appendTranscript('portable', ID, [entry(3)], 3); // positional again, past the index
    await storage.appendTranscript('portable', ID, [entry(3), entry(2), entry(4)], 0, { dedupe: 'uuid' });
    expect(await storage.loadTranscript('portable', ID)).toEqual([0, 1, 2, 3, 4].map(entry));
    const index = readFileSync(join(root, 'portable', 'transcripts', `${ID}.uuids`), 'utf8');
    expect(
      index
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
  });

  it('stores lines incrementally and returns them deep-equal, in order', async () => {
    const { storage, root } = await withSession();
    await storage.appendTranscript('portable', ID, [entry(0), entry(1), entry(2)], 0);
    const file = join(root, 'portable', 'transcripts', `${ID}.1.ccz`);
    const before = readFileSync(file);
    await storage.appendTranscript('portable', ID, [entry(3), entry(4)], 3);
    expect(readFileSync(file).subarray(0, before.length).equals(before)).toBe(true);
    expect(await storage.loadTranscript('portable', ID)).toEqual([0, 1, 2, 3, 4].map(entry));
  });

  it('keeps stored lines when a range is appended again, and extends past them', async () => {
    const { storage } = await withSession();
    await storage.appendTranscript('portable', ID, [entry(0), entry(1), entry(2)], 0);
    await storage.appendTranscript('portable', ID, [entry(1), { changed: true }, entry(3)], 1);
    expect(await storage.loadTranscript('portable', ID)).toEqual([entry(0), entry(1), entry(2), entry(3)]);
  });

  it('refuses a gap, and appends to sessions that exist only', async () => {
    const { storage } = await withSession();
    await storage.appendTranscript('portable', ID, [entry(0)], 0);
    const gap = await storage.appendTranscript('portable', ID, [entry(5)], 5).catch((e: unknown) => e);
    expect(InvalidArgumentError.is(gap)).toBe(true);
    const missing = await storage.appendTranscript('nobody', ID, [entry(0)], 0).catch((e: unknown) => e);
    expect(SessionNotFoundError.is(missing)).toBe(true);
    expect(await storage.loadTranscript('portable', 'other-id')).toBeNull();
    expect(await storage.loadTranscript('nobody', ID)).toBeNull();
  });

  it('keeps any Claude session id inside the session folder', async () => {
    const { storage, root } = await withSession();
    for (const id of ['../../escape', '/abs/path', 'dots.in.id', '.hidden']) {
      await storage.appendTranscript('portable', id, [entry(0)], 0);
      expect(await storage.loadTranscript('portable', id)).toEqual([entry(0)]);
    }
    expect(readdirSync(join(root, 'portable', 'transcripts')).every((f) => !f.includes('/'))).toBe(true);
    expect(readdirSync(root).sort()).toEqual([
      '.list-groups',
      '.list-index.jsonl',
      '.locks',
      '.search-index.jsonl',
      'portable',
    ]);
  });

  it('ignores a torn tail left by a crash and cuts it off on the next append', async () => {
    const { storage, root } = await withSession();
    await storage.appendTranscript('portable', ID, [entry(0)], 0);
    appendFileSync(join(root, 'portable', 'transcripts', `${ID}.1.ccz`), '{"type":"us');
    expect(await storage.loadTranscript('portable', ID)).toEqual([entry(0)]);
    await storage.appendTranscript('portable', ID, [entry(1)], 1);
    expect(await storage.loadTranscript('portable', ID)).toEqual([entry(0), entry(1)]);
  });

  it('survives clear() and saves of the session, and goes away with remove()', async () => {
    const { storage, root } = await withSession();
    await storage.appendTranscript('portable', ID, [entry(0)], 0);
    let state = await storage.load('portable');
    state = clearSession(state);
    state.messages.push(message('after-clear'));
    await storage.save(state);
    expect(await storage.loadTranscript('portable', ID)).toEqual([entry(0)]);
    expect(statSync(join(root, 'portable', 'transcripts')).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'portable', 'transcripts', `${ID}.head.json`)).mode & 0o777).toBe(0o600);
    expect(await storage.remove('portable')).toBe(true);
    expect(await storage.loadTranscript('portable', ID)).toBeNull();
  });
});
