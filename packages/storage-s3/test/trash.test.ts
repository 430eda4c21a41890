/**
 * The trash on s3rver with conditional writes: a move killed (SIGKILL) just before each of its steps never
 * loses the session, and whoever comes next completes or undoes it; two processes moving the same sessions
 * at once leave exactly one entry per session.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SessionCorruptError, SessionNotFoundError } from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { S3SessionStorage } from '../src/index.js';
import { backdoor, deletePrefix, listAll, makeClient, uniquePrefix } from './support/fixtures.js';

const s3 = inject('s3Conditional');
const client = makeClient(s3.endpoint);
const prefixes: string[] = [];
afterEach(async () => {
  for (const prefix of prefixes.splice(0)) await deletePrefix(client, s3.bucket, prefix);
});
afterAll(() => {
  client.destroy();
});

function fresh(): S3SessionStorage {
  const prefix = uniquePrefix('trash');
  prefixes.push(prefix);
  return new S3SessionStorage({ client, bucket: s3.bucket, prefix });
}

function child(storage: S3SessionStorage, point: string, names: string[]) {
  const script = fileURLToPath(new URL('./fixtures/trash-crash.mjs', import.meta.url));
  const proc: ChildProcess = spawn(
    process.execPath,
    [script, s3.endpoint, s3.bucket, storage.prefix, point, ...names],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
  const waitFor = async (text: string) => {
    for (let i = 0; i < 1200 && !out.includes(text) && proc.exitCode === null; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(out, err).toContain(text);
  };
  return { proc, exited, waitFor, out: () => out, err: () => err };
}

/** A session with messages and a transcript, stored; returns what a restore must bring back. */
async function storedSession(storage: S3SessionStorage, name: string) {
  const state = makeState({ messages: 5 });
  await storage.save(state, name);
  const lines = [
    { uuid: 'u1', type: 'user' },
    { uuid: 'u2', type: 'assistant' },
  ];
  await storage.appendTranscript(name, state.currentSessionId!, lines, 0);
  return { ids: state.messages.map((m) => m.id), claudeId: state.currentSessionId!, lines };
}

describe('a move killed part way', () => {
  it.each([
    ['entry', 'the copies are made but no entry is written: the session stays, nothing is listed'],
    ['commit', 'the entry is pending and the head untouched: the next listing completes the move'],
    ['done', 'the head is the tombstone, the entry pending: a load finishes the move'],
    [
      'cleanup',
      'the entry is done, the live objects remain: the listing is whole, a restore brings all back',
    ],
  ])('SIGKILL before "%s": %s', async (point) => {
    const storage = fresh();
    const session = await storedSession(storage, 'fragile');
    const run = child(storage, point, ['fragile']);
    await run.waitFor(`at ${point}`);
    run.proc.kill('SIGKILL');
    await run.exited;

    if (point === 'entry') {
      expect((await storage.load('fragile')).messages.map((m) => m.id)).toEqual(session.ids);
      expect(await storage.listTrash()).toEqual([]);
      expect((await storage.list()).map((i) => i.name)).toEqual(['fragile']);
      return;
    }
    if (point === 'done') {
      // A plain load meets the tombstone and finishes the move first.
      await expect(storage.load('fragile')).rejects.toSatisfy(SessionNotFoundError.is);
    }
    const entries = await storage.listTrash();
    expect(entries.map((e) => e.name)).toEqual(['fragile']);
    expect(entries[0]!.session.messageCount).toBe(5);
    await expect(storage.load('fragile')).rejects.toSatisfy(SessionNotFoundError.is);
    expect(await storage.exists('fragile')).toBe(false);
    expect(await storage.list()).toEqual([]);
    // Only the tombstone's successor (a lease-only head) is left under the session's folder.
    const live = await listAll(client, s3.bucket, `${storage.prefix}sessions/fragile/`);
    expect(live).toEqual([`${storage.prefix}sessions/fragile/head.json`]);

    expect(await storage.restoreFromTrash(entries[0]!.id)).toBe('fragile');
    expect((await storage.load('fragile')).messages.map((m) => m.id)).toEqual(session.ids);
    expect(await storage.loadTranscript('fragile', session.claudeId)).toEqual(session.lines);
    expect(await storage.listTrash()).toEqual([]);
    expect(await listAll(client, s3.bucket, `${storage.prefix}trash`)).toEqual([]);
  });

  it('a save over a half-finished move keeps the trashed session restorable', async () => {
    const storage = fresh();
    const session = await storedSession(storage, 'overwritten');
    const run = child(storage, 'done', ['overwritten']);
    await run.waitFor('at done');
    run.proc.kill('SIGKILL');
    await run.exited;
    const replacement = makeState({ messages: 2 });
    await storage.save(replacement, 'overwritten'); // finishes the move, then stores the new session
    const [entry] = await storage.listTrash();
    expect(await storage.restoreFromTrash(entry!.id, { name: 'before' })).toBe('before');
    expect((await storage.load('before')).messages.map((m) => m.id)).toEqual(session.ids);
    expect((await storage.load('overwritten')).messages.map((m) => m.id)).toEqual(
      replacement.messages.map((m) => m.id),
    );
  });
});

describe('a damaged session', () => {
  it('goes to the trash and comes back, still reported as damaged', async () => {
    const storage = fresh();
    await storage.save(makeState({ messages: 2 }), 'damaged');
    await backdoor(client, storage).corrupt('damaged');
    const entry = await storage.moveToTrash('damaged');
    expect(entry?.session.error).toBeDefined();
    expect(await storage.list()).toEqual([]);
    expect(await storage.restoreFromTrash(entry!.id)).toBe('damaged');
    expect((await storage.list()).map((i) => [i.name, i.error !== undefined])).toEqual([['damaged', true]]);
    await expect(storage.load('damaged')).rejects.toSatisfy(SessionCorruptError.is);
  });
});

describe('two processes moving the same sessions', () => {
  it('leave exactly one entry per session', async () => {
    const storage = fresh();
    const names = Array.from({ length: 6 }, (_, i) => `raced-${i}`);
    for (const name of names) await storage.save(makeState({ messages: 2 }), name);
    const children = [child(storage, 'race', names), child(storage, 'race', names)];
    for (const c of children) await c.waitFor('ready');
    for (const c of children) c.proc.stdin!.end('go\n');
    const codes = await Promise.all(children.map((c) => c.exited));
    expect(codes, children.map((c) => c.err()).join('\n')).toEqual([0, 0]);
    const lines = children.flatMap((c) => c.out().trim().split('\n').slice(1));
    const entries = await storage.listTrash();
    for (const name of names) {
      const moved = lines.filter((l) => l.startsWith(`moved ${name} `));
      expect(moved, name).toHaveLength(1);
      expect(
        lines.filter((l) => l === `absent ${name}`),
        name,
      ).toHaveLength(1);
      expect(entries.filter((e) => e.name === name).map((e) => e.id)).toEqual([moved[0]!.split(' ')[2]]);
    }
    expect(await storage.list()).toEqual([]);
    // The losers' copies are gone: one copy folder per entry.
    const folder = `${storage.prefix}trash/`;
    const copied = new Set(
      (await listAll(client, s3.bucket, folder)).map((k) => k.slice(folder.length).split('/')[0]),
    );
    expect([...copied].sort()).toEqual(entries.map((e) => e.id).sort());
  });
});
