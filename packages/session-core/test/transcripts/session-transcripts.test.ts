/**
 * session() with a storage that keeps transcripts, driving the REAL claude CLI against the mock API:
 * each turn mirrors only its new lines, a missing local transcript is restored before a resume (also on
 * another "machine": another CLAUDE_CONFIG_DIR and HOME), and a failed mirror is reported, never silent.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudeBinary, makeClaudeSandbox, offlineClaudeEnvOverlay } from '../../../testkit/src/index.js';
import { StorageUnavailableError, TranscriptError } from '../../src/errors.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import { createSessionFactory } from '../../src/session/factory.js';
import type { SessionStorage } from '../../src/storage.js';
import { projectFolderName } from '../../src/transcripts/folder-name.js';
import { type RealClaude, startRealClaude } from '../session/support/real-claude.js';

/** MemorySessionStorage that records transcript appends and can be told to fail them. */
class RecordingStorage extends MemorySessionStorage {
  appends: { name: string; id: string; fromLine: number; lines: number }[] = [];
  failAppends = false;
  override async appendTranscript(name: string, id: string, entries: readonly unknown[], fromLine: number) {
    if (this.failAppends) throw new StorageUnavailableError('test', 'appendTranscript', new Error('down'));
    this.appends.push({ name, id, fromLine, lines: entries.length });
    return super.appendTranscript(name, id, entries, fromLine);
  }
}

let cli: RealClaude;
let storage: RecordingStorage;
const session = createSessionFactory({ storage: () => storage });
beforeEach(async () => {
  cli = await startRealClaude();
  storage = new RecordingStorage();
});
afterEach(async () => {
  await cli.close();
});

const localLines = (id: string) => {
  const projects = join(cli.sandbox.configDir, 'projects');
  for (const folder of readdirSync(projects)) {
    const path = join(projects, folder, `${id}.jsonl`);
    try {
      return readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as unknown);
    } catch {
      // not in this folder
    }
  }
  return undefined;
};

/** A second "machine": its own config dir and HOME, the same mock and storage. */
function otherMachine() {
  const sandbox = makeClaudeSandbox('cc-e2e-b');
  const env = {
    ...offlineClaudeEnvOverlay({ baseUrl: cli.mock.url, configDir: sandbox.configDir, home: sandbox.home }),
    CLAUDE_BIN: claudeBinary(),
  };
  return { sandbox, env };
}

describe('portable sessions with the real claude CLI', { timeout: 60_000 }, () => {
  it('mirrors each turn incrementally: only the lines the turn added, stored exactly', async () => {
    const s = session({ name: 'mirrored', cwd: cli.sandbox.cwd, defaults: { env: cli.env } });
    await s.claude('one');
    const id = s.id() as string;
    const afterOne = localLines(id)?.length ?? 0;
    expect(afterOne).toBeGreaterThan(0);
    await s.claude('two');
    const afterTwo = localLines(id)?.length ?? 0;
    expect(storage.appends).toEqual([
      { name: 'mirrored', id, fromLine: 0, lines: afterOne },
      { name: 'mirrored', id, fromLine: afterOne, lines: afterTwo - afterOne },
    ]);
    expect(await storage.loadTranscript('mirrored', id)).toEqual(localLines(id));
  });

  it('a loaded session continues mirroring where the storage stands (count taken from the storage)', async () => {
    const s = session({ name: 'reloaded', cwd: cli.sandbox.cwd, defaults: { env: cli.env } });
    await s.claude('one');
    const id = s.id() as string;
    const stored = (await storage.loadTranscript('reloaded', id))?.length ?? 0;
    const again = await session.load('reloaded', { cwd: cli.sandbox.cwd, defaults: { env: cli.env } });
    await again.claude('two');
    expect(storage.appends.at(-1)).toMatchObject({ fromLine: stored });
    expect(await storage.loadTranscript('reloaded', id)).toEqual(localLines(id));
  });

  it("restores a transcript the CLI deleted, into the cwd's folder, and the conversation continues", async () => {
    const s = session({ name: 'cleaned-up', cwd: cli.sandbox.cwd, defaults: { env: cli.env } });
    await s.claude('remember 42');
    const id = s.id() as string;
    rmSync(join(cli.sandbox.configDir, 'projects'), { recursive: true, force: true });
    const r = await s.claude('what did I say?');
    expect(r.text).toBe('turn 2: what did I say?');
    expect(r.sessionId).toBe(id);
    expect(cli.mock.lastMessageRequest()?.userTurns).toBe(2);
    const folder = join(cli.sandbox.configDir, 'projects', projectFolderName(cli.sandbox.cwd));
    expect(readdirSync(folder)).toContain(`${id}.jsonl`);
    expect(await storage.loadTranscript('cleaned-up', id)).toEqual(localLines(id));
  });

  it('another machine loads by name, resumes and forks; the fork continues on the first machine', async () => {
    const a = session({ name: 'travels', cwd: cli.sandbox.cwd, defaults: { env: cli.env } });
    await a.claude('one');
    await a.claude('two');
    const b = otherMachine();
    try {
      const onB = await session.load('travels', { cwd: b.sandbox.cwd, defaults: { env: b.env } });
      expect((await onB.claude('three')).text).toBe('turn 3: three');
      const fork = onB.fork('travels-fork');
      expect((await fork.claude('four, forked')).text).toBe('turn 4: four, forked');
      // Back on machine A, in a config dir that never saw the fork: it is restored from the storage.
      const forkOnA = await session.load('travels-fork', {
        cwd: cli.sandbox.cwd,
        defaults: { env: cli.env },
      });
      expect((await forkOnA.claude('five')).text).toBe('turn 5: five');
      expect(forkOnA.id()).toBe(fork.id());
    } finally {
      b.sandbox.remove();
    }
  });

  it('back on the first machine, a local transcript older than the stored one is replaced before the resume', async () => {
    const a = session({ name: 'round-trip', cwd: cli.sandbox.cwd, defaults: { env: cli.env } });
    await a.claude('one');
    await a.claude('two');
    const b = otherMachine();
    try {
      const onB = await session.load('round-trip', { cwd: b.sandbox.cwd, defaults: { env: b.env } });
      await onB.claude('three');
    } finally {
      b.sandbox.remove();
    }
    const id = a.id() as string;
    const staleLines = localLines(id)?.length ?? 0;
    const again = await session.load('round-trip', { cwd: cli.sandbox.cwd, defaults: { env: cli.env } });
    // Without the refresh the CLI would resume the stale local copy and answer "turn 3".
    expect((await again.claude('four')).text).toBe('turn 4: four');
    expect(localLines(id)?.length).toBeGreaterThan(staleLines);
    expect(await storage.loadTranscript('round-trip', id)).toEqual(localLines(id));
  });

  it('a failed mirror rejects the call after the turn was saved, flags the session in listings until a mirror succeeds', async () => {
    const s = session({ name: 'flaky-mirror', cwd: cli.sandbox.cwd, defaults: { env: cli.env } });
    storage.failAppends = true;
    const err = await s.claude('one').catch((e: unknown) => e);
    expect(TranscriptError.is(err)).toBe(true);
    expect((err as TranscriptError).operation).toBe('mirror');
    expect(StorageUnavailableError.is((err as Error).cause)).toBe(true);
    expect((await storage.load('flaky-mirror')).messages).toHaveLength(2);
    const [info] = await session.list({ storage });
    expect(info?.transcriptError).toMatch(/Could not store the transcript/);

    storage.failAppends = false;
    await s.claude('two');
    expect((await session.list({ storage }))[0]?.transcriptError).toBeUndefined();
    // The lines of the failed turn were sent with the next one: nothing is missing.
    expect(await storage.loadTranscript('flaky-mirror', s.id() as string)).toEqual(
      localLines(s.id() as string),
    );
  });

  it('with an error listener, the call resolves and the listener gets the TranscriptError', async () => {
    const s = session({ name: 'listened', cwd: cli.sandbox.cwd, defaults: { env: cli.env } });
    const seen: TranscriptError[] = [];
    s.on('error', (e) => seen.push(e));
    storage.failAppends = true;
    const r = await s.claude('one');
    expect(r.text).toBe('turn 1: one');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.claudeSessionId).toBe(s.id());
    expect((await storage.load('listened')).metadata.transcriptError).toBe(seen[0]?.message);
  });

  it('a storage without the transcript capability changes nothing', async () => {
    const inner = new MemorySessionStorage();
    const plain: SessionStorage = {
      save: (st, n) => inner.save(st, n),
      load: (n) => inner.load(n),
      list: (o) => inner.list(o),
    };
    const s = session({ name: 'plain', storage: plain, cwd: cli.sandbox.cwd, defaults: { env: cli.env } });
    await s.claude('one');
    await s.claude('two');
    expect((await inner.load('plain')).messages).toHaveLength(4);
    expect(inner.records.get('plain')?.transcripts.size).toBe(0);
  });
});
