import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import {
  InvalidSessionNameError,
  SessionCorruptError,
  SessionNotFoundError,
  UnsupportedFormatError,
} from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

const INVALID = [
  '../x',
  '../../etc/passwd',
  '/etc/passwd',
  '/tmp/abs',
  'a\u0000b',
  '',
  'n'.repeat(129),
  '.hidden',
  '..',
];

/** Every path under `dir` with its size and mtime: proof that nothing was touched. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).map((e) => {
    const path = join(e.parentPath, e.name);
    const s = statSync(path);
    return `${relative(dir, path)} ${s.size} ${s.mtimeMs}`;
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('FileSessionStorage bad input', () => {
  it('rejects invalid names with InvalidSessionNameError and touches nothing, not even a missing root', async () => {
    const parent = tempDir();
    const storage = new FileSessionStorage(join(parent, 'sessions'));
    for (const name of INVALID) {
      for (const call of [
        () => storage.save(stateWith(1), name),
        () => storage.load(name),
        () => storage.remove(name),
        () => storage.exists(name),
      ]) {
        const err = await rejection(call());
        expect(InvalidSessionNameError.is(err), `${JSON.stringify(name)}: ${String(err)}`).toBe(true);
      }
    }
    expect(readdirSync(parent)).toEqual([]);
  });

  it('leaves an existing root and its neighbours byte for byte as they were', async () => {
    const parent = tempDir();
    const root = join(parent, 'sessions');
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(2), 'keep');
    mkdirSync(join(parent, 'x'));
    writeFileSync(join(parent, 'x', 'secret.json'), '{}');
    const before = snapshot(parent);
    for (const name of INVALID) {
      await rejection(storage.save(stateWith(1), name));
      await rejection(storage.remove(name));
    }
    expect(snapshot(parent)).toEqual(before);
  });

  it('never follows a name outside the root, even when such a file exists there', async () => {
    const parent = tempDir();
    writeFileSync(join(parent, 'outside.json'), JSON.stringify({ messages: [], metadata: {} }));
    const storage = new FileSessionStorage(join(parent, 'sessions'));
    expect(SessionNotFoundError.is(await rejection(storage.load('outside')))).toBe(true);
    expect(SessionNotFoundError.is(await rejection(storage.load('outside.json')))).toBe(true);
  });

  it('loads a truncated head as SessionCorruptError naming the file', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(2), 'broken');
    const head = join(root, 'broken', 'head.json');
    writeFileSync(head, readFileSync(head, 'utf8').slice(0, 40));
    const err = await rejection(storage.load('broken'));
    expect(SessionCorruptError.is(err)).toBe(true);
    expect((err as SessionCorruptError).location).toBe(head);
    expect((err as Error).message).toContain(head);
  });

  it('refuses to save over a damaged head and leaves it as it is', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    const state = stateWith(2, 'evidence');
    await storage.save(state);
    const head = join(root, 'evidence', 'head.json');
    writeFileSync(head, '{"formatVersion":1,"revis');
    const before = snapshot(join(root, 'evidence'));
    expect(SessionCorruptError.is(await rejection(storage.save(state)))).toBe(true);
    expect(snapshot(join(root, 'evidence'))).toEqual(before);
    expect(readFileSync(head, 'utf8')).toBe('{"formatVersion":1,"revis');
  });

  it('loads garbage in the messages file as SessionCorruptError naming the messages file', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(2), 'garbled');
    const file = join(root, 'garbled', 'messages-1.jsonl');
    const size = statSync(file).size;
    writeFileSync(file, `${'\u0001'.repeat(size - 1)}\n`);
    const err = await rejection(storage.load('garbled'));
    expect(SessionCorruptError.is(err)).toBe(true);
    expect((err as SessionCorruptError).location).toBe(file);
  });

  it('loads a messages file shorter than its head records as SessionCorruptError, never a partial state', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(3), 'short');
    const file = join(root, 'short', 'messages-1.jsonl');
    writeFileSync(file, readFileSync(file).subarray(0, 50));
    const err = await rejection(storage.load('short'));
    expect(SessionCorruptError.is(err)).toBe(true);
    expect((err as Error).message).toContain(file);
  });

  it('refuses a head that points outside its session directory', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(1), 'escape');
    const head = join(root, 'escape', 'head.json');
    const doc = JSON.parse(readFileSync(head, 'utf8'));
    doc.file.messages = '../../../etc/passwd';
    writeFileSync(head, JSON.stringify(doc));
    const err = await rejection(storage.load('escape'));
    expect(SessionCorruptError.is(err)).toBe(true);
    expect((err as SessionCorruptError).field).toBe('file.messages');
  });

  it('loads a truncated 3.x file as SessionCorruptError naming that file', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'old.json'), '{"sessionChain":["a"],"messages":[{"role":"us');
    const err = await rejection(new FileSessionStorage(root).load('old'));
    expect(SessionCorruptError.is(err)).toBe(true);
    expect((err as SessionCorruptError).location).toBe(join(root, 'old.json'));
  });

  it('lists corrupt entries with error and their file time, and every other session normally', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(1), 'fine');
    await storage.save(stateWith(1), 'torn');
    writeFileSync(join(root, 'torn', 'head.json'), '{"formatVersion":1,"rev');
    const when = new Date('2025-05-05T05:05:05Z');
    utimesSync(join(root, 'torn', 'head.json'), when, when);
    writeFileSync(join(root, 'legacy-garbage.json'), 'garbage');

    const listed = await storage.list();
    // Newest first: the garbage file was just written, `fine` is from 2026-01-01, `torn` from its mtime.
    expect(listed.map((i) => [i.name, i.error === undefined])).toEqual([
      ['legacy-garbage', false],
      ['fine', true],
      ['torn', false],
    ]);
    expect(listed[2]?.lastActive).toEqual(when);
    expect(listed[2]?.path).toBe(join(root, 'torn', 'head.json'));
  });

  it('refuses a session of a newer format with UnsupportedFormatError', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(1), 'future');
    const head = join(root, 'future', 'head.json');
    writeFileSync(head, JSON.stringify({ ...JSON.parse(readFileSync(head, 'utf8')), formatVersion: 2 }));
    const err = await rejection(storage.load('future'));
    expect(UnsupportedFormatError.is(err)).toBe(true);
    expect((await storage.list())[0]?.error).toMatch(/format version 2/);
    // …and a save does not overwrite what it cannot read.
    expect(UnsupportedFormatError.is(await rejection(storage.save(stateWith(1), 'future')))).toBe(true);
  });

  it('ignores what is not a session: foreign files, dot-entries, directories without a head', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(1), 'real');
    mkdirSync(join(root, 'empty-dir'));
    writeFileSync(join(root, 'notes.txt'), 'hello');
    mkdirSync(join(root, '.git'));
    expect((await storage.list()).map((i) => i.name)).toEqual(['real']);
    expect(await storage.exists('empty-dir')).toBe(false);
    expect(existsSync(join(root, '.locks'))).toBe(true);
  });
});
