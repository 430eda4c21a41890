import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvalidArgumentError, type SessionInfo } from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { S3SessionStorage } from '../src/index.js';
import { COPY_IN_BATCH } from '../src/session-listing.js';
import { deletePrefix, getText, listAll, makeClient, putText, uniquePrefix } from './support/fixtures.js';

// s3rver behind the middleware that enforces conditional writes, as real S3 does.
const { endpoint, bucket } = inject('s3Conditional');
const client = makeClient(endpoint);
const made: S3SessionStorage[] = [];
afterEach(async () => {
  for (const s of made.splice(0)) await deletePrefix(client, bucket, s.prefix);
});
afterAll(() => client.destroy());

function fresh(prefix = uniquePrefix('filters'), c: S3Client = client): S3SessionStorage {
  const storage = new S3SessionStorage({ client: c, bucket, prefix });
  made.push(storage);
  return storage;
}

/** The `Prefix` of every ListObjectsV2 and the key of every GET a client sends. */
function recordReads(c: S3Client): { lists: string[]; gets: string[] } {
  const seen = { lists: [] as string[], gets: [] as string[] };
  c.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { method?: string; path?: string; query?: Record<string, unknown> };
      if (request.method === 'GET' && request.query?.['list-type'] === '2')
        seen.lists.push(String(request.query.prefix ?? ''));
      else if (request.method === 'GET') seen.gets.push(decodeURIComponent(request.path ?? ''));
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'recordReads' },
  );
  return seen;
}

const PROJECT_A = '/home/dev/shop-api';
const PROJECT_B = '/home/dev/billing';
const KEY_A = '-home-dev-shop-api';
const KEY_B = '-home-dev-billing';

let clock = Date.UTC(2026, 10, 1);
async function store(storage: S3SessionStorage, name: string, cwd?: string, lastActive?: number) {
  clock += 1000;
  const state = makeState({ messages: 2, lastActive: new Date(lastActive ?? clock) });
  if (cwd !== undefined) state.metadata.cwd = cwd;
  await storage.save(state, name);
  return state;
}

const names = (infos: SessionInfo[]) => infos.map((i) => i.name);

describe('list({ projectKey }) and list({ prefix }) read only their own entries', () => {
  it('declares the projectKey filter', () => {
    expect(fresh().listFilters).toEqual(['projectKey']);
  });

  it('lists a project newest first, ANDed with prefix, limit and cursor, the same order as list()', async () => {
    const storage = fresh();
    const at = Date.UTC(2026, 10, 5);
    await store(storage, 'a-old', PROJECT_A, at);
    await store(storage, 'a-tie-2', PROJECT_A, at + 5000);
    await store(storage, 'a-tie-1', PROJECT_A, at + 5000);
    await store(storage, 'b-new', PROJECT_B, at + 9000);
    await store(storage, 'x-nocwd', undefined, at + 7000);
    await store(storage, 'a-new', PROJECT_A, at + 8000);

    const all = await storage.list({ projectKey: KEY_A });
    expect(names(all)).toEqual(['a-new', 'a-tie-1', 'a-tie-2', 'a-old']);
    const full = (await storage.list()).filter((i) => all.some((a) => a.name === i.name));
    expect(all).toEqual(full); // same entries, same cursors as the unfiltered listing
    expect(names(await storage.list({ projectKey: KEY_B }))).toEqual(['b-new']);
    expect(await storage.list({ projectKey: '-home-dev-nothing' })).toEqual([]);
    expect(names(await storage.list({ projectKey: KEY_A, prefix: 'a-tie' }))).toEqual(['a-tie-1', 'a-tie-2']);

    const first = await storage.list({ projectKey: KEY_A, limit: 2 });
    expect(names(first)).toEqual(['a-new', 'a-tie-1']);
    const rest = await storage.list({ projectKey: KEY_A, cursor: first.at(-1)!.cursor! });
    expect(names(rest)).toEqual(['a-tie-2', 'a-old']);
    expect(names(await storage.list({ prefix: 'a-', limit: 3 }))).toEqual(['a-new', 'a-tie-1', 'a-tie-2']);
    expect(names(await storage.list({ prefix: 'x' }))).toEqual(['x-nocwd']);
  });

  it('reads no entry of another project or name once the entries are complete', async () => {
    const recorded = makeClient(endpoint);
    const storage = fresh(uniquePrefix('filters'), recorded);
    await store(storage, 'a-1', PROJECT_A);
    await store(storage, 'b-1', PROJECT_B);
    await store(storage, 'c-1');
    await storage.list({ prefix: 'a-' }); // the first filtered listing checks for older sessions once
    const seen = recordReads(recorded);
    expect(names(await storage.list({ projectKey: KEY_A }))).toEqual(['a-1']);
    expect(names(await storage.list({ prefix: 'b-' }))).toEqual(['b-1']);
    expect(seen.lists).toEqual([`${storage.prefix}by-project/${KEY_A}/`, `${storage.prefix}by-name/b-/`]);
    expect(seen.gets).toEqual([]);
    recorded.destroy();
  });

  it('moves the project entry when a save changes metadata.cwd, and drops it with remove, trash and restore', async () => {
    const storage = fresh();
    const state = await store(storage, 'mover', PROJECT_A);
    await store(storage, 'stayer', PROJECT_A);
    state.metadata.cwd = PROJECT_B;
    await storage.save(state, 'mover');
    expect(names(await storage.list({ projectKey: KEY_A }))).toEqual(['stayer']);
    expect(names(await storage.list({ projectKey: KEY_B }))).toEqual(['mover']);
    delete state.metadata.cwd;
    await storage.save(state, 'mover');
    expect(await storage.list({ projectKey: KEY_B })).toEqual([]);
    expect(names(await storage.list({ prefix: 'mover' }))).toEqual(['mover']);

    const entry = await storage.moveToTrash('stayer');
    expect(await storage.list({ projectKey: KEY_A })).toEqual([]);
    expect(await storage.list({ prefix: 'stayer' })).toEqual([]);
    expect(await storage.restoreFromTrash(entry!.id, { name: 'stayer-back' })).toBe('stayer-back');
    expect(names(await storage.list({ projectKey: KEY_A }))).toEqual(['stayer-back']);
    expect(await storage.remove('stayer-back')).toBe(true);
    expect(await storage.list({ projectKey: KEY_A })).toEqual([]);
    expect(await storage.list({ prefix: 'stayer' })).toEqual([]);
    const left = await listAll(client, bucket, storage.prefix);
    expect(left.filter((k) => k.includes('/by-project/'))).toEqual([]);
  });

  it('lists a projectKey that is no folder name (any string) under a hashed folder', async () => {
    const storage = fresh();
    await store(storage, 'odd', '/x');
    expect(names(await storage.list({ projectKey: '-x' }))).toEqual(['odd']);
    expect(await storage.list({ projectKey: 'a/b ../c' })).toEqual([]);
    for (const bad of ['', 7])
      await expect(storage.list({ projectKey: bad as string })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('sessions stored before the name-ordered entries (legacy data)', () => {
  /** Removes what this version adds, leaving a bucket as the previous version wrote it. */
  async function makeLegacy(storage: S3SessionStorage): Promise<void> {
    const keys = (await listAll(client, bucket, storage.prefix)).filter(
      (k) =>
        k.startsWith(`${storage.prefix}by-name/`) ||
        k.startsWith(`${storage.prefix}by-project/`) ||
        k === `${storage.prefix}listing-indexes.json`,
    );
    for (const Key of keys) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  }

  it('finds them from the first filtered listing, copies them in, then writes the marker', async () => {
    const prefix = uniquePrefix('legacy');
    const writer = fresh(prefix);
    await store(writer, 'old-a', PROJECT_A);
    await store(writer, 'old-b', PROJECT_B);
    await store(writer, 'old-none');
    await makeLegacy(writer);

    const reader = fresh(prefix);
    expect(names(await reader.list({ projectKey: KEY_A }))).toEqual(['old-a']);
    const marker = JSON.parse(await getText(client, bucket, `${prefix}listing-indexes.json`)) as object;
    expect(marker).toMatchObject({ namedEntries: 'complete' });
    const keys = await listAll(client, bucket, prefix);
    expect(keys.filter((k) => k.startsWith(`${prefix}by-name/`))).toHaveLength(3);
    expect(keys.filter((k) => k.startsWith(`${prefix}by-project/`))).toHaveLength(2);
    // A second storage object (another process) reads the marker and only the project's folder.
    const recorded = makeClient(endpoint);
    const other = new S3SessionStorage({ client: recorded, bucket, prefix });
    const seen = recordReads(recorded);
    expect(names(await other.list({ projectKey: KEY_B }))).toEqual(['old-b']);
    expect(seen.lists).toEqual([`${prefix}by-project/${KEY_B}/`]);
    expect(seen.gets).toEqual([`/${bucket}/${prefix}listing-indexes.json`]);
    recorded.destroy();
  });

  it('listings started together share one check: one marker GET, one listing of each index', async () => {
    const prefix = uniquePrefix('legacy-together');
    const writer = fresh(prefix);
    await store(writer, 'old-a', PROJECT_A);
    await store(writer, 'old-b', PROJECT_B);
    await makeLegacy(writer);

    const recorded = makeClient(endpoint);
    const reader = new S3SessionStorage({ client: recorded, bucket, prefix });
    const seen = recordReads(recorded);
    // What the Agent SDK bridge does: its names, earlier names and the project, side by side.
    const [a, b, old] = await Promise.all([
      reader.list({ projectKey: KEY_A }),
      reader.list({ projectKey: KEY_B }),
      reader.list({ prefix: 'old-' }),
    ]);
    expect([names(a), names(b), names(old)]).toEqual([['old-a'], ['old-b'], ['old-b', 'old-a']]);
    // One marker GET and one GET of each head copied in, not one per listing.
    expect([...seen.gets].sort()).toEqual([
      `/${bucket}/${prefix}listing-indexes.json`,
      `/${bucket}/${prefix}sessions/old-a/head.json`,
      `/${bucket}/${prefix}sessions/old-b/head.json`,
    ]);
    expect(seen.lists.filter((l) => l === `${prefix}index/`)).toHaveLength(1);
    expect(seen.lists.filter((l) => l === `${prefix}by-name/`)).toHaveLength(1);
    // Once the marker is known, a listing is one ListObjectsV2 and nothing else.
    seen.lists.length = 0;
    seen.gets.length = 0;
    expect(names(await reader.list({ projectKey: KEY_A }))).toEqual(['old-a']);
    expect(seen).toEqual({ lists: [`${prefix}by-project/${KEY_A}/`], gets: [] });
    recorded.destroy();
  });

  it('copies in a damaged session too (listed by name with its error), so the copy-in finishes', async () => {
    const prefix = uniquePrefix('legacy-damaged');
    const writer = fresh(prefix);
    await store(writer, 'fine', PROJECT_A);
    await store(writer, 'broken', PROJECT_A);
    await makeLegacy(writer);
    await putText(client, bucket, `${prefix}sessions/broken/head.json`, '{ not json');

    const reader = fresh(prefix);
    expect(names(await reader.list({ projectKey: KEY_A }))).toEqual(['fine']);
    expect(await listAll(client, bucket, `${prefix}listing-indexes.json`)).toHaveLength(1);
    const byName = await reader.list({ prefix: 'broken' });
    expect(byName).toHaveLength(1);
    expect(byName[0]?.error).toBeDefined();
    expect(await reader.remove('broken')).toBe(true);
    expect(await reader.list({ prefix: 'broken' })).toEqual([]);
  });

  it(`copies in at most ${COPY_IN_BATCH} per listing and still answers for the rest`, async () => {
    const prefix = uniquePrefix('legacy-many');
    const writer = fresh(prefix);
    const count = COPY_IN_BATCH + 15;
    const template = await store(writer, 'tpl', PROJECT_A, Date.UTC(2026, 0, 1));
    const head = await getText(client, bucket, `${prefix}sessions/tpl/head.json`);
    const indexKey = (await listAll(client, bucket, `${prefix}index/`))[0]!; // names without separators
    await makeLegacy(writer);
    await writer.remove('tpl');
    // Plant `count` sessions the way the previous version stored them: a head and a time-ordered entry.
    const planted: string[] = [];
    for (let i = 0; i < count; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, count - i) }, async (_, j) => {
          const name = `old${String(i + j).padStart(3, '0')}`;
          planted.push(name);
          await putText(client, bucket, `${prefix}sessions/${name}/head.json`, head);
          await putText(client, bucket, indexKey.replace('!tpl!', `!${name}!`), '');
        }),
      );
    }
    expect(template.metadata.cwd).toBe(PROJECT_A);

    const reader = fresh(prefix);
    const first = await reader.list({ projectKey: KEY_A });
    expect(names(first).sort()).toEqual(planted.sort());
    const copied = async () => (await listAll(client, bucket, `${prefix}by-name/`)).length;
    expect(await copied()).toBe(COPY_IN_BATCH);
    expect(await listAll(client, bucket, `${prefix}listing-indexes.json`)).toEqual([]);
    expect(names(await reader.list({ prefix: 'old01' }))).toHaveLength(10);
    expect(await copied()).toBe(count);
    expect(await listAll(client, bucket, `${prefix}listing-indexes.json`)).toHaveLength(1);
    expect(names(await reader.list({ projectKey: KEY_A })).sort()).toEqual(planted.sort());
  });
});
