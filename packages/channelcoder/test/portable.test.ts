import {
  createSessionState,
  InvalidArgumentError,
  MemorySessionStorage,
  recordTurn,
  SessionCorruptError,
  type SessionStorage,
} from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { exportSession, importSession, readPortableSession } from '../src/index.js';

const ID = '3f1c1a52-8d3e-4b1a-9c57-2f0e1d4b7a90';

async function sourceWithSession(): Promise<MemorySessionStorage> {
  const storage = new MemorySessionStorage();
  let state = createSessionState({ name: 'todo-app', tags: ['demo'] });
  state = recordTurn(state, {
    prompt: 'Start ✨',
    result: { sessionId: ID, text: 'Started\u2028ok', totalCostUsd: 0.01 },
  });
  await storage.save(state);
  await storage.appendTranscript(
    'todo-app',
    ID,
    [
      { type: 'user', n: 1 },
      { type: 'assistant', n: 2 },
    ],
    0,
  );
  return storage;
}

/** A seed-era storage: save/load/list only. */
function plainStorage(): SessionStorage {
  const inner = new MemorySessionStorage();
  return { save: (s, n) => inner.save(s, n), load: (n) => inner.load(n), list: (o) => inner.list(o) };
}

describe('portable session documents', () => {
  it('carry a session and its transcripts from one storage to another, through JSON text', async () => {
    const source = await sourceWithSession();
    const doc = await exportSession(source, 'todo-app');
    expect(doc).toMatchObject({ type: 'channelcoder.session', version: 1, name: 'todo-app' });
    const text = JSON.stringify(doc);

    const target = new MemorySessionStorage();
    const result = await importSession(target, readPortableSession(text), { name: 'copy' });
    expect(result).toEqual({ name: 'copy', transcriptsSkipped: 0 });
    const original = await source.load('todo-app');
    const copy = await target.load('copy');
    expect(copy.messages).toEqual(original.messages);
    expect(copy.usage).toEqual(original.usage);
    expect(copy.metadata).toEqual({ ...original.metadata, name: 'copy' });
    expect(copy.revision).toBe(1);
    expect(await target.loadTranscript('copy', ID)).toEqual([
      { type: 'user', n: 1 },
      { type: 'assistant', n: 2 },
    ]);
  });

  it('say how many transcripts a storage without the capability could not keep', async () => {
    const doc = await exportSession(await sourceWithSession(), 'todo-app');
    const result = await importSession(plainStorage(), readPortableSession(doc));
    expect(result).toEqual({ name: 'todo-app', transcriptsSkipped: 1 });
  });

  it('refuse to overwrite unless forced, then replace the stored session (into the trash when there is one)', async () => {
    const source = await sourceWithSession();
    const portable = readPortableSession(await exportSession(source, 'todo-app'));
    await expect(importSession(source, portable)).rejects.toThrow(/already exists/);
    const result = await importSession(source, portable, { force: true });
    expect(result.name).toBe('todo-app');
    expect((await source.load('todo-app')).revision).toBe(1);
    const [replaced] = await source.listTrash();
    expect(replaced).toMatchObject({ name: 'todo-app', reason: 'replaced' });
    // The import's transcripts start afresh; the replaced ones went to the trash with their session.
    expect(await source.loadTranscript('todo-app', ID)).toHaveLength(2);

    // A storage without trash: the stored session is overwritten in place.
    const plain = plainStorage();
    await importSession(plain, portable);
    await importSession(plain, portable, { force: true });
    expect((await plain.load('todo-app')).revision).toBe(2);
  });

  it('reject what is not an export, and name the bad field of a damaged one', async () => {
    expect(() => readPortableSession('{"type":"other"}', 'x.json')).toThrow(InvalidArgumentError);
    expect(() => readPortableSession('not json', 'x.json')).toThrow(/x\.json is not JSON/);
    const doc = JSON.parse(JSON.stringify(await exportSession(await sourceWithSession(), 'todo-app')));
    doc.state.messages[1].timestamp = 'yesterday';
    try {
      readPortableSession(doc, 'damaged.json');
      throw new Error('no error');
    } catch (err) {
      expect(SessionCorruptError.is(err)).toBe(true);
      expect((err as SessionCorruptError).field).toBe('messages[1].timestamp');
    }
  });
});
