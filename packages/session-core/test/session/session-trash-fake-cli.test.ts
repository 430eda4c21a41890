/**
 * Saving over a name held by another session ("Overwrite with progress"): the stored one goes to the trash
 * and stays restorable; the revision check between writers of the same session is unchanged; a storage
 * without trash refuses before anything runs and says why. Turns run the fake CLI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as core from '../../src/index.js';
import { CapabilityError, SessionConflictError, SessionNotFoundError } from '../../src/index.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import type { SessionStorage } from '../../src/storage.js';
import * as kit from '../../src/storage-kit.js';
import { useFakeSessions } from './support/fake-sessions.js';
import { createJsonFileStorage } from './support/json-file-storage.mjs';
import { SeedStyleStorage } from './support/storages.js';

const ctx = useFakeSessions();
const { session, withFake } = ctx;
const contents = (s: { messages(): { content: string }[] }) => s.messages().map((m) => m.content);

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A storage with revisions, remove and exists but no trash (a JSON file per session in a temp dir). */
function storageWithoutTrash(): SessionStorage {
  const dir = mkdtempSync(join(tmpdir(), 'cc-no-trash-'));
  dirs.push(dir);
  return createJsonFileStorage({ ...core, ...kit }, dir) as SessionStorage;
}

describe('saving under a name held by another session', () => {
  it('session({ name }) run twice replaces the first into the trash; restore brings it back', async () => {
    const first = withFake('same-id', { name: 'my-project-session' });
    await first.claude('first run');
    const second = withFake('same-id', { name: 'my-project-session' });
    await second.claude('second run');
    expect(ctx.fake.invocations()).toHaveLength(2);

    expect(contents(await session.load('my-project-session'))).toEqual(['second run', 'echo: second run']);
    const trash = await session.list({ trash: true });
    expect(trash.map((e) => [e.name, e.reason, e.session.messageCount])).toEqual([
      ['my-project-session', 'replaced', 2],
    ]);
    expect((await session.list()).map((i) => i.name)).toEqual(['my-project-session']);

    // Restoring into the taken name is refused and changes nothing; under another name it comes back.
    const err = await session.restore('my-project-session').catch((e: unknown) => e);
    expect(SessionConflictError.is(err) && err.reason).toBe('name-taken');
    expect(await session.list({ trash: true })).toHaveLength(1);
    expect(await session.restore('my-project-session', { as: 'first-run' })).toBe('first-run');
    const restored = await session.load('first-run', { defaults: { env: ctx.fake.env() } });
    expect(contents(restored)).toEqual(['first run', 'echo: first run']);
    expect(restored.name()).toBe('first-run');
    // It continues under its new name.
    await restored.claude('again');
    expect(contents(await session.load('first-run'))).toHaveLength(4);
    expect(await session.list({ trash: true })).toEqual([]);
  });

  it('the Quick Start run twice (autosave, then save(name)) leaves one entry and the first run in the trash', async () => {
    for (const run of [1, 2]) {
      const s = withFake();
      await s.claude(`What is TypeScript? (${run})`);
      expect(s.name()).toMatch(/^session-/);
      await ctx.storage.appendTranscript(s.name()!, s.id()!, [{ uuid: `u${run}`, run }], 0);
      expect(await s.save('learning-typescript')).toBe('learning-typescript');
      await s.claude('Show me an example');
    }
    expect((await session.list()).map((i) => i.name)).toEqual(['learning-typescript']);
    const stored = await session.load('learning-typescript');
    expect(contents(stored)[0]).toBe('What is TypeScript? (2)');
    expect(stored.messages()).toHaveLength(4);
    // The rename took the transcript along.
    expect(await ctx.storage.loadTranscript('learning-typescript', stored.id()!)).toEqual([
      { uuid: 'u2', run: 2 },
    ]);
    const [entry] = await session.list({ trash: true });
    expect(entry?.reason).toBe('replaced');
    expect(entry?.session.messageCount).toBe(4);
    await session.remove('learning-typescript');
    expect(await session.restore(entry!.id)).toBe('learning-typescript');
    const back = await session.load('learning-typescript');
    expect(contents(back)[0]).toBe('What is TypeScript? (1)');
    expect(await ctx.storage.loadTranscript('learning-typescript', back.id()!)).toEqual([
      { uuid: 'u1', run: 1 },
    ]);
  });

  it('sets a damaged session under the name aside into the trash too', async () => {
    await withFake('same-id', { name: 'damaged' }).claude('old');
    ctx.storage.records.get('damaged')!.head = '{"formatVersion":1,"revision":';
    const s = withFake('same-id', { name: 'damaged' });
    await s.claude('new');
    expect(contents(await session.load('damaged'))).toEqual(['new', 'echo: new']);
    const [entry] = await session.list({ trash: true });
    expect(entry?.reason).toBe('replaced');
    expect(entry?.session.error).toMatch(/corrupt|revision/i);
  });

  it('keeps the revision check between writers of the same session', async () => {
    const s = withFake('same-id', { name: 'shared' });
    await s.claude('one');
    const a = await session.load('shared', { defaults: { env: ctx.fake.env() } });
    const b = await session.load('shared', { defaults: { env: ctx.fake.env() } });
    await a.claude('from a');
    const err = await b.save().catch((e: unknown) => e);
    expect(SessionConflictError.is(err)).toBe(true);
    expect((err as SessionConflictError).reason).toBe('revision');
    expect((err as Error).message).toMatch(/changed by another writer/);
    expect(await session.list({ trash: true })).toEqual([]);
    expect(contents(await session.load('shared'))).toEqual(['one', 'echo: one', 'from a', 'echo: from a']);
  });

  it('on a storage without trash: refuses before the turn runs, says why, and keeps the stored session', async () => {
    const storage = storageWithoutTrash();
    const first = withFake('same-id', { name: 'taken', storage });
    await first.claude('first');
    const second = withFake('same-id', { name: 'taken', storage });
    const err = await second.claude('second').catch((e: unknown) => e);
    expect(SessionConflictError.is(err)).toBe(true);
    expect((err as SessionConflictError).reason).toBe('name-taken');
    expect((err as Error).message).toMatch(/held by another session/);
    expect((err as Error).message).toMatch(/no trash capability/);
    expect(ctx.fake.invocations()).toHaveLength(1);
    expect(contents(await session.load('taken', { storage }))).toEqual(['first', 'echo: first']);
    // The static calls say what is missing; remove is today's remove.
    expect(CapabilityError.is(await session.list({ trash: true, storage }).catch((e: unknown) => e))).toBe(
      true,
    );
    expect(CapabilityError.is(await session.restore('taken', { storage }).catch((e: unknown) => e))).toBe(
      true,
    );
    expect(await session.remove('taken', { storage })).toBe(true);
    expect(await session.exists('taken', { storage })).toBe(false);
  });

  it('on a seed-style storage (no revisions) a save under a taken name overwrites, as before', async () => {
    const seed = new SeedStyleStorage();
    await withFake('same-id', { name: 'seeded', storage: seed }).claude('first');
    await withFake('same-id', { name: 'seeded', storage: seed }).claude('second');
    expect(contents(await session.load('seeded', { storage: seed }))).toEqual(['second', 'echo: second']);
  });
});

describe('session.remove and session.restore', () => {
  it('remove moves to the trash; purge deletes for good; restore by name takes the newest entry', async () => {
    const s = withFake('same-id', { name: 'binned' });
    await s.claude('old');
    expect(await session.remove('binned')).toBe(true);
    expect(await session.exists('binned')).toBe(false);
    expect(await session.remove('binned')).toBe(false);
    const again = withFake('same-id', { name: 'binned' });
    await again.claude('newer');
    await session.remove('binned');
    const entries = await session.list({ trash: true, name: 'binned' });
    expect(entries.map((e) => e.reason)).toEqual(['removed', 'removed']);
    expect(await session.list({ trash: true, limit: 1 })).toHaveLength(1);

    expect(await session.restore('binned')).toBe('binned');
    expect(contents(await session.load('binned'))).toEqual(['newer', 'echo: newer']);
    expect(await session.remove('binned', { purge: true })).toBe(true);
    expect(await session.list({ trash: true })).toHaveLength(1);
    const missing = await session.restore('never-trashed').catch((e: unknown) => e);
    expect(SessionNotFoundError.is(missing)).toBe(true);
    expect((missing as Error).message).toMatch(/session\.list\(\{ trash: true \}\)/);
  });

  it('works on any storage given per call', async () => {
    const other = new MemorySessionStorage();
    await withFake('same-id', { name: 'elsewhere', storage: other }).claude('x');
    expect(await session.remove('elsewhere', { storage: other })).toBe(true);
    expect((await session.list({ trash: true, storage: other })).map((e) => e.name)).toEqual(['elsewhere']);
    expect(await session.list({ trash: true })).toEqual([]);
    expect(await session.restore('elsewhere', { storage: other, as: 'back' })).toBe('back');
    expect(await session.exists('back', { storage: other })).toBe(true);
  });
});
