/**
 * Proofs of issue 8 with the REAL claude CLI and the mock API, on every storage backend: a session stored in
 * Redis, S3, PostgreSQL (Prisma) or files resumes on another "machine" (another CLAUDE_CONFIG_DIR, HOME
 * and cwd), after the CLI deleted the local transcript, and as a fork continued elsewhere. The mock answers
 * "turn N: <prompt>" with N the number of user turns the request carried, so history is checked on the wire.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectFolderName, type SessionStorage, session } from '@channelcoder/session-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, type BackendKind, openBackend } from './support/backends.js';
import { type Machine, MockAnthropicServer, makeMachine } from './support/machines.js';

let mock: MockAnthropicServer;
beforeAll(async () => {
  mock = await MockAnthropicServer.start();
});
afterAll(async () => {
  await mock.close();
});

describe.each<BackendKind>(['redis', 's3', 'postgresql', 'file'])('portable sessions on %s', (kind) => {
  let backend: Backend;
  let a: Machine;
  let b: Machine;
  let storageA: SessionStorage;
  let storageB: SessionStorage;
  beforeEach(async () => {
    backend = openBackend(kind);
    a = makeMachine('a', mock);
    b = makeMachine('b', mock);
    storageA = await backend.open();
    storageB = await backend.open();
  });
  afterEach(async () => {
    await backend.destroy();
    a.sandbox.remove();
    b.sandbox.remove();
  });

  const on = (machine: Machine, storage: SessionStorage, cwd = machine.sandbox.cwd) => ({
    storage,
    cwd,
    defaults: { env: machine.env },
  });

  it('1. A runs turns 1–2; B (another config dir, HOME and cwd) loads it by name and runs turn 3', async () => {
    const onA = session({ name: 'travels', ...on(a, storageA) });
    await onA.claude('one');
    await onA.claude('two');
    expect(b.transcripts()).toEqual([]);

    const onB = await session.load('travels', on(b, storageB));
    const third = await onB.claude('three');
    expect(third.text).toBe('turn 3: three');
    expect(third.sessionId).toBe(onA.id());
    expect(mock.lastMessageRequest()?.userTurns).toBe(3);
    // Restored into the folder of B's cwd, as the CLI would have filed it there.
    expect(b.transcripts()).toEqual([`${projectFolderName(b.sandbox.cwd)}/${onA.id()}.jsonl`]);
    expect((await storageA.load('travels')).messages).toHaveLength(6);
    expect((await session.list({ storage: storageA }))[0]?.transcriptError).toBeUndefined();
    // Back on A, whose local transcript lacks turn 3: it is refreshed from the storage before the resume.
    const backOnA = await session.load('travels', on(a, storageA));
    expect((await backOnA.claude('four')).text).toBe('turn 4: four');
  });

  it('1b. B in a cwd whose folder name needs the CLI long-path hash rule', async () => {
    const onA = session({ name: 'long-cwd', ...on(a, storageA) });
    await onA.claude('one');
    await onA.claude('two');
    const deep = join(
      b.sandbox.cwd,
      ...Array.from({ length: 12 }, (_, i) => `directory-level-${i}-with-a-long-name`),
    );
    mkdirSync(deep, { recursive: true });
    expect(projectFolderName(deep).length).toBeGreaterThan(200);
    const onB = await session.load('long-cwd', on(b, storageB, deep));
    expect((await onB.claude('three')).text).toBe('turn 3: three');
    expect(b.transcripts()).toEqual([`${projectFolderName(deep)}/${onA.id()}.jsonl`]);
    // The CLI itself files a new conversation in that cwd under the same folder name.
    const fresh = session({ ...on(b, storageB, deep) });
    await fresh.claude('new conversation');
    expect(b.transcripts()).toContain(`${projectFolderName(deep)}/${fresh.id()}.jsonl`);
  });

  it("2. the CLI's cleanup deleted A's transcript: resuming on A restores it and continues", async () => {
    const onA = session({ name: 'cleaned', ...on(a, storageA) });
    await onA.claude('one');
    await onA.claude('two');
    a.forgetTranscripts();
    const third = await onA.claude('three');
    expect(third.text).toBe('turn 3: three');
    expect(mock.lastMessageRequest()?.userTurns).toBe(3);
    expect(a.transcripts()).toEqual([`${projectFolderName(a.sandbox.cwd)}/${onA.id()}.jsonl`]);
    // And a fresh load on A after another cleanup, from the storage alone.
    a.forgetTranscripts();
    const again = await session.load('cleaned', on(a, storageA));
    expect((await again.claude('four')).text).toBe('turn 4: four');
  });

  it('3. a fork made on B continues on A', async () => {
    const onA = session({ name: 'parent', ...on(a, storageA) });
    await onA.claude('one');
    await onA.claude('two');

    const onB = await session.load('parent', on(b, storageB));
    const fork = onB.fork('parent-fork');
    const forked = await fork.claude('three, on a branch');
    expect(forked.text).toBe('turn 3: three, on a branch');
    expect(fork.id()).not.toBe(onA.id());

    const forkOnA = await session.load('parent-fork', on(a, storageA));
    const next = await forkOnA.claude('four');
    expect(next.text).toBe('turn 4: four');
    expect(next.sessionId).toBe(fork.id());
    expect(mock.lastMessageRequest()?.claudeSessionId).toBe(fork.id());
    // The parent is untouched: it still has its own two turns.
    expect((await onA.claude('parent again')).text).toBe('turn 3: parent again');
  });
});
