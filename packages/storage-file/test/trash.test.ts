/**
 * The trash of the file storage beyond the conformance suite: what is on disk, the list pages and the
 * search index, and a process killed in the middle of a move or a restore (real child processes, SIGKILL).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ClaudeResult, type ClaudeRunner, session } from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { requireBuiltPackage, startFixture } from './child-process.js';
import { stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const KILLS = 20;
const TRANSCRIPT = [{ uuid: 'u1', text: 'transcript line' }];

/** Answers every turn without a process: these tests are about where sessions go. */
const runner: ClaudeRunner = {
  run: async (prompt, options) =>
    ({
      text: `echo: ${prompt}`,
      sessionId: options.resume ?? options.sessionId ?? '00000000-0000-4000-8000-000000000000',
      totalCostUsd: 0.001,
      usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheCreationTokens: 0 },
      isError: false,
      raw: {},
    }) satisfies ClaudeResult,
  stream: () => {
    throw new Error('not used');
  },
  interactive: () => Promise.reject(new Error('not used')),
  detached: () => Promise.reject(new Error('not used')),
};

async function seed(storage: FileSessionStorage, name: string, words: string): Promise<void> {
  const state = stateWith(4, name);
  state.messages[0]!.content = words;
  state.metadata.lastActive = new Date();
  await storage.save(state, name);
  await storage.appendTranscript(name, 'claude-1', TRANSCRIPT, 0);
}

describe('FileSessionStorage trash', () => {
  it('moves the folder whole into .trash/<id>/ and back; list pages and search follow', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    for (let i = 0; i < 5; i++) await seed(storage, `s${i}`, `plain words ${i}`);
    await seed(storage, 'target', 'zebra crossing');
    // Warm the first-page order and the search index, so they must learn of the move.
    expect((await storage.list({ limit: 3 })).map((i) => i.name)).toEqual(['target', 's4', 's3']);
    expect((await storage.search('zebra')).map((r) => r.name)).toEqual(['target']);

    const entry = await storage.moveToTrash('target');
    expect(readdirSync(join(root, '.trash', entry!.id)).sort()).toEqual(['entry.json', 'session']);
    expect(existsSync(join(root, '.trash', entry!.id, 'session', 'transcripts'))).toBe(true);
    expect(existsSync(join(root, 'target'))).toBe(false);
    expect((await storage.list({ limit: 3 })).map((i) => i.name)).toEqual(['s4', 's3', 's2']);
    expect((await storage.list()).map((i) => i.name)).not.toContain('target');
    expect(await storage.search('zebra')).toEqual([]);
    // Another storage object over the root (another process) sees the same.
    const other = new FileSessionStorage(root);
    expect((await other.list({ limit: 1 })).map((i) => i.name)).toEqual(['s4']);
    expect((await other.listTrash()).map((e) => e.id)).toEqual([entry!.id]);

    // Restored under a name that had no session: listed, searchable, transcripts along.
    expect(await storage.restoreFromTrash(entry!.id, { name: 'renamed' })).toBe('renamed');
    expect(readdirSync(join(root, '.trash'))).toEqual([]);
    expect((await storage.list({ limit: 1 })).map((i) => i.name)).toEqual(['renamed']);
    expect((await other.search('zebra')).map((r) => r.name)).toEqual(['renamed']);
    expect((await storage.search('zebra')).map((r) => r.name)).toEqual(['renamed']);
    expect(await storage.loadTranscript('renamed', 'claude-1')).toEqual(TRANSCRIPT);
    expect((await storage.load('renamed')).messages[0]?.content).toBe('zebra crossing');
  });

  it('session() on the file storage: a taken name is replaced into the trash under the lease; a rename keeps one entry', async () => {
    const storage = new FileSessionStorage(tempDir());
    const contents = async (name: string) => (await storage.load(name)).messages.map((m) => m.content);
    // The guide's `session({ name })` run twice.
    await session({ name: 'my-project-session', storage, runner }).claude('first run');
    await session({ name: 'my-project-session', storage, runner }).claude('second run');
    expect(await contents('my-project-session')).toEqual(['second run', 'echo: second run']);
    const [replaced] = await session.list({ trash: true, storage });
    expect(replaced).toMatchObject({ name: 'my-project-session', reason: 'replaced' });

    // The Quick Start run twice: autosave under a generated name, then save(name).
    for (const run of [1, 2]) {
      const s = session({ storage, runner });
      await s.claude(`What is TypeScript? (${run})`);
      const generated = s.name()!;
      await storage.appendTranscript(generated, s.id()!, [{ uuid: `u${run}` }], 0);
      await s.save('learning-typescript');
      expect(await storage.exists(generated)).toBe(false);
      expect(await storage.loadTranscript('learning-typescript', s.id()!)).toEqual([{ uuid: `u${run}` }]);
    }
    expect((await storage.list()).map((i) => i.name).sort()).toEqual([
      'learning-typescript',
      'my-project-session',
    ]);
    expect((await session.list({ trash: true, storage })).map((e) => e.name)).toEqual([
      'learning-typescript',
      'my-project-session',
    ]);
    expect(await session.restore('my-project-session', { storage, as: 'first' })).toBe('first');
    expect(await contents('first')).toEqual(['first run', 'echo: first run']);
    const restored = await session.load('first', { storage, runner });
    await restored.claude('continued');
    expect(await contents('first')).toHaveLength(4);
    expect((await storage.load('first')).metadata.name).toBe('first');
    expect(restored.name()).toBe('first');
  });

  it('keeps a 3.x session file in the trash too', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    const { serializeState } = await import('@channelcoder/session-core/storage-kit');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(root, 'old.json'), serializeState(stateWith(2, 'old')));
    const entry = await storage.moveToTrash('old');
    expect(entry?.session.messageCount).toBe(2);
    expect(existsSync(join(root, 'old.json'))).toBe(false);
    expect(await storage.exists('old')).toBe(false);
    expect(await storage.restoreFromTrash(entry!.id)).toBe('old');
    expect((await storage.load('old')).messages).toHaveLength(2);
  });

  it(`never loses or doubles a session when a process moving and restoring it is SIGKILLed (${KILLS} times)`, async () => {
    requireBuiltPackage();
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await seed(storage, 'crash', 'survivor');
    let steps = 0;
    for (let run = 0; run < KILLS; run++) {
      const child = startFixture('trash-child.mjs', [root, 'crash']);
      await child.waitForLine(() => true, 30_000);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 25));
      child.process.kill('SIGKILL');
      expect(await child.exited).toBeNull();
      steps += child.lines.length;

      const here = await storage.exists('crash');
      const trashed = await storage.listTrash({ name: 'crash' });
      expect((here ? 1 : 0) + trashed.length, `run ${run}: stored ${here}, trash ${trashed.length}`).toBe(1);
      if (!here) await storage.restoreFromTrash(trashed[0]!.id);
      const loaded = await storage.load('crash');
      expect(loaded.messages.map((m) => m.id)).toEqual(['m0', 'm1', 'm2', 'm3']);
      expect(await storage.loadTranscript('crash', 'claude-1')).toEqual(TRANSCRIPT);
      expect((await storage.list()).map((i) => i.name)).toEqual(['crash']);
    }
    expect(steps).toBeGreaterThan(KILLS);
    // A purge removes whatever a killed process left half done, never the session.
    await storage.purgeTrash({ all: true });
    expect(readdirSync(join(root, '.trash')).filter((n) => n.startsWith('.purge-'))).toEqual([]);
    expect((await storage.load('crash')).messages).toHaveLength(4);
  }, 120_000);
});
