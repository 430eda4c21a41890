/**
 * File storage under attack from inside its root: links planted where it keeps its files, heads that lie
 * about sizes, entries that fail one by one while listing. Each case asserts the boundary held: a canary
 * folder outside the root is byte-identical before and after, and the error is the typed one.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SessionCorruptError } from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { message, stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

interface Scene {
  root: string;
  canary: string;
  storage: FileSessionStorage;
  digest(): Record<string, string>;
}

function scene(): Scene {
  const base = tempDir();
  const root = join(base, 'root');
  const canary = join(base, 'canary');
  mkdirSync(join(canary, 'transcripts'), { recursive: true });
  writeFileSync(join(canary, 'secret.txt'), 'canary: never written, truncated or removed\n');
  writeFileSync(join(canary, 'head.json'), '{"not":"a head"}\n');
  writeFileSync(join(canary, 'transcripts', 'keep.jsonl'), '{"keep":true}\n');
  const digest = () => {
    const out: Record<string, string> = {};
    const walk = (at: string) => {
      for (const entry of readdirSync(at, { withFileTypes: true })) {
        const path = join(at, entry.name);
        if (entry.isDirectory()) {
          out[`${relative(canary, path)}/`] = 'dir';
          walk(path);
        } else out[relative(canary, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
      }
    };
    walk(canary);
    return out;
  };
  return { root, canary, storage: new FileSessionStorage({ dir: root, fsync: false }), digest };
}

async function corrupt(promise: Promise<unknown>): Promise<SessionCorruptError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(SessionCorruptError.is(err), String(err)).toBe(true);
  return err as SessionCorruptError;
}

describe('links planted in the root are never followed', () => {
  it('a link at <session>/.head.json.tmp: the save writes a fresh temp file, the target is untouched', async () => {
    const s = scene();
    await s.storage.save(stateWith(1), 'victim');
    const before = s.digest();
    symlinkSync(join(s.canary, 'secret.txt'), join(s.root, 'victim', '.head.json.tmp'));
    const state = await s.storage.load('victim');
    state.messages.push(message('m1'));
    await s.storage.save(state, 'victim');
    expect((await s.storage.load('victim')).messages).toHaveLength(2);
    expect(s.digest()).toEqual(before);
  });

  it('a link at the messages file: save and load are SessionCorruptError, nothing appended or truncated', async () => {
    const s = scene();
    await s.storage.save(stateWith(1), 'victim');
    const before = s.digest();
    const messages = join(s.root, 'victim', 'messages-1.jsonl');
    rmSync(messages);
    symlinkSync(join(s.canary, 'secret.txt'), messages);
    await corrupt(s.storage.load('victim'));
    const state = stateWith(2);
    state.revision = 1;
    const err = await corrupt(s.storage.save(state, 'victim'));
    expect(err.message).toMatch(/symbolic link/);
    expect(s.digest()).toEqual(before);
  });

  it('a link at .list-index.jsonl: saves and listings never append to or replace its target', async () => {
    const s = scene();
    await s.storage.save(stateWith(1), 'first');
    const before = s.digest();
    rmSync(join(s.root, '.list-index.jsonl'), { force: true });
    symlinkSync(join(s.canary, 'secret.txt'), join(s.root, '.list-index.jsonl'));
    for (let i = 0; i < 20; i++) await s.storage.save(stateWith(1), `s${i}`);
    expect((await s.storage.list()).map((i) => i.error)).toEqual(new Array(21).fill(undefined));
    expect(s.digest()).toEqual(before);
  });

  it('a linked session folder: load is SessionCorruptError, list shows error, save writes nothing, remove drops only the link', async () => {
    const s = scene();
    await s.storage.save(stateWith(1), 'fine');
    const before = s.digest();
    symlinkSync(s.canary, join(s.root, 'linked'));
    const loaded = await corrupt(s.storage.load('linked'));
    expect(loaded.sessionName).toBe('linked');
    const listed = await s.storage.list();
    expect(listed.map((i) => [i.name, i.error !== undefined]).sort()).toEqual([
      ['fine', false],
      ['linked', true],
    ]);
    expect(listed.find((i) => i.name === 'linked')?.error).toMatch(/symbolic link/);
    await corrupt(s.storage.save(stateWith(3), 'linked'));
    expect(await s.storage.exists('linked')).toBe(true);
    expect(await s.storage.remove('linked')).toBe(true);
    expect(existsSync(join(s.root, 'linked'))).toBe(false);
    expect(s.digest()).toEqual(before);
  });

  it('a linked transcripts/ folder: appendTranscript and loadTranscript are SessionCorruptError; remove leaves the target', async () => {
    const s = scene();
    await s.storage.save(stateWith(1), 'victim');
    const before = s.digest();
    symlinkSync(join(s.canary, 'transcripts'), join(s.root, 'victim', 'transcripts'));
    await corrupt(s.storage.appendTranscript('victim', 'keep', [{ evil: true }], 0));
    await corrupt(s.storage.loadTranscript('victim', 'keep'));
    expect(await s.storage.remove('victim')).toBe(true);
    expect(s.digest()).toEqual(before);
  });

  it('a linked 3.x session file: load is SessionCorruptError and list shows error', async () => {
    const s = scene();
    await s.storage.save(stateWith(1), 'fine');
    const before = s.digest();
    symlinkSync(join(s.canary, 'head.json'), join(s.root, 'old.json'));
    await corrupt(s.storage.load('old'));
    const listed = await s.storage.list();
    expect(listed.find((i) => i.name === 'old')?.error).toMatch(/symbolic link/);
    expect(s.digest()).toEqual(before);
  });
});

describe('sizes a head cannot have', () => {
  for (const bytes of [2 ** 31, 2 ** 33]) {
    it(`a head recording ${bytes} message bytes: load and save are SessionCorruptError, the file is not extended`, async () => {
      const s = scene();
      await s.storage.save(stateWith(2), 'liar');
      const headPath = join(s.root, 'liar', 'head.json');
      const head = JSON.parse(readFileSync(headPath, 'utf8')) as { file: { bytes: number } };
      head.file.bytes = bytes;
      writeFileSync(headPath, JSON.stringify(head));
      const messages = join(s.root, 'liar', 'messages-1.jsonl');
      const size = statSync(messages).size;
      const err = await corrupt(s.storage.load('liar'));
      expect(err.message).toContain(`records ${bytes}`);
      const state = stateWith(3);
      state.revision = 1;
      await corrupt(s.storage.save(state, 'liar'));
      expect(statSync(messages).size).toBe(size);
    });
  }

  it('a transcript head recording 2^33 bytes: the next append is SessionCorruptError, the file is not extended', async () => {
    const s = scene();
    await s.storage.save(stateWith(1), 'liar');
    await s.storage.appendTranscript('liar', 'abc', [{ n: 1 }], 0);
    const headPath = join(s.root, 'liar', 'transcripts', 'abc.head.json');
    const head = JSON.parse(readFileSync(headPath, 'utf8')) as { bytes: number };
    writeFileSync(headPath, JSON.stringify({ ...head, bytes: 2 ** 33 }));
    const file = join(s.root, 'liar', 'transcripts', 'abc.1.ccz');
    const size = statSync(file).size;
    await corrupt(s.storage.loadTranscript('liar', 'abc'));
    await corrupt(s.storage.appendTranscript('liar', 'abc', [{ n: 1 }, { n: 2 }], 0));
    expect(statSync(file).size).toBe(size);
  });
});

describe('list(): one failing entry is listed with error, never fatal', () => {
  /** More sessions than one listing batch (256), so entries of the second batch can change mid-listing. */
  async function many(s: Scene): Promise<string[]> {
    await s.storage.save(stateWith(1), 'seed');
    const head = readFileSync(join(s.root, 'seed', 'head.json'));
    for (let i = 0; i < 300; i++) {
      mkdirSync(join(s.root, `copy-${i}`));
      writeFileSync(join(s.root, `copy-${i}`, 'head.json'), head);
    }
    // The order the listing reads the root in; its last entries are in the second batch.
    return readdirSync(s.root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name);
  }

  it('a folder that vanishes while listing', { timeout: 60_000 }, async () => {
    const s = scene();
    const order = await many(s);
    const victim = order.at(-1) as string;
    const listing = s.storage.list();
    rmSync(join(s.root, victim), { recursive: true }); // runs before the listing's second batch
    const listed = await listing;
    expect(listed).toHaveLength(301);
    expect(listed.find((i) => i.name === victim)?.error).toMatch(/vanished while listing/);
    expect(listed.filter((i) => i.error !== undefined)).toHaveLength(1);
  });

  it('a folder replaced by a file while listing (ENOTDIR)', { timeout: 60_000 }, async () => {
    const s = scene();
    const order = await many(s);
    const victim = order.at(-1) as string;
    const listing = s.storage.list();
    rmSync(join(s.root, victim), { recursive: true });
    writeFileSync(join(s.root, victim), 'not a folder');
    const listed = await listing;
    expect(listed.find((i) => i.name === victim)?.error).toMatch(/no longer a folder/);
    expect(listed.filter((i) => i.error !== undefined)).toHaveLength(1);
  });

  const asRoot = process.getuid?.() === 0;
  it.skipIf(!asRoot)(
    "another user's 0700 folder (EACCES), listed by an unprivileged user (needs root to set up)",
    async (ctx) => {
      const nobody = 65534;
      const dist = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'index.js')).href;
      // The listing runs as `nobody`: it needs a node binary and this checkout it can reach (a Node from
      // root's home, or a checkout under a 0700 folder, is out of its reach: then there is nothing to test).
      const node = [process.execPath, '/usr/local/bin/node', '/usr/bin/node'].find(
        (bin) =>
          spawnSync(bin, ['--input-type=module', '-e', `await import(${JSON.stringify(dist)})`], {
            uid: nobody,
            gid: nobody,
            env: { PATH: process.env.PATH ?? '' },
          }).status === 0,
      );
      if (node === undefined) ctx.skip('no node binary and checkout the unprivileged user can both reach');
      const s = scene();
      await s.storage.save(stateWith(1), 'mine');
      await s.storage.save(stateWith(1), 'theirs');
      // The root and `mine` belong to `nobody`, who runs the listing; `theirs` stays root's, 0700.
      for (const path of [join(s.root, '..'), s.root, join(s.root, '.locks')])
        chownSync(path, nobody, nobody);
      for (const entry of readdirSync(s.root)) {
        if (entry === 'theirs') continue;
        const path = join(s.root, entry);
        chownSync(path, nobody, nobody);
        if (lstatSync(path).isDirectory())
          for (const f of readdirSync(path)) chownSync(join(path, f), nobody, nobody);
      }
      chmodSync(join(s.root, 'theirs'), 0o700);
      const script = `const { FileSessionStorage } = await import(${JSON.stringify(dist)});
        const listed = await new FileSessionStorage(${JSON.stringify(s.root)}).list();
        process.stdout.write(JSON.stringify(listed.map((i) => [i.name, i.error ?? null])));`;
      const child = spawnSync(node as string, ['--input-type=module', '-e', script], {
        uid: nobody,
        gid: nobody,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      expect(child.stderr).toBe('');
      const listed = JSON.parse(child.stdout) as Array<[string, string | null]>;
      expect(listed.map(([name]) => name).sort()).toEqual(['mine', 'theirs']);
      expect(listed.find(([name]) => name === 'mine')?.[1]).toBeNull();
      expect(listed.find(([name]) => name === 'theirs')?.[1]).toMatch(/EACCES/);
    },
  );
});
