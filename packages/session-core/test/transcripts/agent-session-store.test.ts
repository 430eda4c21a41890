import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CapabilityError } from '../../src/errors.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import { deserializeState, serializeState } from '../../src/serialize.js';
import { createSessionState } from '../../src/state.js';
import type { SessionStorage } from '../../src/storage.js';
import { MTIME_RESOLUTION_MS, toAgentSessionStore } from '../../src/transcripts/agent-session-store.js';
import { projectFolderName } from '../../src/transcripts/folder-name.js';

const KEY = { projectKey: '-home-user-app', sessionId: '5c1d7a3e-0f4b-4e2a-9b6c-8d7e6f5a4b3c' };
const E = (uuid: string) => ({ type: 'user', uuid, message: { content: `text ${uuid}` } });

function fresh() {
  const storage = new MemorySessionStorage();
  return { storage, store: toAgentSessionStore(storage) };
}

describe('toAgentSessionStore: the Agent SDK SessionStore contract over any transcript storage', () => {
  it('unknown key → null (main and subpath)', async () => {
    const { store } = fresh();
    expect(await store.load(KEY)).toBeNull();
    await store.append(KEY, [E('a')]);
    expect(await store.load({ ...KEY, subpath: 'subagents/x' })).toBeNull();
    expect(await store.load({ ...KEY, sessionId: 'other' })).toBeNull();
    expect(await store.load({ ...KEY, projectKey: 'other' })).toBeNull();
  });

  it('preserves order across appends, and across bridges (processes) appending in turn', async () => {
    const { storage, store } = fresh();
    await store.append(KEY, [E('1'), E('2')]);
    await store.append(KEY, [E('3')]);
    const other = toAgentSessionStore(storage);
    await other.append(KEY, [E('4')]);
    await store.append(KEY, [E('5')]); // this bridge's cache is stale: the revision check makes it reload
    expect(await store.load(KEY)).toEqual(['1', '2', '3', '4', '5'].map(E));
    expect(await other.load(KEY)).toEqual(['1', '2', '3', '4', '5'].map(E));
  });

  it('keeps concurrent appends of one bridge in call order', async () => {
    const { store } = fresh();
    await Promise.all(['1', '2', '3', '4'].map((id) => store.append(KEY, [E(id)])));
    expect(await store.load(KEY)).toEqual(['1', '2', '3', '4'].map(E));
  });

  it('isolates subpaths from the main transcript and from each other; lists them sorted', async () => {
    const { store } = fresh();
    await store.append(KEY, [E('main')]);
    await store.append({ ...KEY, subpath: 'subagents/b' }, [E('sb')]);
    await store.append({ ...KEY, subpath: 'subagents/a' }, [E('sa')]);
    expect(await store.load(KEY)).toEqual([E('main')]);
    expect(await store.load({ ...KEY, subpath: 'subagents/a' })).toEqual([E('sa')]);
    expect(await store.load({ ...KEY, subpath: 'subagents/b' })).toEqual([E('sb')]);
    expect(await store.listSubkeys(KEY)).toEqual(['subagents/a', 'subagents/b']);
    expect(await store.listSubkeys({ ...KEY, sessionId: 'none' })).toEqual([]);
  });

  it('delete without subpath cascades to every subpath; other sessions and projects stay', async () => {
    const { store } = fresh();
    await store.append(KEY, [E('main')]);
    await store.append({ ...KEY, subpath: 'subagents/a' }, [E('sa')]);
    await store.append({ ...KEY, sessionId: 'other' }, [E('o')]);
    await store.append({ ...KEY, projectKey: 'proj2' }, [E('p2')]);
    await store.delete?.(KEY);
    expect(await store.load(KEY)).toBeNull();
    expect(await store.load({ ...KEY, subpath: 'subagents/a' })).toBeNull();
    expect(await store.listSubkeys(KEY)).toEqual([]);
    expect(await store.load({ ...KEY, sessionId: 'other' })).toEqual([E('o')]);
    expect(await store.load({ ...KEY, projectKey: 'proj2' })).toEqual([E('p2')]);
    // Appending after a delete starts a new transcript.
    await store.append(KEY, [E('again')]);
    expect(await store.load(KEY)).toEqual([E('again')]);
  });

  it('delete with a subpath removes only that transcript', async () => {
    const { store } = fresh();
    await store.append(KEY, [E('main')]);
    await store.append({ ...KEY, subpath: 'subagents/a' }, [E('sa')]);
    await store.append({ ...KEY, subpath: 'subagents/b' }, [E('sb')]);
    await store.delete?.({ ...KEY, subpath: 'subagents/a' });
    expect(await store.load(KEY)).toEqual([E('main')]);
    expect(await store.load({ ...KEY, subpath: 'subagents/a' })).toBeNull();
    expect(await store.load({ ...KEY, subpath: 'subagents/b' })).toEqual([E('sb')]);
    expect(await store.listSubkeys(KEY)).toEqual(['subagents/b']);
    await store.append({ ...KEY, subpath: 'subagents/a' }, [E('sa2')]);
    expect(await store.load({ ...KEY, subpath: 'subagents/a' })).toEqual([E('sa2')]);
  });

  it('listSessions: the project’s sessions only, mtime in epoch milliseconds of the last append', async () => {
    const { store } = fresh();
    const before = Date.now();
    await store.append(KEY, [E('1')]);
    await store.append({ ...KEY, sessionId: 's2' }, [E('2')]);
    await store.append({ projectKey: 'elsewhere', sessionId: 's3' }, [E('3')]);
    const after = Date.now();
    const listed = await store.listSessions(KEY.projectKey);
    expect(listed.map((s) => s.sessionId).sort()).toEqual([KEY.sessionId, 's2'].sort());
    for (const { mtime } of listed) {
      expect(Number.isInteger(mtime)).toBe(true);
      expect(mtime).toBeGreaterThanOrEqual(before);
      expect(mtime).toBeLessThanOrEqual(after);
    }
    await new Promise((r) => setTimeout(r, MTIME_RESOLUTION_MS + 10));
    await store.append(KEY, [E('4')]);
    const again = await store.listSessions(KEY.projectKey);
    const mtimeOf = (list: typeof listed) => list.find((s) => s.sessionId === KEY.sessionId)?.mtime ?? 0;
    expect(mtimeOf(again)).toBeGreaterThan(mtimeOf(listed));
    expect(await store.listSessions('nothing-here')).toEqual([]);
  });

  it('takes any projectKey and sessionId (long, with slashes or dots) and keeps them apart', async () => {
    const { store } = fresh();
    const long = { projectKey: `-${'x'.repeat(400)}`, sessionId: '../../etc/passwd' };
    await store.append(long, [E('weird')]);
    await store.append({ ...long, sessionId: '../../etc/passwd2' }, [E('weird2')]);
    expect(await store.load(long)).toEqual([E('weird')]);
    expect((await store.listSessions(long.projectKey)).map((s) => s.sessionId).sort()).toEqual([
      '../../etc/passwd',
      '../../etc/passwd2',
    ]);
  });

  it('takes subpaths with any characters and of any length (2,000 bytes), each kept apart', async () => {
    const { store } = fresh();
    const odd = 'subagents/ä gent?#/../x';
    const long = `subagents/${'ü'.repeat(995)}`;
    await store.append({ ...KEY, subpath: odd }, [E('odd')]);
    await store.append({ ...KEY, subpath: long }, [E('long')]);
    await store.append({ ...KEY, subpath: `${long}2` }, [E('long2')]);
    expect(await store.load({ ...KEY, subpath: odd })).toEqual([E('odd')]);
    expect(await store.load({ ...KEY, subpath: long })).toEqual([E('long')]);
    expect(await store.load({ ...KEY, subpath: `${long}2` })).toEqual([E('long2')]);
    expect(await store.listSubkeys(KEY)).toEqual([odd, long, `${long}2`].sort());
  });

  it('refuses a storage without the transcript capability; has no delete without remove()', () => {
    const inner = new MemorySessionStorage();
    const plain: SessionStorage = {
      save: (s, n) => inner.save(s, n),
      load: (n) => inner.load(n),
      list: (o) => inner.list(o),
    };
    expect(() => toAgentSessionStore(plain)).toThrow(CapabilityError);
    const noRemove: SessionStorage = {
      ...plain,
      appendTranscript: (...a) => inner.appendTranscript(...a),
      loadTranscript: (...a) => inner.loadTranscript(...a),
    };
    expect(toAgentSessionStore(noRemove).delete).toBeUndefined();
  });

  describe('sessions made by channelcoder', () => {
    const CWD = '/home/user/app';
    const CLAUDE_1 = '0b8f2a4c-1111-4e2a-9b6c-8d7e6f5a4b3c';
    const CLAUDE_2 = '0b8f2a4c-2222-4e2a-9b6c-8d7e6f5a4b3c';

    /** A session as `session()` stores it: a chain of two Claude sessions, transcripts mirrored. */
    async function channelcoderSession(storage: MemorySessionStorage, name: string, cwd: string) {
      const state = createSessionState({ name, cwd, tags: ['review', 'urgent'] });
      state.sessionChain = [CLAUDE_1, CLAUDE_2];
      state.currentSessionId = CLAUDE_2;
      state.usage.totalCostUsd = 0.0421;
      await storage.save(state, name);
      await storage.appendTranscript(name, CLAUDE_1, [E('c1')], 0);
      await storage.appendTranscript(name, CLAUDE_2, [E('c1'), E('c2')], 0);
    }

    it('lists them under their projectKey and loads each Claude session id, led by name, tags and cost', async () => {
      const { storage, store } = fresh();
      expect(projectFolderName(CWD)).toBe(KEY.projectKey);
      await channelcoderSession(storage, 'shop-review', CWD);
      await channelcoderSession(storage, 'elsewhere', '/srv/other');
      await store.append(KEY, [E('sdk')]);

      const listed = await store.listSessions(KEY.projectKey);
      expect(listed.map((s) => s.sessionId).sort()).toEqual([CLAUDE_2, KEY.sessionId].sort());
      expect(await store.listSessions(projectFolderName('/srv/other'))).toEqual([
        expect.objectContaining({ sessionId: CLAUDE_2 }),
      ]);
      const title = { type: 'custom-title', customTitle: 'shop-review', sessionId: CLAUDE_2 };
      const tag = { type: 'tag', tag: 'review, urgent · $0.0421', sessionId: CLAUDE_2 };
      expect(await store.load({ projectKey: KEY.projectKey, sessionId: CLAUDE_2 })).toEqual([
        title,
        E('c1'),
        E('c2'),
        tag,
      ]);
      expect(await store.load({ projectKey: KEY.projectKey, sessionId: CLAUDE_1 })).toHaveLength(3);
      expect(await store.listSubkeys({ projectKey: KEY.projectKey, sessionId: CLAUDE_2 })).toEqual([]);

      // renameSession from a bridge that has not read it yet still finds it (a rename looks afresh).
      const renamer = toAgentSessionStore(storage);
      await renamer.append({ projectKey: KEY.projectKey, sessionId: CLAUDE_1 }, [
        { type: 'custom-title', customTitle: 'first', sessionId: CLAUDE_1 },
      ]);
      expect((await storage.loadTranscript('shop-review', CLAUDE_1))?.at(-1)).toMatchObject({
        customTitle: 'first',
      });
      // An SDK rename appends to that transcript (and comes after our title, so it wins); the head is kept.
      const rename = { type: 'custom-title', customTitle: 'renamed', sessionId: CLAUDE_2 };
      await store.append({ projectKey: KEY.projectKey, sessionId: CLAUDE_2 }, [rename]);
      expect((await store.load({ projectKey: KEY.projectKey, sessionId: CLAUDE_2 }))?.at(-2)).toEqual(rename);
      // A tag the SDK set replaces ours.
      const own = { type: 'tag', tag: 'mine', sessionId: CLAUDE_2 };
      await store.append({ projectKey: KEY.projectKey, sessionId: CLAUDE_2 }, [own]);
      expect((await store.load({ projectKey: KEY.projectKey, sessionId: CLAUDE_2 }))?.at(-1)).toEqual(own);
      expect(await storage.loadTranscript('shop-review', CLAUDE_2)).toEqual([E('c1'), E('c2'), rename, own]);
      expect((await storage.load('shop-review')).sessionChain).toEqual([CLAUDE_1, CLAUDE_2]);
      expect(await storage.exists(`sdk-${KEY.projectKey}.${CLAUDE_2}`)).toBe(false);

      // A later turn made by channelcoder is seen by the same bridge (the changed entry is read again).
      const state = await storage.load('shop-review');
      state.sessionChain.push('0b8f2a4c-3333-4e2a-9b6c-8d7e6f5a4b3c');
      state.currentSessionId = '0b8f2a4c-3333-4e2a-9b6c-8d7e6f5a4b3c';
      await storage.save(state, 'shop-review');
      expect((await store.listSessions(KEY.projectKey)).map((s) => s.sessionId)).toContain(
        '0b8f2a4c-3333-4e2a-9b6c-8d7e6f5a4b3c',
      );
    });

    it('with a per-project index, reads only the project’s sessions; without one, every session', async () => {
      for (const indexed of [true, false]) {
        const storage = new MemorySessionStorage();
        await channelcoderSession(storage, 'shop-review', CWD);
        for (let i = 0; i < 5; i++) await channelcoderSession(storage, `other-${i}`, `/srv/other-${i}`);
        const calls: Array<Record<string, unknown>> = [];
        const loads: string[] = [];
        const spied = Object.assign(Object.create(storage) as MemorySessionStorage, {
          listFilters: indexed ? storage.listFilters : undefined,
          list: (options?: Record<string, unknown>) => {
            calls.push({ ...options });
            return storage.list(options);
          },
          load: (name: string) => {
            loads.push(name);
            return storage.load(name);
          },
        });
        const store = toAgentSessionStore(spied);
        const listed = await store.listSessions(KEY.projectKey);
        expect(listed.map((s) => s.sessionId)).toEqual([CLAUDE_2]);
        const unfiltered = calls.filter((c) => c.projectKey === undefined && c.prefix === undefined);
        if (indexed) {
          expect(calls).toContainEqual({ projectKey: KEY.projectKey });
          expect(unfiltered).toEqual([]);
          expect(loads).toEqual(['shop-review']);
        } else {
          expect(unfiltered.length).toBeGreaterThan(0);
          expect(loads.sort()).toEqual([
            'other-0',
            'other-1',
            'other-2',
            'other-3',
            'other-4',
            'shop-review',
          ]);
        }
        // A session that moves to another cwd leaves the project's listing.
        const moved = await storage.load('shop-review');
        moved.metadata.cwd = '/srv/elsewhere';
        moved.metadata.lastActive = new Date(moved.metadata.lastActive.getTime() + 1000);
        await storage.save(moved, 'shop-review');
        expect(await store.listSessions(KEY.projectKey)).toEqual([]);
      }
    });

    it('a project listed with only the bridge’s sessions loads none, and still sees one made later', async () => {
      const storage = new MemorySessionStorage();
      const loads: string[] = [];
      const spied = Object.assign(Object.create(storage) as MemorySessionStorage, {
        load: (name: string) => {
          loads.push(name);
          return storage.load(name);
        },
      });
      const store = toAgentSessionStore(spied);
      await store.append(KEY, [E('a1')]);
      for (let i = 0; i < 3; i++)
        expect((await store.listSessions(KEY.projectKey)).map((s) => s.sessionId)).toEqual([KEY.sessionId]);
      loads.length = 0;
      await store.listSessions(KEY.projectKey);
      expect(loads).toEqual([]);
      await channelcoderSession(storage, 'shop-review', CWD);
      expect((await store.listSessions(KEY.projectKey)).map((s) => s.sessionId).sort()).toEqual(
        [KEY.sessionId, CLAUDE_2].sort(),
      );
      await storage.remove('shop-review');
      expect((await store.listSessions(KEY.projectKey)).map((s) => s.sessionId)).toEqual([KEY.sessionId]);
    });

    it('channelcoderSessions: false shows only the sessions the bridge stored', async () => {
      const storage = new MemorySessionStorage();
      await channelcoderSession(storage, 'shop-review', CWD);
      const store = toAgentSessionStore(storage, { channelcoderSessions: false });
      expect(await store.listSessions(KEY.projectKey)).toEqual([]);
      expect(await store.load({ projectKey: KEY.projectKey, sessionId: CLAUDE_2 })).toBeNull();
      expect(() =>
        toAgentSessionStore(storage, { channelcoderSessions: 'no' as unknown as boolean }),
      ).toThrow(/channelcoderSessions must be true or false/);
    });
  });

  describe('listSessions on a storage with a per-project index', () => {
    /** A memory storage whose list() calls are recorded. */
    function spied(indexed = true) {
      const storage = new MemorySessionStorage();
      const calls: Array<Record<string, unknown>> = [];
      const spy = Object.assign(Object.create(storage) as MemorySessionStorage, {
        listFilters: indexed ? storage.listFilters : undefined,
        list: (options?: Record<string, unknown>) => {
          calls.push({ ...options });
          return storage.list(options);
        },
      });
      return { storage, spy, calls };
    }
    const legacyName = (key: { projectKey: string; sessionId: string }) => {
      const h = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 20);
      return `sdk-${h(key.projectKey)}-${h(key.sessionId)}`;
    };

    it('files its sessions under metadata.projectKey; after the first call, one listing per call', async () => {
      for (const channelcoderSessions of [true, false]) {
        const { storage, spy, calls } = spied();
        const store = toAgentSessionStore(spy, { channelcoderSessions });
        await store.append(KEY, [E('1')]);
        await store.append({ ...KEY, sessionId: 's2' }, [E('2')]);
        await store.append({ ...KEY, sessionId: 'sub-only', subpath: 'subagents/agent-1' }, [E('3')]);
        await store.append({ projectKey: 'elsewhere', sessionId: 's4' }, [E('4')]);
        const cc = createSessionState({ name: 'made-here', cwd: '/home/user/app' });
        cc.sessionChain = ['cc-1'];
        cc.currentSessionId = 'cc-1';
        await storage.save(cc, 'made-here');
        expect((await storage.load(`sdk-${KEY.projectKey}.s2`)).metadata.projectKey).toBe(KEY.projectKey);
        const expected = [KEY.sessionId, 's2', ...(channelcoderSessions ? ['cc-1'] : [])].sort();

        calls.length = 0;
        const first = await store.listSessions(KEY.projectKey);
        expect(first.map((s) => s.sessionId).sort()).toEqual(expected);
        expect(calls).toContainEqual({ projectKey: KEY.projectKey });
        expect(calls).toContainEqual({ prefix: `sdk-${KEY.projectKey}.` });
        for (let round = 0; round < 2; round++) {
          calls.length = 0;
          const again = await store.listSessions(KEY.projectKey);
          expect(again.map((s) => s.sessionId).sort()).toEqual(expected);
          expect(calls).toEqual([{ projectKey: KEY.projectKey }]);
        }
        // A subagent-only session stays unlisted when a main transcript comes: then it is listed.
        await store.append({ ...KEY, sessionId: 'sub-only' }, [E('5')]);
        calls.length = 0;
        expect((await store.listSessions(KEY.projectKey)).map((s) => s.sessionId).sort()).toEqual(
          [...expected, 'sub-only'].sort(),
        );
        expect(calls).toEqual([{ projectKey: KEY.projectKey }]);
        expect((await store.listSessions('elsewhere')).map((s) => s.sessionId)).toEqual(['s4']);
      }
    });

    it('still lists sessions stored by earlier versions (no metadata.projectKey, readable or opaque name)', async () => {
      const { storage, spy, calls } = spied();
      // An earlier version's sessions: one under the readable name, one under the opaque name.
      await toAgentSessionStore(storage).append(KEY, [E('1')]);
      const readable = `sdk-${KEY.projectKey}.${KEY.sessionId}`;
      const old = await storage.load(readable);
      delete old.metadata.projectKey;
      await storage.save(old, readable);
      const opaqueKey = { ...KEY, sessionId: 'opaque-1' };
      const opaque = createSessionState({ name: legacyName(opaqueKey), tags: ['agent-sdk'] });
      opaque.sessionChain = ['main'];
      opaque.currentSessionId = opaqueKey.sessionId;
      await storage.save(opaque, legacyName(opaqueKey));
      await storage.appendTranscript(legacyName(opaqueKey), 'main', [E('o1')], 0);
      // And an earlier version's subagent-only session: never listed.
      const sub = createSessionState({ name: 'sub', tags: ['agent-sdk'] });
      sub.sessionChain = ['sub.YQ'];
      await storage.save(sub, `sdk-${KEY.projectKey}.sub-only`);
      expect(await storage.list({ projectKey: KEY.projectKey })).toEqual([]);

      const store = toAgentSessionStore(spy);
      const ids = async () => (await store.listSessions(KEY.projectKey)).map((s) => s.sessionId).sort();
      const both = [KEY.sessionId, 'opaque-1'].sort();
      for (let round = 0; round < 2; round++) {
        calls.length = 0;
        expect(await ids()).toEqual(both);
        // Not all of the project's sessions are in its index: the name-prefix listings keep running.
        expect(calls).toHaveLength(3);
        expect(calls).toContainEqual({ prefix: legacyName(opaqueKey).slice(0, -20) });
      }
      // A save through the bridge fills the field: once every session is indexed, one listing per call.
      await store.append(KEY, [E('2')]);
      await store.append(opaqueKey, [E('o2')]);
      await store.append({ ...KEY, sessionId: 'sub-only', subpath: 'subagents/a' }, [E('s1')]);
      expect((await storage.load(readable)).metadata.projectKey).toBe(KEY.projectKey);
      expect((await storage.load(legacyName(opaqueKey))).metadata.projectKey).toBe(KEY.projectKey);
      expect(await ids()).toEqual(both);
      calls.length = 0;
      expect(await ids()).toEqual(both);
      expect(calls).toEqual([{ projectKey: KEY.projectKey }]);
      expect(await store.load(opaqueKey)).toEqual([E('o1'), E('o2')]);
    });

    it('a storage without the index keeps the name-prefix listings on every call', async () => {
      const { spy, calls } = spied(false);
      const store = toAgentSessionStore(spy, { channelcoderSessions: false });
      await store.append(KEY, [E('1')]);
      for (let round = 0; round < 2; round++) {
        calls.length = 0;
        expect((await store.listSessions(KEY.projectKey)).map((s) => s.sessionId)).toEqual([KEY.sessionId]);
        expect(calls).toHaveLength(2);
        expect(calls.every((c) => c.projectKey === undefined && typeof c.prefix === 'string')).toBe(true);
      }
    });
  });

  it('a fork written by the SDK (entries with forkedFrom) gets metadata.parent at the message', async () => {
    const { storage, store } = fresh();
    await store.append(KEY, [E('1'), E('2'), E('3')]);
    const FORK = { projectKey: KEY.projectKey, sessionId: '9f9f9f9f-0000-4000-8000-000000000001' };
    const copied = ['1', '2'].map((id) => ({
      ...E(`f${id}`),
      forkedFrom: { sessionId: KEY.sessionId, messageUuid: id },
    }));
    await store.append(FORK, copied);
    const fork = await storage.load(`sdk-${FORK.projectKey}.${FORK.sessionId}`);
    expect(fork.metadata.parent).toEqual({
      name: `sdk-${KEY.projectKey}.${KEY.sessionId}`,
      sessionId: KEY.sessionId,
      messageCount: 2,
      messageUuid: '2',
    });
    // The parent survives the wire format (messageUuid included).
    const back = deserializeState(JSON.parse(serializeState(fork)), {
      name: 'fork',
      location: 'test',
    });
    expect(back.metadata.parent).toEqual(fork.metadata.parent);
  });

  it('a resume at a message that forks (copies with the same uuids, after settings lines) gets metadata.parent', async () => {
    const { storage, store } = fresh();
    await store.append(KEY, [E('1'), E('2'), E('3')]);
    const resumer = toAgentSessionStore(storage);
    await resumer.load(KEY); // the SDK loads the source before the CLI resumes it
    const BRANCH = { projectKey: KEY.projectKey, sessionId: '9f9f9f9f-0000-4000-8000-000000000002' };
    await resumer.append(BRANCH, [{ type: 'mode', mode: 'default' }]);
    await resumer.append(BRANCH, [E('1'), E('2'), E('new')]);
    await resumer.append(BRANCH, [E('newer')]);
    expect((await storage.load(`sdk-${BRANCH.projectKey}.${BRANCH.sessionId}`)).metadata.parent).toEqual({
      name: `sdk-${KEY.projectKey}.${KEY.sessionId}`,
      sessionId: KEY.sessionId,
      messageCount: 2,
      messageUuid: '2',
    });
    // A plain new session (nothing copied) and a plain resume (same sessionId) have no parent.
    const OTHER = { projectKey: KEY.projectKey, sessionId: '9f9f9f9f-0000-4000-8000-000000000003' };
    await resumer.append(OTHER, [E('x')]);
    await resumer.append(KEY, [E('4')]);
    expect(
      (await storage.load(`sdk-${OTHER.projectKey}.${OTHER.sessionId}`)).metadata.parent,
    ).toBeUndefined();
    expect((await storage.load(`sdk-${KEY.projectKey}.${KEY.sessionId}`)).metadata.parent).toBeUndefined();
  });

  it('subpath delete uses deleteTranscript when the storage has it: the lines are gone', async () => {
    const { storage, store } = fresh();
    await store.append(KEY, [E('m')]);
    await store.append({ ...KEY, subpath: 'subagents/a' }, [E('s')]);
    const name = `sdk-${KEY.projectKey}.${KEY.sessionId}`;
    const ids = (await storage.load(name)).sessionChain.filter((id) => id !== 'main');
    expect(ids).toHaveLength(1);
    const calls: string[] = [];
    const original = storage.deleteTranscript.bind(storage);
    storage.deleteTranscript = async (n, id, o) => {
      calls.push(id);
      return original(n, id, o);
    };
    await store.delete?.({ ...KEY, subpath: 'subagents/a' });
    expect(calls).toEqual(ids);
    expect(await storage.loadTranscript(name, ids[0] ?? '')).toBeNull();
    expect(await store.load(KEY)).toEqual([E('m')]);
  });
});
