import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { requireBuiltPackage, startFixture } from './child-process.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

describe('FileSessionStorage across processes', () => {
  it('4 processes doing load, add a turn, save (retrying on conflict) lose and duplicate nothing', async () => {
    requireBuiltPackage();
    const root = tempDir();
    const turns = 12;
    const children = [1, 2, 3, 4].map((w) =>
      startFixture('turn-writer.mjs', [root, 'shared', `w${w}`, String(turns)]),
    );
    const codes = await Promise.all(children.map((c) => c.exited));
    expect(codes, children.map((c) => c.stderr()).join('\n')).toEqual([0, 0, 0, 0]);

    const saved = children.flatMap((c) =>
      c.lines.filter((l) => l.startsWith('saved ')).map((l) => l.slice(6)),
    );
    expect(saved).toHaveLength(4 * turns);
    const loaded = await new FileSessionStorage(root).load('shared');
    const ids = loaded.messages.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...saved].sort());
    expect(loaded.revision).toBe(4 * turns);
  }, 60_000);
});
