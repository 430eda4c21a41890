import {
  InvalidSessionNameError,
  SessionConflictError,
  type SessionStorage,
  storageCapabilities,
} from '@channelcoder/session-core';
import { addMessages, makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it, type TestContext } from '../spec-api.js';

type RevisionStorage = SessionStorage & Required<Pick<SessionStorage, 'readRevision'>>;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection, but it resolved'),
    (err: unknown) => err,
  );
}

export function readRevisionSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  async function reading(t: TestContext): Promise<RevisionStorage & S> {
    const storage = await ctx.fresh();
    if (!storageCapabilities(storage).readRevision) t.skip('the storage has no readRevision capability');
    return storage as RevisionStorage & S;
  }

  /** Another storage object over the same data (a second process), else the same one. */
  async function other(storage: S): Promise<RevisionStorage> {
    return ((await ctx.options.sibling?.(storage)) ?? storage) as unknown as RevisionStorage;
  }

  it('reads null for a name with nothing stored, and rejects an invalid name', async (t) => {
    const storage = await reading(t);
    expect(await storage.readRevision('never-saved')).toBeNull();
    const err = await rejection(storage.readRevision('../escape'));
    expect(InvalidSessionNameError.is(err), String(err)).toBe(true);
  });

  it('equals load().revision after each save', async (t) => {
    const storage = await reading(t);
    const state = makeState({ messages: 2 });
    await storage.save(state, 'counted');
    for (let i = 0; i < 4; i++) {
      const revision = await storage.readRevision('counted');
      const loaded = await storage.load('counted');
      expect(revision).toBe(loaded.revision);
      expect(revision).toBe(i + 1);
      addMessages(loaded, 2);
      await storage.save(loaded, 'counted');
    }
    expect(await storage.readRevision('counted')).toBe((await storage.load('counted')).revision);
  });

  it('sees a save made through another storage object over the same data', async (t) => {
    const storage = await reading(t);
    const elsewhere = await other(storage);
    await storage.save(makeState({ messages: 2 }), 'shared');
    expect(await storage.readRevision('shared')).toBe(1);
    const theirs = await elsewhere.load('shared');
    addMessages(theirs, 2);
    await elsewhere.save(theirs, 'shared');
    expect(await storage.readRevision('shared')).toBe(2);
    expect(await storage.readRevision('shared')).toBe((await storage.load('shared')).revision);
  });

  it('equals load().revision after two writers race on one revision', async (t) => {
    const storage = await reading(t);
    // The race needs the backend to order writers; a run that skips the concurrency concern says why not.
    const unordered = ctx.options.skip?.concurrency;
    if (unordered !== undefined) t.skip(unordered);
    const elsewhere = await other(storage);
    await storage.save(makeState({ messages: 2 }), 'raced');
    const mine = await storage.load('raced');
    const theirs = await elsewhere.load('raced');
    addMessages(mine, 1);
    addMessages(theirs, 3);
    const outcomes = await Promise.allSettled([storage.save(mine, 'raced'), elsewhere.save(theirs, 'raced')]);
    const lost = outcomes.filter((o) => o.status === 'rejected');
    expect(lost).toHaveLength(1);
    const reason = (lost[0] as PromiseRejectedResult).reason;
    expect(SessionConflictError.is(reason), String(reason)).toBe(true);
    expect(await storage.readRevision('raced')).toBe(2);
    expect(await elsewhere.readRevision('raced')).toBe((await storage.load('raced')).revision);
  });

  it('reads null again after remove, and after moveToTrash', async (t) => {
    const storage = await reading(t);
    const caps = storageCapabilities(storage);
    if (!caps.remove && !caps.trash) t.skip('the storage has neither remove nor the trash capability');
    if (caps.remove) {
      await storage.save(makeState(), 'removed');
      expect(await storage.readRevision('removed')).toBe(1);
      await storage.remove!('removed');
      expect(await storage.readRevision('removed')).toBeNull();
      await storage.save(makeState(), 'removed');
      expect(await storage.readRevision('removed')).toBe(1);
    }
    if (caps.trash) {
      await storage.save(makeState(), 'binned');
      const state = await storage.load('binned');
      await storage.save(state, 'binned');
      expect(await storage.readRevision('binned')).toBe(2);
      await storage.moveToTrash!('binned');
      expect(await storage.readRevision('binned')).toBeNull();
    }
  });
}
