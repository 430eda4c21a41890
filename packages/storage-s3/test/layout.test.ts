import { readFileSync } from 'node:fs';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { SessionConflictError, SessionCorruptError, type SessionState } from '@channelcoder/session-core';
import { addMessages, makeState } from '@channelcoder/storage-conformance';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { S3SessionStorage, type S3SessionStorageOptions } from '../src/index.js';
import { KEY_LAYOUT, KEY_PLACEHOLDERS, KeyLayout } from '../src/keys.js';
import {
  countRequests,
  deletePrefix,
  getText,
  listAll,
  makeClient,
  putText,
  uniquePrefix,
} from './support/fixtures.js';
import { startFlakyProxy } from './support/flaky-proxy.js';

// s3rver behind the test middleware emulating real S3 (conditional writes → 412, atomic object replacement).
const { endpoint, bucket } = inject('s3Conditional');
const client = makeClient(endpoint);
const made: S3SessionStorage[] = [];
afterEach(async () => {
  for (const s of made.splice(0)) await deletePrefix(client, bucket, s.prefix);
});
afterAll(() => client.destroy());

function fresh(options: Partial<S3SessionStorageOptions> = {}): S3SessionStorage {
  const storage = new S3SessionStorage({ client, bucket, prefix: uniquePrefix('layout'), ...options });
  made.push(storage);
  return storage;
}

async function headOf(storage: S3SessionStorage, name: string) {
  const text = await getText(client, bucket, `${storage.prefix}sessions/${name}/head.json`);
  return JSON.parse(text) as {
    revision: number;
    messageCount: number;
    parts: { id: string; count: number }[];
  };
}

async function partKeys(storage: S3SessionStorage, name: string): Promise<string[]> {
  return listAll(client, bucket, `${storage.prefix}sessions/${name}/parts/`);
}

const ids = (s: SessionState) => s.messages.map((m) => m.id);

describe('key layout', () => {
  it('keeps a head, numbered parts, a time-ordered and a name-ordered entry per session, all under the prefix', async () => {
    const storage = fresh({ prefix: 'custom-root' });
    made.push(storage);
    expect(storage.prefix).toBe('custom-root/');
    const state = makeState({ messages: 2 });
    await storage.save(state, 'laid-out');
    await storage.save(addMessages(state, 2), 'laid-out');
    const keys = (await listAll(client, bucket, 'custom-root/')).sort();
    expect(keys).toHaveLength(5);
    expect(keys[0]).toMatch(/^custom-root\/by-name\/laid-\/out!\d{17}\/[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/);
    expect(keys[1]).toMatch(/^custom-root\/index\/\d{17}!laid-out!\/[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/);
    expect(keys[2]).toBe('custom-root/sessions/laid-out/head.json');
    expect(keys[3]).toMatch(/^custom-root\/sessions\/laid-out\/parts\/0000000001-[0-9a-f]{8}\.jsonl$/);
    expect(keys[4]).toMatch(/^custom-root\/sessions\/laid-out\/parts\/0000000002-[0-9a-f]{8}\.jsonl$/);
    const head = await headOf(storage, 'laid-out');
    expect(head.parts.map((p) => p.count)).toEqual([2, 2]);
    expect(head.revision).toBe(2);
  });
});

describe('KEY_LAYOUT', () => {
  it('is the README key-layout table, row by row', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('## Key layout');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const documented = [...section.matchAll(/^\|\s*`([^`]+)`\s*\|/gm)].map((m) => m[1]);
    expect(documented).toEqual(KEY_LAYOUT.map((kind) => kind(new KeyLayout('<p>'))));
  });

  it('covers every object a workload of every operation writes, and the workload writes every kind', async () => {
    // A client of its own: the request counter stays on it.
    const recorded = makeClient(endpoint);
    const storage = new S3SessionStorage({
      client: recorded,
      bucket,
      prefix: uniquePrefix('layout'),
      compactAfterParts: 2,
    });
    made.push(storage);
    const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const kinds = KEY_LAYOUT.map((kind) => {
      let source = literal(kind(new KeyLayout(storage.prefix)));
      for (const [placeholder, pattern] of Object.entries(KEY_PLACEHOLDERS))
        source = source.replaceAll(literal(placeholder), pattern);
      return { shown: kind(new KeyLayout('<p>')), re: new RegExp(`^${source}$`) };
    });
    const counter = countRequests(recorded);
    const stored = new Set<string>();
    const snapshot = async () => {
      for (const key of await listAll(client, bucket, storage.prefix)) stored.add(key);
    };

    const state = makeState({ messages: 3 });
    state.metadata.cwd = '/home/dev/shop-api';
    await storage.save(state, 'worked');
    for (let i = 0; i < 3; i++) await storage.save(addMessages(state, 1), 'worked'); // compacts
    await storage.appendTranscript('worked', 'plain-id', [{ type: 'user' }, { type: 'assistant' }], 0);
    await storage.appendTranscript('worked', 'plain-id', [{ type: 'user', uuid: 'u-1' }], 2, {
      dedupe: 'uuid',
    });
    const lease = await storage.lease('worked', { ttlMs: 60_000 });
    await storage.save(addMessages(await storage.load('worked'), 1), 'worked', { lease });
    await lease.release();
    const leaseOnly = await storage.lease('lease-only', { ttlMs: 60_000 });
    await snapshot();
    await leaseOnly.release();
    expect((await storage.list()).map((s) => s.name)).toEqual(['worked']);
    expect((await storage.list({ projectKey: '-home-dev-shop-api' } as never)).map((s) => s.name)).toEqual([
      'worked',
    ]);
    await storage.save(makeState({ messages: 2 }), 'binned');
    await storage.appendTranscript('binned', 'plain-id', [{ type: 'user' }], 0);
    const restored = await storage.moveToTrash('binned');
    const purged = await storage.moveToTrash('worked');
    await snapshot();
    expect(await storage.listTrash()).toHaveLength(2);
    expect(await storage.restoreFromTrash(restored!.id, { name: 'back' })).toBe('back');
    expect(await storage.purgeTrash({ id: purged!.id })).toBe(1);
    await snapshot();
    expect(await storage.remove('back')).toBe(true);
    await snapshot();

    const written = counter.requests
      .filter((r) => r.method === 'PUT')
      .map((r) => r.path.replace(`/${bucket}/`, ''));
    const seen = new Set<string>();
    for (const key of new Set([...written, ...stored])) {
      const matches = kinds.filter((k) => k.re.test(key));
      expect(
        matches.map((k) => k.shown),
        `${key} is one kind of KEY_LAYOUT`,
      ).toHaveLength(1);
      seen.add(matches[0]!.shown);
    }
    expect(kinds.filter((k) => !seen.has(k.shown)).map((k) => k.shown)).toEqual([]);
    expect(written.length).toBeGreaterThan(10);
    recorded.destroy();
  });
});

describe('incremental saves', () => {
  it('upload only the new messages as one part, plus the head and the index entry', async () => {
    const storage = fresh();
    const state = makeState({ messages: 200 });
    await storage.save(state, 'grows');
    const counter = countRequests(client);
    addMessages(state, 2);
    await storage.save(state, 'grows');
    const puts = counter.requests.filter((r) => r.method === 'PUT');
    const newPart = puts.filter((r) => r.path.includes('/parts/'));
    expect(newPart).toHaveLength(1);
    expect(puts.filter((r) => r.path.endsWith('/head.json'))).toHaveLength(1);
    expect(puts.filter((r) => r.path.includes('/index/'))).toHaveLength(1);
    expect(counter.requests.filter((r) => r.method === 'GET' && r.path.includes('/parts/'))).toHaveLength(0);
    const partKey = newPart[0]?.path.replace(`/${bucket}/`, '') ?? '';
    const lines = (await getText(client, bucket, partKey)).split('\n').filter(Boolean);
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(ids(state).slice(200));
  });

  it('orders messages by part sequence, never by clocks (a writer with a clock hours behind)', async () => {
    const storage = fresh();
    const state = makeState({ messages: 2 });
    await storage.save(state, 'skewed');
    addMessages(state, 2);
    const behind = new Date(state.messages[0]!.timestamp.getTime() - 6 * 3600_000);
    for (const m of state.messages.slice(2)) m.timestamp = behind;
    state.metadata.lastActive = behind;
    await storage.save(state, 'skewed');
    const loaded = await storage.load('skewed');
    expect(ids(loaded)).toEqual(ids(state));
    expect(loaded.messages[2]?.timestamp.getTime()).toBe(behind.getTime());
  });
});

describe('compaction', () => {
  it('merges the parts into one once they pass the threshold and deletes the old ones', async () => {
    const storage = fresh({ compactAfterParts: 3 });
    const state = makeState({ messages: 1 });
    await storage.save(state, 'compacted');
    for (let i = 0; i < 2; i++) await storage.save(addMessages(state, 1), 'compacted');
    expect((await headOf(storage, 'compacted')).parts).toHaveLength(3);
    await storage.save(addMessages(state, 1), 'compacted');
    const head = await headOf(storage, 'compacted');
    expect(head.parts).toEqual([{ id: expect.stringMatching(/^0000000004-/), count: 4 }]);
    expect(await partKeys(storage, 'compacted')).toEqual([
      `${storage.prefix}sessions/compacted/parts/${head.parts[0]?.id}.jsonl`,
    ]);
    expect(ids(await storage.load('compacted'))).toEqual(ids(state));
  });

  it('never lets a concurrent load see a partial session while parts are merged and deleted', async () => {
    const writer = fresh({ compactAfterParts: 2 });
    const reader = new S3SessionStorage({ client, bucket, prefix: writer.prefix });
    const state = makeState({ messages: 1 });
    await writer.save(state, 'busy');
    const history = new Map<number, string[]>([[1, ids(state)]]);
    let writing = true;
    const loads: SessionState[] = [];
    const readLoop = (async () => {
      while (writing) loads.push(await reader.load('busy'));
    })();
    for (let i = 0; i < 12; i++) {
      await writer.save(addMessages(state, 1), 'busy');
      history.set(state.revision, ids(state));
    }
    writing = false;
    await readLoop;
    expect(loads.length).toBeGreaterThanOrEqual(2); // the reader really ran alongside the writer
    for (const loaded of loads) expect(ids(loaded)).toEqual(history.get(loaded.revision));
  });

  it('deletes parts left by a failed save; loads never read them', async () => {
    const storage = fresh({ compactAfterParts: 2 });
    const state = makeState({ messages: 2 });
    await storage.save(state, 'orphaned');
    const orphan = `${storage.prefix}sessions/orphaned/parts/0000000002-deadbeef.jsonl`;
    await putText(client, bucket, orphan, 'not a message\n');
    expect(ids(await storage.load('orphaned'))).toEqual(ids(state));
    for (let i = 0; i < 3; i++) await storage.save(addMessages(state, 1), 'orphaned');
    expect(await partKeys(storage, 'orphaned')).not.toContain(orphan);
    expect(ids(await storage.load('orphaned'))).toEqual(ids(state));
  });

  it('reports a part that is gone under an unchanged head as SessionCorruptError', async () => {
    const storage = fresh();
    await storage.save(makeState({ messages: 3 }), 'lost-part');
    const [key] = await partKeys(storage, 'lost-part');
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    const err = await storage.load('lost-part').catch((e: unknown) => e);
    expect(SessionCorruptError.is(err), String(err)).toBe(true);
    expect((err as SessionCorruptError).field).toBe('parts');
  });
});

describe('conflicts between writers on different clients', () => {
  it('let exactly one of two writers win; the other gets SessionConflictError with both revisions', async () => {
    const first = fresh();
    const otherClient = makeClient(endpoint);
    const second = new S3SessionStorage({ client: otherClient, bucket, prefix: first.prefix });
    await first.save(makeState({ messages: 2 }), 'contested');
    const a = addMessages(await first.load('contested'), 1);
    const b = addMessages(await second.load('contested'), 3);
    const results = await Promise.allSettled([first.save(a, 'contested'), second.save(b, 'contested')]);
    otherClient.destroy();
    const lost = results.filter((r) => r.status === 'rejected');
    expect(lost).toHaveLength(1);
    const err = (lost[0] as PromiseRejectedResult).reason as SessionConflictError;
    expect(SessionConflictError.is(err), String(err)).toBe(true);
    expect(err.expectedRevision).toBe(1);
    const winner = results[0]?.status === 'fulfilled' ? a : b;
    const stored = await first.load('contested');
    expect(ids(stored)).toEqual(ids(winner));
    // The loser's part was removed: only the winner's parts remain.
    expect(await partKeys(first, 'contested')).toHaveLength((await headOf(first, 'contested')).parts.length);
  });

  it('leave no stale index entry when the next revision lands while a writer is still moving its entry', async () => {
    const b = fresh();
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reachedHold = () => {};
    const reached = new Promise<void>((resolve) => {
      reachedHold = resolve;
    });
    let holding = false;
    const proxy = await startFlakyProxy(endpoint, async (req) => {
      if (req.method === 'PUT' && decodeURIComponent(req.url ?? '').includes('/index/') && !holding) {
        holding = true;
        reachedHold();
        await held;
      }
      return 'forward' as const;
    });
    const slowClient = makeClient(proxy.endpoint);
    const a = new S3SessionStorage({ client: slowClient, bucket, prefix: b.prefix });
    try {
      await b.save(makeState({ messages: 2 }), 'raced-index');
      const aState = addMessages(await a.load('raced-index'), 1);
      const aSave = a.save(aState, 'raced-index'); // commits revision 2, then waits before its index PUT
      await reached;
      const bState = addMessages(await b.load('raced-index'), 1);
      await b.save(bState, 'raced-index'); // revision 3 moves the entry of revision 2, which is not there yet
      release();
      await aSave;
      expect(await listAll(client, bucket, `${b.prefix}index/`)).toHaveLength(1);
      const [info] = await b.list();
      expect(info?.messageCount).toBe(bState.messages.length);
    } finally {
      release();
      slowClient.destroy();
      await proxy.close();
    }
  });
});
