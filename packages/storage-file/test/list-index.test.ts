import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { message, stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const indexLines = (root: string) =>
  readFileSync(join(root, '.list-index.jsonl'), 'utf8').split('\n').filter(Boolean);

async function populate(storage: FileSessionStorage, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const state = stateWith(i % 3, `s${i}`);
    state.metadata.lastActive = new Date(Date.UTC(2026, 0, 1, 0, i));
    state.metadata.tags = [`t${i % 2}`];
    state.usage.totalCostUsd = i / 100;
    await storage.save(state);
  }
}

describe('FileSessionStorage list index (a cache list() may use, never a source of truth)', () => {
  it('lists exactly the same entries with the index, without it, and after rebuilding it', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    await populate(storage, 40);
    const withIndex = await storage.list();
    rmSync(join(root, '.list-index.jsonl'));
    const fromHeads = await storage.list();
    const rebuilt = await storage.list();
    expect(fromHeads).toEqual(withIndex);
    expect(rebuilt).toEqual(withIndex);
    expect(indexLines(root)).toHaveLength(40); // the listing that read the heads wrote a fresh index
    expect(withIndex[0]).toMatchObject({ name: 's39', messageCount: 0, totalCostUsd: 0.39, tags: ['t1'] });
  });

  it('never trusts a line for a head that changed after it was written', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(2), 'edited');
    const head = join(root, 'edited', 'head.json');
    // Same size, different content: an edit the index has not seen.
    writeFileSync(head, readFileSync(head, 'utf8').replace('"messageCount":2', '"messageCount":3'));
    writeFileSync(join(root, 'edited', 'messages-1.jsonl'), '');
    expect((await storage.list())[0]?.messageCount).toBe(3);
  });

  it('ignores torn and foreign lines', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(1), 'a');
    writeFileSync(
      join(root, '.list-index.jsonl'),
      `${readFileSync(join(root, '.list-index.jsonl'), 'utf8')}\n{"n":"a","s`,
    );
    await storage.save(stateWith(1), 'b');
    writeFileSync(
      join(root, '.list-index.jsonl'),
      `\n[1,2]\nnot json${readFileSync(join(root, '.list-index.jsonl'), 'utf8')}`,
    );
    expect((await storage.list()).map((i) => [i.name, i.messageCount, i.error])).toEqual([
      ['a', 1, undefined],
      ['b', 1, undefined],
    ]);
  });

  it('compacts itself when superseded lines pile up', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    const state = stateWith(0, 'busy');
    for (let i = 0; i < 3; i++) {
      state.messages.push(message(`m${i}`));
      await storage.save(state);
    }
    const index = join(root, '.list-index.jsonl');
    const superseded = indexLines(root).slice(0, 2);
    // What 1,000 more saves of one session leave behind: lines no head matches any more.
    writeFileSync(
      index,
      `${superseded
        .map((l) => `\n${l}`)
        .join('')
        .repeat(500)}${readFileSync(index, 'utf8')}`,
    );
    expect(indexLines(root)).toHaveLength(1_006); // each save: its intent line, then its listing line
    expect((await storage.list())[0]?.messageCount).toBe(3);
    expect(indexLines(root)).toHaveLength(1);
    expect((await storage.list())[0]?.messageCount).toBe(3);
  });
});
