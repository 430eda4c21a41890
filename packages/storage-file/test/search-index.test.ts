/**
 * The search index (`.search-index.jsonl`) is a cache: missing, torn, stale or hand-edited, `search()` still
 * returns what the scan returns, and a writer killed at any moment leaves the sessions loadable and the search
 * right. The conformance suite checks the results themselves; this checks the index's upkeep.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createSessionState,
  recordTurn,
  type SearchOptions,
  type SearchResult,
  searchByScan,
} from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { requireBuiltPackage, startFixture } from './child-process.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const INDEX = '.search-index.jsonl';

async function seed(root: string, count: number): Promise<FileSessionStorage> {
  const storage = new FileSessionStorage({ dir: root, fsync: false });
  for (let s = 0; s < count; s++) {
    let state = createSessionState({ name: `s-${s}`, now: new Date(Date.UTC(2026, 0, 1, 0, 0, s)) });
    state = recordTurn(state, {
      prompt: `question about the ${s === 3 ? 'okapi' : 'lake'}`,
      result: { sessionId: `c-${s}`, text: `answer number ${s}`, costUsd: 0.001 },
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, s)),
    });
    await storage.save(state, `s-${s}`);
  }
  return storage;
}

const shape = (results: SearchResult[]) => results.map((r) => [r.name, r.snippets]);

async function expectLikeScan(root: string, query: string, options?: SearchOptions): Promise<SearchResult[]> {
  const found = await new FileSessionStorage({ dir: root }).search(query, options);
  expect(shape(found)).toEqual(
    shape(await searchByScan(new FileSessionStorage({ dir: root }), query, options)),
  );
  return found;
}

describe('the search index', () => {
  it('is written by saves and used by search; rebuilt when deleted; a torn or foreign line costs nothing', async () => {
    const root = tempDir();
    await seed(root, 6);
    const lines = readFileSync(join(root, INDEX), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(6);
    expect(JSON.parse(lines[3] as string).w).toContain(' okapi');
    expect((await expectLikeScan(root, 'okapi')).map((r) => r.name)).toEqual(['s-3']);

    rmSync(join(root, INDEX));
    expect((await expectLikeScan(root, 'okapi')).map((r) => r.name)).toEqual(['s-3']);
    expect(readFileSync(join(root, INDEX), 'utf8').split('\n').filter(Boolean)).toHaveLength(6);

    appendFileSync(join(root, INDEX), '\n{"n":"s-1","s":[1,2,3],"c":[],"w":" okapi"}\n{"n": "s-2", "tor');
    writeFileSync(join(root, 'junk'), 'not a session');
    expect((await expectLikeScan(root, 'okapi')).map((r) => r.name)).toEqual(['s-3']);
    expect((await expectLikeScan(root, 'answer number')).map((r) => r.name)).toEqual([
      's-5',
      's-4',
      's-3',
      's-2',
      's-1',
      's-0',
    ]);
  });

  it('words of a save that never committed (a crash after its index line) are checked away; committed ones found', async () => {
    const root = tempDir();
    const storage = await seed(root, 3);
    // The line a save writes ahead of its commit, for a save that then died.
    appendFileSync(join(root, INDEX), `\n${JSON.stringify({ n: 's-1', w: ' pangolin' })}\n`);
    expect(await expectLikeScan(root, 'pangolin')).toEqual([]);
    const state = await storage.load('s-2');
    const grown = recordTurn(state, {
      prompt: 'and the pangolin?',
      result: { sessionId: 'c-2', text: 'a pangolin, yes', costUsd: 0.001 },
    });
    await storage.save(grown, 's-2');
    expect((await expectLikeScan(root, 'pangolin')).map((r) => r.name)).toEqual(['s-2']);
    // A session made without the index (an older writer): read once, then known.
    rmSync(join(root, INDEX));
    expect((await expectLikeScan(root, 'pangolin')).map((r) => r.name)).toEqual(['s-2']);
  });

  it("a turn's save indexes the turn's words only; a rewrite or an index made after the session, all of it", async () => {
    const root = tempDir();
    const storage = await seed(root, 1);
    const indexLines = () =>
      readFileSync(join(root, INDEX), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { n: string; w: string; c?: number });
    let state = await storage.load('s-0');
    for (const animal of ['tapir', 'quokka']) {
      state = recordTurn(state, {
        prompt: `and the ${animal}?`,
        result: { sessionId: 'c-0', text: `a ${animal} answer`, costUsd: 0.001 },
      });
      await storage.save(state, 's-0');
    }
    const [created, tapir, quokka] = indexLines();
    expect(created).toMatchObject({ n: 's-0', c: 1 });
    expect(created?.w).toContain(' lake');
    expect(tapir?.w).toContain(' tapir');
    expect(tapir?.w).not.toContain(' lake');
    expect(quokka?.w).toContain(' quokka');
    expect(quokka?.w).not.toContain(' tapir');
    for (const word of ['lake', 'tapir', 'quokka'])
      expect((await expectLikeScan(root, word)).map((r) => r.name)).toEqual(['s-0']);

    // Without the lines of its start, the session is read afresh: a turn saved into a new index loses nothing.
    rmSync(join(root, INDEX));
    state = recordTurn(state, {
      prompt: 'and the wombat?',
      result: { sessionId: 'c-0', text: 'a wombat answer', costUsd: 0.001 },
    });
    await storage.save(state, 's-0');
    expect(indexLines().map((line) => line.w.trim())).toEqual([expect.stringContaining('wombat')]);
    for (const word of ['lake', 'tapir', 'wombat'])
      expect((await expectLikeScan(root, word)).map((r) => r.name)).toEqual(['s-0']);

    // A save that rewrites the messages (fewer than stored) indexes all it writes.
    state.messages = state.messages.slice(0, 2);
    await storage.save(state, 's-0');
    expect(indexLines().at(-1)?.w).toContain(' lake');
    expect(await expectLikeScan(root, 'wombat')).toEqual([]);
  });

  it('a writer SIGKILLed at random moments leaves every session loadable and search equal to the scan', async () => {
    requireBuiltPackage();
    const root = tempDir();
    for (let run = 0; run < 8; run++) {
      const child = startFixture('autosave-child.mjs', [root, 'crash']);
      await child.waitForLine((l) => l.startsWith('ack '));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 30));
      child.process.kill('SIGKILL');
      expect(await child.exited).toBeNull();
      const loaded = await new FileSessionStorage({ dir: root }).load('crash');
      const turns = loaded.messages.length / 2;
      const found = await expectLikeScan(root, `answer ${turns}`);
      expect(found.map((r) => r.name)).toEqual(['crash']);
      expect(await expectLikeScan(root, `answer ${turns + 1}`)).toEqual([]);
    }
    expect(existsSync(join(root, INDEX))).toBe(true);
  }, 120_000);

  it('a limited search reads only the heads it needs, newest first, even when a line promises a newer session', async () => {
    const root = tempDir();
    await seed(root, 8);
    // A save of s-1 that never committed, with a lastActive newer than every session.
    appendFileSync(
      join(root, INDEX),
      `\n${JSON.stringify({ n: 's-1', a: Date.UTC(2030, 0, 1), w: ' lake' })}\n`,
    );
    const limited = async (limit: number) => {
      const found = await new FileSessionStorage({ dir: root }).search('lake', { limit });
      expect(shape(found)).toEqual(
        shape(await searchByScan(new FileSessionStorage({ dir: root }), 'lake', { limit })),
      );
      return found.map((r) => r.name);
    };
    expect(await limited(2)).toEqual(['s-7', 's-6']);
    expect(await limited(7)).toEqual(['s-7', 's-6', 's-5', 's-4', 's-2', 's-1', 's-0']);
    // The heads of the older sessions cannot be read at all (a folder where the file should be) ...
    for (const old of ['s-0', 's-2', 's-4']) {
      rmSync(join(root, old, 'head.json'));
      mkdirSync(join(root, old, 'head.json'));
    }
    // ... which fails a search that has to read them, and not one whose page is full before them.
    await expect(new FileSessionStorage({ dir: root }).search('lake')).rejects.toThrow();
    expect(
      (await new FileSessionStorage({ dir: root }).search('lake', { limit: 2 })).map((r) => r.name),
    ).toEqual(['s-7', 's-6']);
  });

  it('is compacted to one line per live session once most lines are dead; results stay those of the scan', async () => {
    const root = tempDir();
    const storage = await seed(root, 4);
    for (let round = 0; round < 30; round++) {
      for (let s = 0; s < 4; s++) {
        const state = await storage.load(`s-${s}`);
        await storage.save(
          recordTurn(state, {
            prompt: `round ${round} of ${s}`,
            result: { sessionId: `c-${s}`, text: `reply r${round}x${s}`, costUsd: 0.001 },
            at: new Date(Date.UTC(2026, 0, 2, 0, round, s)),
          }),
          `s-${s}`,
        );
      }
    }
    await storage.remove('s-3');
    const lineCount = () => readFileSync(join(root, INDEX), 'utf8').split('\n').filter(Boolean).length;
    expect(lineCount()).toBe(4 + 4 * 30);
    expect((await expectLikeScan(root, 'r29x2')).map((r) => r.name)).toEqual(['s-2']);
    const lines = readFileSync(join(root, INDEX), 'utf8').split('\n').filter(Boolean);
    expect(lines.map((l) => JSON.parse(l).n).sort()).toEqual(['s-0', 's-1', 's-2']);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ f: 1, a: expect.any(Number) });
    expect(existsSync(join(root, '.search-index.compact'))).toBe(false);
    expect(await expectLikeScan(root, 'r29x3')).toEqual([]);
    expect(await expectLikeScan(root, 'okapi')).toEqual([]);
    expect((await expectLikeScan(root, 'reply r1')).map((r) => r.name)).toEqual(['s-2', 's-1', 's-0']);
    expect((await expectLikeScan(root, 'round', { limit: 2 })).map((r) => r.name)).toEqual(['s-2', 's-1']);
  });

  it('compaction loses no line of writers in other processes, with searchers compacting in other processes', async () => {
    requireBuiltPackage();
    const root = tempDir();
    const stop = join(root, '..', `${root.split('/').pop()}.stop`);
    const searchers = ['a', 'b'].map(() => startFixture('search-writer.mjs', ['search', root, stop]));
    const writers = ['1', '2', '3'].map((w) =>
      startFixture('search-writer.mjs', ['write', root, w, '40', '4']),
    );
    const parent = new FileSessionStorage({ dir: root, fsync: false });
    let parentSearches = 0;
    let running = true;
    const done = Promise.all(writers.map((w) => w.exited)).finally(() => {
      running = false;
    });
    while (running) {
      await parent.search('say please', { limit: 2 }).catch(() => undefined);
      parentSearches += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await done).toEqual([0, 0, 0]);
    writeFileSync(stop, '');
    expect(await Promise.all(searchers.map((s) => s.exited))).toEqual([0, 0]);
    rmSync(stop);
    const saved = writers.flatMap((w) => w.lines.filter((l) => l.startsWith('saved ')));
    expect(saved).toHaveLength(3 * 40);
    // Compactions happened: fewer lines than saves.
    const lineCount = readFileSync(join(root, INDEX), 'utf8').split('\n').filter(Boolean).length;
    expect(lineCount).toBeLessThan(3 * 40 * 4);
    expect(parentSearches).toBeGreaterThan(0);
    // Every committed word is in the index: each token is found, in its session only, by a fresh process.
    const fresh = new FileSessionStorage({ dir: root });
    for (const line of saved) {
      const [, name, token] = line.split(' ');
      expect((await fresh.search(token as string)).map((r) => r.name)).toEqual([name]);
    }
    expect(shape(await fresh.search('say q2'))).toEqual(shape(await searchByScan(fresh, 'say q2')));
  }, 180_000);
});
