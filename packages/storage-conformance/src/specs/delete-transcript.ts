import {
  InvalidSessionNameError,
  LeaseLostError,
  type SessionLease,
  type SessionStorage,
  storageCapabilities,
} from '@channelcoder/session-core';
import { makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it, type TestContext } from '../spec-api.js';

type DeletingStorage = SessionStorage &
  Required<Pick<SessionStorage, 'appendTranscript' | 'loadTranscript' | 'deleteTranscript'>>;

const HELD_MS = 600_000;
const SHORT_MS = 200;
const WAIT_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function outlive(lease: SessionLease): Promise<void> {
  await sleep(Math.max(0, lease.expiresAt.getTime() - Date.now()) + 100);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection, but it resolved'),
    (err: unknown) => err,
  );
}

function entries(claudeId: string, from: number, count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    type: (from + i) % 2 === 0 ? 'user' : 'assistant',
    uuid: `${claudeId}-${from + i}`,
    sessionId: claudeId,
    message: { content: [{ type: 'text', text: `${claudeId} line ${from + i}` }] },
  }));
}

export function deleteTranscriptSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  async function deleting(t: TestContext): Promise<DeletingStorage> {
    const storage = await ctx.fresh();
    const caps = storageCapabilities(storage);
    if (!caps.deleteTranscript) t.skip('the storage has no deleteTranscript capability');
    if (!caps.transcripts) t.skip('the storage has deleteTranscript but no transcript capability');
    await storage.save(makeState({ messages: 2 }), 'conversation');
    return storage as unknown as DeletingStorage;
  }

  it('deletes one transcript; the others, the state and its revision are unchanged', async (t) => {
    const storage = await deleting(t);
    await storage.save(makeState({ messages: 2 }), 'neighbour');
    await storage.appendTranscript('conversation', 'doomed', entries('doomed', 0, 4), 0);
    await storage.appendTranscript('conversation', 'doomed', entries('doomed', 4, 3), 4);
    await storage.appendTranscript('conversation', 'kept', entries('kept', 0, 5), 0);
    await storage.appendTranscript('neighbour', 'doomed', entries('doomed', 0, 2), 0);
    const before = await storage.load('conversation');

    expect(await storage.deleteTranscript('conversation', 'doomed')).toBe(true);

    expect(await storage.loadTranscript('conversation', 'doomed')).toBeNull();
    expect(await storage.loadTranscript('conversation', 'kept')).toEqual(entries('kept', 0, 5));
    expect(await storage.loadTranscript('neighbour', 'doomed')).toEqual(entries('doomed', 0, 2));
    const after = await storage.load('conversation');
    expect(after.revision).toBe(before.revision);
    expect(after).toEqual(before);
    if (storage.readRevision) expect(await storage.readRevision('conversation')).toBe(before.revision);
    // The state is still saved on the revision it had.
    await storage.save(after, 'conversation');
    expect((await storage.load('conversation')).revision).toBe(before.revision + 1);
  });

  it('returns false when there is nothing to delete, and changes nothing', async (t) => {
    const storage = await deleting(t);
    await storage.appendTranscript('conversation', 'kept', entries('kept', 0, 2), 0);
    expect(await storage.deleteTranscript('conversation', 'never-appended')).toBe(false);
    expect(await storage.deleteTranscript('never-saved', 'kept')).toBe(false);
    expect(await storage.deleteTranscript('conversation', 'kept')).toBe(true);
    expect(await storage.deleteTranscript('conversation', 'kept')).toBe(false);
    expect((await storage.load('conversation')).revision).toBe(1);
  });

  it('rejects an invalid session name', async (t) => {
    const storage = await deleting(t);
    const err = await rejection(storage.deleteTranscript('../escape', 'c1'));
    expect(InvalidSessionNameError.is(err), String(err)).toBe(true);
  });

  it('starts a fresh transcript from line 0 when appending again after a delete', async (t) => {
    const storage = await deleting(t);
    await storage.appendTranscript('conversation', 'reborn', entries('old', 0, 6), 0);
    await storage.deleteTranscript('conversation', 'reborn');
    await storage.appendTranscript('conversation', 'reborn', entries('new', 0, 2), 0);
    expect(await storage.loadTranscript('conversation', 'reborn')).toEqual(entries('new', 0, 2));
    await storage.appendTranscript('conversation', 'reborn', entries('new', 2, 1), 2);
    expect(await storage.loadTranscript('conversation', 'reborn')).toEqual(entries('new', 0, 3));
  });

  it('deletes under the current lease; under a stale one it is LeaseLostError and deletes nothing', async (t) => {
    const storage = await deleting(t);
    if (!storage.lease) t.skip('the storage has no lease() capability');
    await storage.appendTranscript('conversation', 'fenced', entries('fenced', 0, 3), 0);
    await storage.appendTranscript('conversation', 'other', entries('other', 0, 1), 0);
    const stale = await storage.lease!('conversation', { ttlMs: SHORT_MS, holder: 'stale' });
    await outlive(stale);
    const current = await storage.lease!('conversation', { ttlMs: HELD_MS, waitMs: WAIT_MS, holder: 'now' });

    const err = await rejection(storage.deleteTranscript('conversation', 'fenced', { lease: stale }));
    expect(LeaseLostError.is(err), String(err)).toBe(true);
    expect(await storage.loadTranscript('conversation', 'fenced')).toEqual(entries('fenced', 0, 3));
    expect(await storage.loadTranscript('conversation', 'other')).toEqual(entries('other', 0, 1));

    expect(await storage.deleteTranscript('conversation', 'fenced', { lease: current })).toBe(true);
    expect(await storage.loadTranscript('conversation', 'fenced')).toBeNull();
    await current.release();

    const released = await rejection(storage.deleteTranscript('conversation', 'other', { lease: current }));
    expect(LeaseLostError.is(released), String(released)).toBe(true);
    expect(await storage.loadTranscript('conversation', 'other')).toEqual(entries('other', 0, 1));
  });
}
