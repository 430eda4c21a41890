import { makeState } from '@channelcoder/storage-conformance';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { S3SessionStorage } from '../src/index.js';
import { unverifiedIndexKey } from '../src/index-entry.js';
import {
  countRequests,
  deletePrefix,
  listAll,
  makeClient,
  putText,
  uniquePrefix,
} from './support/fixtures.js';

const { endpoint, bucket } = inject('s3Plain');
const client = makeClient(endpoint);
const made: S3SessionStorage[] = [];
afterEach(async () => {
  for (const s of made.splice(0)) await deletePrefix(client, bucket, s.prefix);
});
afterAll(() => client.destroy());

function fresh(): S3SessionStorage {
  const storage = new S3SessionStorage({ client, bucket, prefix: uniquePrefix('list') });
  made.push(storage);
  return storage;
}

const indexKeys = (storage: S3SessionStorage) => listAll(client, bucket, `${storage.prefix}index/`);

describe('list() reads the index, not the sessions', () => {
  it('serves a page with one LIST request and no GET of any session object', async () => {
    const storage = fresh();
    for (let i = 0; i < 30; i++) await storage.save(makeState({ messages: 4 }), `s-${i}`);
    const counter = countRequests(client);
    const page = await storage.list({ limit: 10 });
    expect(page).toHaveLength(10);
    expect(page[0]?.messageCount).toBe(4);
    expect(counter.requests).toHaveLength(1);
    expect(counter.requests[0]?.path).toBe(`/${bucket}/`); // ListObjectsV2 addresses the bucket, not a key
    counter.reset();
    const next = await storage.list({ limit: 10, cursor: page.at(-1)?.cursor ?? '' });
    expect(next.map((i) => i.name)).not.toContain(page[0]?.name);
    expect(counter.requests).toHaveLength(1);
  });

  it('reads the head for an entry whose metadata did not fit in a key (many long tags)', async () => {
    const storage = fresh();
    const state = makeState({ messages: 2 });
    state.metadata.tags = Array.from({ length: 20 }, (_, i) => `tag-${i}-${'x'.repeat(40)}`);
    await storage.save(state, 'tagged');
    const [key] = await indexKeys(storage);
    expect(key?.endsWith('!tagged!/~')).toBe(true);
    const [info] = await storage.list();
    expect(info?.tags).toEqual(state.metadata.tags);
    expect(info?.messageCount).toBe(2);
  });
});

describe('stale index entries (the head is the truth)', () => {
  it('a leftover entry from an older revision is listed once, with the current metadata, and deleted', async () => {
    const storage = fresh();
    const state = makeState({ messages: 2 });
    await storage.save(state, 'moved');
    const [old] = await indexKeys(storage);
    state.messages.push(...makeState({ messages: 2 }).messages);
    state.metadata.lastActive = new Date(state.metadata.lastActive.getTime() + 60_000);
    await storage.save(state, 'moved');
    await putText(client, bucket, old ?? '', ''); // as if the save had died before deleting it
    expect(await indexKeys(storage)).toHaveLength(2);
    const listed = await storage.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]?.messageCount).toBe(4);
    expect(listed[0]?.lastActive.getTime()).toBe(state.metadata.lastActive.getTime());
    expect(await indexKeys(storage)).toHaveLength(1);
    expect(await indexKeys(storage)).not.toContain(old);
  });

  it('a newer-looking entry that the head does not confirm gives way to the true one', async () => {
    const storage = fresh();
    const state = makeState({ messages: 2 });
    await storage.save(state, 'rolled-back');
    const [truth] = await indexKeys(storage);
    const future = new Date(state.metadata.lastActive.getTime() + 3_600_000);
    const phantom = unverifiedIndexKey(`${storage.prefix}index/`, 'rolled-back', future);
    await putText(client, bucket, phantom, '');
    const listed = await storage.list();
    expect(listed.map((i) => i.name)).toEqual(['rolled-back']);
    expect(listed[0]?.lastActive.getTime()).toBe(state.metadata.lastActive.getTime());
    expect(await indexKeys(storage)).toEqual([truth]);
  });

  it('an entry whose session is gone is skipped and deleted', async () => {
    const storage = fresh();
    await storage.save(makeState(), 'kept');
    const ghost = unverifiedIndexKey(`${storage.prefix}index/`, 'ghost', new Date());
    await putText(client, bucket, ghost, '');
    expect((await storage.list()).map((i) => i.name)).toEqual(['kept']);
    expect(await indexKeys(storage)).not.toContain(ghost);
  });

  it('ignores objects in the index folder that are not entries', async () => {
    const storage = fresh();
    await storage.save(makeState(), 'real');
    await putText(client, bucket, `${storage.prefix}index/README.txt`, 'not an entry');
    expect((await storage.list()).map((i) => i.name)).toEqual(['real']);
  });
});

describe('remove()', () => {
  it('deletes the index entry, the head and every part', async () => {
    const storage = fresh();
    const state = makeState({ messages: 2 });
    await storage.save(state, 'doomed');
    state.messages.push(...makeState({ messages: 2 }).messages);
    await storage.save(state, 'doomed');
    await storage.save(makeState(), 'survivor');
    expect(await storage.remove('doomed')).toBe(true);
    const left = await listAll(client, bucket, storage.prefix);
    expect(left.filter((k) => k.includes('doomed'))).toEqual([]);
    expect((await storage.list()).map((i) => i.name)).toEqual(['survivor']);
    expect(await storage.remove('doomed')).toBe(false);
  });
});
