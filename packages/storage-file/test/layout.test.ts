/** The on-disk layout in one place: FILE_LAYOUT, the README tree, and every path a workload writes. */

import { constants, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { FILE_LAYOUT, LAYOUT_PLACEHOLDERS } from '../src/layout.js';
import { message, stateWith, useTempDirs } from './helpers.js';

// Every path the storage creates, writes or renames something to, whatever fs function it uses (folders
// with a trailing `/`); `paused` while the test itself plants files.
const { written, recorder } = vi.hoisted(() => ({ written: [] as string[], recorder: { paused: false } }));
const record = (path: unknown, folder = false) => {
  if (!recorder.paused) written.push(`${String(path)}${folder ? '/' : ''}`);
};
const WRITE_FLAGS = constants.O_WRONLY | constants.O_RDWR | constants.O_CREAT;
const writes = (flags: unknown) =>
  typeof flags === 'string' ? /[wax+]/.test(flags) : typeof flags === 'number' && (flags & WRITE_FLAGS) !== 0;

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    open: (path: string, flags?: unknown, mode?: number) => {
      if (writes(flags)) record(path);
      return fs.open(path, flags as string, mode);
    },
    mkdir: (path: string, options?: unknown) => {
      record(path, true);
      return fs.mkdir(path, options as never);
    },
    writeFile: (path: string, ...rest: unknown[]) => {
      record(path);
      return (fs.writeFile as (...a: unknown[]) => Promise<void>)(path, ...rest);
    },
    rename: async (from: string, to: string) => {
      await fs.rename(from, to);
      record(to, (await fs.lstat(to)).isDirectory());
    },
  };
});
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    openSync: (path: string, flags?: unknown, mode?: number) => {
      if (writes(flags)) record(path);
      return fs.openSync(path, flags as string, mode);
    },
    mkdirSync: (path: string, options?: unknown) => {
      record(path, true);
      return fs.mkdirSync(path, options as never);
    },
    writeFileSync: (path: string, ...rest: unknown[]) => {
      record(path);
      return (fs.writeFileSync as (...a: unknown[]) => void)(path, ...rest);
    },
    renameSync: (from: string, to: string) => {
      fs.renameSync(from, to);
      record(to, fs.lstatSync(to).isDirectory());
    },
  };
});

const tempDir = useTempDirs();

/** A session file as ChannelCoder 3.x wrote it. */
const legacyFile = (name: string) =>
  JSON.stringify({
    sessionChain: ['abc-1'],
    currentSessionId: 'abc-1',
    messages: [
      { role: 'user', content: 'old words', timestamp: '2024-01-15T10:00:00.000Z', sessionId: 'abc-1' },
    ],
    metadata: { name, created: '2024-01-15T10:00:00.000Z', lastActive: '2024-01-15T11:30:00.000Z' },
  });

function planting(body: () => void): void {
  recorder.paused = true;
  try {
    body();
  } finally {
    recorder.paused = false;
  }
}

describe('FILE_LAYOUT', () => {
  it('is the README on-disk tree, line by line', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('## On-disk layout');
    const open = readme.indexOf('```text\n', start) + '```text\n'.length;
    const tree = readme.slice(open, readme.indexOf('\n```', open));
    // A path line starts within the first 20 columns (descriptions continue far to the right), two
    // spaces per level; its path (which ends at two spaces) is its parent's plus its own.
    const parents: string[] = [];
    const documented: string[] = [];
    for (const line of tree.split('\n')) {
      const match = /^( {0,20})(\S(?:\S| (?! ))*)/.exec(line);
      if (match === null) continue;
      const depth = match[1]!.length / 2;
      parents.length = depth;
      const path = `${parents.at(-1) ?? ''}${match[2]}`;
      parents.push(path);
      documented.push(path);
    }
    expect(documented).toEqual(FILE_LAYOUT);
  });

  it('covers every path a workload of every operation writes, and the workload writes every kind', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage({ dir: root, fsync: false });
    const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const kinds = FILE_LAYOUT.map((path) => {
      let source = literal(path).replace(literal('<root>'), literal(root));
      for (const [placeholder, pattern] of Object.entries(LAYOUT_PLACEHOLDERS))
        source = source.replaceAll(literal(placeholder), pattern);
      return { path, re: new RegExp(`^${source}$`) };
    });
    written.length = 0;

    // A lock left by a dead process on this host: the first writer of the name breaks it.
    planting(() => {
      mkdirSync(join(root, '.locks'), { recursive: true });
      writeFileSync(
        join(root, '.locks', 'worked.lock'),
        JSON.stringify({ pid: 2 ** 30, host: hostname(), nonce: 'x' }),
      );
    });
    const state = stateWith(3, 'worked');
    state.metadata.cwd = '/work/project'; // a project: its per-project marker
    await storage.save(state);
    state.messages.push(message('m3'));
    await storage.save(state);
    await storage.appendTranscript('worked', 'plain-id', [{ type: 'user' }, { type: 'assistant' }], 0);
    await storage.appendTranscript('worked', 'plain-id', [{ type: 'user', uuid: 'u-1' }], 2, {
      dedupe: 'uuid',
    });
    await storage.appendTranscript('worked', 'gone-id', [{ type: 'user' }], 0);
    expect(await storage.deleteTranscript('worked', 'gone-id')).toBe(true);
    const lease = await storage.lease('worked', { ttlMs: 60_000 });
    const leased = await storage.load('worked');
    leased.messages.push(message('m4'));
    await storage.save(leased, 'worked', { lease });
    await lease.release();
    await (await storage.lease('lease-only', { ttlMs: 60_000 })).release();
    expect((await storage.list()).map((s) => s.name)).toEqual(['worked']);

    // Enough appending saves for a search to compact the search index.
    const busy = stateWith(1, 'busy');
    for (let i = 0; i < 70; i++) {
      busy.messages.push(message(`b${i}`, `busy words ${i}`));
      await storage.save(busy);
    }
    expect((await storage.search('busy')).map((r) => r.name)).toEqual(['busy']);
    // Sessions the listing cache does not know: a full listing rewrites it.
    for (let i = 0; i < 16; i++) await storage.save(stateWith(1, `s-${i}`));
    planting(() => rmSync(join(root, '.list-index.jsonl')));
    expect(await storage.list()).toHaveLength(18);
    await storage.list();
    // A root that has not changed for a while: a listing stamps the per-prefix groups, the next uses them.
    planting(() => utimesSync(root, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000)));
    expect(await storage.list({ prefix: 's-1' })).toHaveLength(7);
    expect(await storage.list({ prefix: 's-1' })).toHaveLength(7);

    // The trash, with a folder session and a 3.x file session.
    planting(() => writeFileSync(join(root, 'old.json'), legacyFile('old')));
    expect((await storage.search('old')).map((r) => r.name)).toEqual(['old']);
    const old = await storage.moveToTrash('old');
    const binned = await storage.moveToTrash('busy');
    expect(await storage.listTrash()).toHaveLength(2);
    expect(await storage.restoreFromTrash(old!.id)).toBe('old');
    expect(await storage.restoreFromTrash(binned!.id)).toBe('busy');
    await storage.moveToTrash('busy');
    expect(await storage.purgeTrash({ all: true })).toBe(1);
    expect(await storage.remove('worked')).toBe(true);
    expect(await storage.remove('old')).toBe(true);

    const seen = new Set<string>();
    for (const path of new Set(written)) {
      const matches = kinds.filter((k) => k.re.test(path));
      expect(
        matches.map((k) => k.path),
        `${path} is one kind of FILE_LAYOUT`,
      ).toHaveLength(1);
      seen.add(matches[0]!.path);
    }
    expect(FILE_LAYOUT.filter((path) => !seen.has(path))).toEqual([]);
  });
});
