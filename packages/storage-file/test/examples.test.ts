/** The README's examples, run for real. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { leasedNote } from '../examples/leased-turn.js';
import { quickStart } from '../examples/quick-start.js';
import { appendNote } from '../examples/retry-on-conflict.js';
import { FileSessionStorage } from '../src/index.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const cwd = process.cwd();
afterEach(() => {
  process.chdir(cwd);
  vi.restoreAllMocks();
});

describe('README examples', () => {
  it('examples/quick-start.ts saves, loads and lists a session in ./my-sessions', async () => {
    const dir = tempDir();
    process.chdir(dir);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await quickStart();
    expect(log.mock.calls[0]).toEqual([2, 1]);
    expect(log.mock.calls[1]?.slice(0, 2)).toEqual(['feature-auth', 2]);
    expect(existsSync(join(dir, 'my-sessions', 'feature-auth', 'head.json'))).toBe(true);
  });

  it('examples/retry-on-conflict.ts keeps every note when writers race', async () => {
    const storage = new FileSessionStorage(tempDir());
    const notes = Array.from({ length: 8 }, (_, i) => `note ${i}`);
    await Promise.all(notes.map((note) => appendNote(storage, 'shared', note)));
    const loaded = await storage.load('shared');
    expect(loaded.messages.map((m) => m.content).sort()).toEqual(notes);
    expect(loaded.revision).toBe(8);
  });

  it('examples/leased-turn.ts runs racing turns one at a time: every note stored, no conflict', async () => {
    const storage = new FileSessionStorage(tempDir());
    const notes = Array.from({ length: 8 }, (_, i) => `note ${i}`);
    await Promise.all(notes.map((note) => leasedNote(storage, 'shared', note)));
    const loaded = await storage.load('shared');
    expect(loaded.messages.map((m) => m.content).sort()).toEqual(notes);
    expect(loaded.revision).toBe(8);
  });
});
