/**
 * A storage written exactly like the session guide's custom storages: save/load/list only, `list()`
 * returns every entry without cursors and ignores its options. `session.list()` pages it, `session.remove()`
 * says which method to add, `session.exists()` answers from the listing.
 */
import { describe, expect, it } from 'vitest';
import { CapabilityError, InvalidArgumentError } from '../../src/errors.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import { session } from '../../src/session/factory.js';
import { createSessionState } from '../../src/state.js';
import { projectFolderName } from '../../src/transcripts/folder-name.js';
import { SeedStyleStorage } from './support/storages.js';

async function seeded(): Promise<SeedStyleStorage> {
  const storage = new SeedStyleStorage();
  for (const [name, minutesAgo] of [
    ['alpha', 3],
    ['beta', 1],
    ['gamma', 2],
    ['delta', 1],
  ] as const) {
    const state = createSessionState({ name });
    state.metadata.lastActive = new Date(Date.UTC(2026, 0, 1, 12, 0) - minutesAgo * 60_000);
    await storage.save(state, name);
  }
  return storage;
}

describe('session statics on a storage that does not page', () => {
  it('list() orders newest first, fills cursors and pages with limit + cursor', async () => {
    const storage = await seeded();
    const all = await session.list({ storage });
    expect(all.map((i) => i.name)).toEqual(['beta', 'delta', 'gamma', 'alpha']);
    expect(all.every((i) => typeof i.cursor === 'string' && i.cursor !== '')).toBe(true);

    const first = await session.list({ storage, limit: 3 });
    expect(first.map((i) => i.name)).toEqual(['beta', 'delta', 'gamma']);
    const rest = await session.list({ storage, limit: 3, cursor: first.at(-1)?.cursor ?? '' });
    expect(rest.map((i) => i.name)).toEqual(['alpha']);
    expect(await session.list({ storage, limit: 3, cursor: rest.at(-1)?.cursor ?? '' })).toEqual([]);
    expect((await session.list({ storage, prefix: 'g' })).map((i) => i.name)).toEqual(['gamma']);
  });

  it('list({ projectKey }) names what the storage lacks; a bad projectKey is an InvalidArgumentError', async () => {
    const storage = await seeded();
    const err = await session.list({ storage, projectKey: '-home-dev-repo' }).catch((e: unknown) => e);
    expect(CapabilityError.is(err), String(err)).toBe(true);
    expect(String(err)).toContain("listFilters = ['projectKey']");
    const bad = await session.list({ storage, projectKey: '' }).catch((e: unknown) => e);
    expect(InvalidArgumentError.is(bad), String(bad)).toBe(true);
  });

  it('list({ projectKey }) on the memory storage lists the sessions of that cwd', async () => {
    const storage = new MemorySessionStorage();
    for (const [name, cwd] of [
      ['here', '/home/dev/repo'],
      ['there', '/home/dev/other'],
      ['nowhere', undefined],
    ] as const) {
      const state = createSessionState({ name, ...(cwd === undefined ? {} : { cwd }) });
      await storage.save(state, name);
    }
    const listed = await session.list({ storage, projectKey: projectFolderName('/home/dev/repo') });
    expect(listed.map((i) => i.name)).toEqual(['here']);
  });

  it('list() rejects a bad limit the same way as on a paging storage', async () => {
    const storage = await seeded();
    await expect(session.list({ storage, limit: -1 })).rejects.toThrow(
      /limit must be a non-negative integer/,
    );
  });

  it('remove() names the method to add; exists() answers from the listing', async () => {
    const storage = await seeded();
    const error = await session.remove('alpha', { storage }).catch((err: unknown) => err);
    expect(CapabilityError.is(error)).toBe(true);
    expect((error as CapabilityError).capability).toBe('remove');
    expect((error as Error).message).toContain(
      'Add the method to SeedStyleStorage: async remove(name: string): Promise<boolean>',
    );
    expect(await session.exists('alpha', { storage })).toBe(true);
    expect(await session.exists('omega', { storage })).toBe(false);
    expect(storage.rows.has('alpha')).toBe(true);
  });
});
