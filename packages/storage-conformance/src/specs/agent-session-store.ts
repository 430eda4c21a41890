/**
 * The Claude Agent SDK's `SessionStore` contract, checked through `toAgentSessionStore(storage)`: the
 * contracts the SDK documents for `append`, `load`, `listSessions`, `listSubkeys` and `delete`, and what
 * ChannelCoder adds (mtime moves on main-transcript appends only, subagent-only sessions are not listed,
 * entries de-duplicated by `uuid`, subpaths of any length, concurrent writers lose nothing).
 */
import { createHash } from 'node:crypto';
import {
  type AgentSessionEntry,
  type AgentSessionKey,
  type AgentSessionStore,
  agentSessionName,
  MTIME_RESOLUTION_MS,
  type SessionStorage,
  storageCapabilities,
  toAgentSessionStore,
} from '@channelcoder/session-core';
import { makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it, type TestContext } from '../spec-api.js';

const KEY: AgentSessionKey = {
  projectKey: '-home-dev-shop-api',
  sessionId: '2b7e4f1c-8d3a-4c5e-9f60-71a2b3c4d5e6',
};
const SUB = 'subagents/agent-a1b2c3';

let serial = 0;
/** An entry shaped like the CLI's transcript lines, with a fresh uuid. */
function entry(text: string, extra: Record<string, unknown> = {}): AgentSessionEntry {
  serial += 1;
  return {
    type: serial % 2 === 0 ? 'assistant' : 'user',
    uuid: `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, serial)).toISOString(),
    message: { role: 'user', content: [{ type: 'text', text: `${text} — ü 🚀 \u2028` }] },
    nested: { n: serial, none: null, list: [1, 'two', { three: true }] },
    ...extra,
  };
}
const entries = (count: number, label: string) =>
  Array.from({ length: count }, (_, i) => entry(`${label} ${i}`));

export function agentSessionStoreSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  async function open(t: TestContext): Promise<{ storage: S; store: AgentSessionStore }> {
    const storage = await ctx.fresh();
    if (!storageCapabilities(storage).transcripts) t.skip('the storage has no transcript capability');
    return { storage, store: toAgentSessionStore(storage) };
  }
  function deleteOf(t: TestContext, store: AgentSessionStore): NonNullable<AgentSessionStore['delete']> {
    if (store.delete === undefined)
      t.skip('the storage has no remove capability, so the store has no delete');
    return store.delete!.bind(store);
  }

  // The SDK's contracts.

  it('1. load returns the appended entries, deep-equal, in order', async (t) => {
    const { store } = await open(t);
    const batch = entries(5, 'first');
    await store.append(KEY, batch);
    expect(await store.load(KEY)).toEqual(batch);
  });

  it('2. load of a key never appended to is null', async (t) => {
    const { store } = await open(t);
    expect(await store.load(KEY)).toBeNull();
    expect(await store.load({ ...KEY, subpath: SUB })).toBeNull();
  });

  it('3. successive appends are concatenated in call order', async (t) => {
    const { store } = await open(t);
    const [a, b, c] = [entries(2, 'a'), entries(1, 'b'), entries(3, 'c')];
    await store.append(KEY, a);
    await store.append(KEY, b);
    await store.append(KEY, c);
    expect(await store.load(KEY)).toEqual([...a, ...b, ...c]);
  });

  it('4. an empty append stores nothing', async (t) => {
    const { store } = await open(t);
    await store.append(KEY, []);
    expect(await store.load(KEY)).toBeNull();
    expect(await store.listSessions(KEY.projectKey)).toEqual([]);
  });

  it('5. a subpath is a transcript of its own, apart from the main one and from other subpaths', async (t) => {
    const { store } = await open(t);
    const [main, sub, other] = [entries(2, 'main'), entries(2, 'sub'), entries(1, 'other')];
    await store.append(KEY, main);
    await store.append({ ...KEY, subpath: SUB }, sub);
    await store.append({ ...KEY, subpath: 'subagents/agent-zz' }, other);
    expect(await store.load(KEY)).toEqual(main);
    expect(await store.load({ ...KEY, subpath: SUB })).toEqual(sub);
    expect(await store.load({ ...KEY, subpath: 'subagents/agent-zz' })).toEqual(other);
  });

  it('6. keys of other sessions and other projects are isolated', async (t) => {
    const { store } = await open(t);
    const other = { ...KEY, sessionId: '9a8b7c6d-0000-4000-8000-000000000000' };
    const otherProject = { ...KEY, projectKey: '-home-dev-other' };
    const [a, b, c] = [entries(1, 'a'), entries(1, 'b'), entries(1, 'c')];
    await store.append(KEY, a);
    await store.append(other, b);
    await store.append(otherProject, c);
    expect(await store.load(KEY)).toEqual(a);
    expect(await store.load(other)).toEqual(b);
    expect(await store.load(otherProject)).toEqual(c);
  });

  it('7. listSessions lists the project’s sessions with mtime in epoch milliseconds', async (t) => {
    const { store } = await open(t);
    const before = Date.now();
    await store.append(KEY, entries(1, 'x'));
    await store.append({ ...KEY, sessionId: 'second' }, entries(1, 'y'));
    await store.append({ ...KEY, projectKey: '-elsewhere' }, entries(1, 'z'));
    const listed = await store.listSessions(KEY.projectKey);
    expect(listed.map((s) => s.sessionId).sort()).toEqual([KEY.sessionId, 'second'].sort());
    for (const { mtime } of listed) {
      expect(Number.isInteger(mtime)).toBe(true);
      expect(mtime).toBeGreaterThanOrEqual(before - 1000);
      expect(mtime).toBeLessThanOrEqual(Date.now() + 1000);
    }
  });

  it('8. listSessions lists a session once, never its subagent subpaths', async (t) => {
    const { store } = await open(t);
    await store.append(KEY, entries(1, 'main'));
    await store.append({ ...KEY, subpath: SUB }, entries(1, 'sub'));
    await store.append({ ...KEY, subpath: 'subagents/agent-2' }, entries(1, 'sub2'));
    expect((await store.listSessions(KEY.projectKey)).map((s) => s.sessionId)).toEqual([KEY.sessionId]);
  });

  it('9. listSessions of a project with nothing stored is empty', async (t) => {
    const { store } = await open(t);
    await store.append(KEY, entries(1, 'x'));
    expect(await store.listSessions('-no-such-project')).toEqual([]);
  });

  it('10. listSubkeys lists the session’s subpaths (not the main transcript); empty when there are none', async (t) => {
    const { store } = await open(t);
    expect(await store.listSubkeys(KEY)).toEqual([]);
    await store.append(KEY, entries(1, 'main'));
    expect(await store.listSubkeys(KEY)).toEqual([]);
    await store.append({ ...KEY, subpath: 'subagents/agent-b' }, entries(1, 'b'));
    await store.append({ ...KEY, subpath: 'subagents/agent-a' }, entries(1, 'a'));
    expect([...(await store.listSubkeys(KEY))].sort()).toEqual(['subagents/agent-a', 'subagents/agent-b']);
    expect(await store.listSubkeys({ ...KEY, sessionId: 'other' })).toEqual([]);
  });

  it('11. delete without a subpath removes the main transcript and every subpath', async (t) => {
    const { store } = await open(t);
    const del = deleteOf(t, store);
    const kept = entries(1, 'kept');
    await store.append(KEY, entries(2, 'main'));
    await store.append({ ...KEY, subpath: SUB }, entries(1, 'sub'));
    await store.append({ ...KEY, sessionId: 'kept' }, kept);
    await del(KEY);
    expect(await store.load(KEY)).toBeNull();
    expect(await store.load({ ...KEY, subpath: SUB })).toBeNull();
    expect(await store.listSubkeys(KEY)).toEqual([]);
    expect((await store.listSessions(KEY.projectKey)).map((s) => s.sessionId)).toEqual(['kept']);
    expect(await store.load({ ...KEY, sessionId: 'kept' })).toEqual(kept);
  });

  it('12. delete with a subpath removes only that subpath', async (t) => {
    const { store } = await open(t);
    const del = deleteOf(t, store);
    const [main, other] = [entries(2, 'main'), entries(1, 'other')];
    await store.append(KEY, main);
    await store.append({ ...KEY, subpath: SUB }, entries(1, 'sub'));
    await store.append({ ...KEY, subpath: 'subagents/agent-keep' }, other);
    await del({ ...KEY, subpath: SUB });
    expect(await store.load({ ...KEY, subpath: SUB })).toBeNull();
    expect(await store.load(KEY)).toEqual(main);
    expect(await store.load({ ...KEY, subpath: 'subagents/agent-keep' })).toEqual(other);
    expect(await store.listSubkeys(KEY)).toEqual(['subagents/agent-keep']);
  });

  it('deleting a subpath is one head write that leaves the main transcript in place; appended again, it starts empty', async (t) => {
    const { storage, store } = await open(t);
    const del = deleteOf(t, store);
    const main = entries(3, 'main');
    await store.append(KEY, main);
    await store.append({ ...KEY, subpath: SUB }, entries(2, 'sub'));
    const name = agentSessionName(KEY);
    const before = (await storage.load(name)).revision;
    await del({ ...KEY, subpath: SUB });
    // Not removed and stored again: the session kept its revision history (one save more).
    expect((await storage.load(name)).revision).toBe(before + 1);
    expect(await store.load(KEY)).toEqual(main);
    expect(await toAgentSessionStore(storage).load({ ...KEY, subpath: SUB })).toBeNull();
    const again = entries(1, 'again');
    await toAgentSessionStore(storage).append({ ...KEY, subpath: SUB }, again);
    expect(await store.load({ ...KEY, subpath: SUB })).toEqual(again);
    expect(await store.listSubkeys(KEY)).toEqual([SUB]);
  });

  it('with deleteTranscript, a deleted subpath’s lines are gone from the storage, the main transcript kept', async (t) => {
    const { storage, store } = await open(t);
    if (!storageCapabilities(storage).deleteTranscript) t.skip('the storage has no deleteTranscript');
    const del = deleteOf(t, store);
    const main = entries(2, 'main');
    await store.append(KEY, main);
    await store.append({ ...KEY, subpath: SUB }, entries(3, 'sub'));
    const name = agentSessionName(KEY);
    const ids = (await storage.load(name)).sessionChain.filter((id) => id !== 'main');
    expect(ids).toHaveLength(1);
    expect(await storage.loadTranscript!(name, ids[0]!)).toHaveLength(3);
    await del({ ...KEY, subpath: SUB });
    expect(await storage.loadTranscript!(name, ids[0]!)).toBeNull();
    expect(await storage.loadTranscript!(name, 'main')).toEqual(main);
    expect(await toAgentSessionStore(storage).load(KEY)).toEqual(main);
  });

  it('sees a session made by channelcoder: listed under its cwd’s projectKey, loaded with its name, tags and cost', async (t) => {
    const { storage } = await open(t);
    const claudeId = '6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const state = makeState({ name: 'shop-review', messages: 2, claudeId });
    state.metadata.cwd = '/home/dev/shop-api'; // the CLI's folder name of it is KEY.projectKey
    state.metadata.tags = ['review'];
    await storage.save(state, 'shop-review');
    const lines = entries(2, 'made by channelcoder');
    await storage.appendTranscript!('shop-review', claudeId, lines, 0);

    const store = toAgentSessionStore(storage);
    expect((await store.listSessions(KEY.projectKey)).map((s) => s.sessionId)).toEqual([claudeId]);
    expect(await store.load({ projectKey: KEY.projectKey, sessionId: claudeId })).toEqual([
      { type: 'custom-title', customTitle: 'shop-review', sessionId: claudeId },
      ...lines,
      { type: 'tag', tag: `review · $${state.usage.totalCostUsd.toFixed(4)}`, sessionId: claudeId },
    ]);
    expect(await store.listSessions('-home-dev-other')).toEqual([]);
    const off = toAgentSessionStore(storage, { channelcoderSessions: false });
    expect(await off.listSessions(KEY.projectKey)).toEqual([]);
    expect(await off.load({ projectKey: KEY.projectKey, sessionId: claudeId })).toBeNull();
  });

  it('13. delete of a key that holds nothing resolves and changes nothing', async (t) => {
    const { store } = await open(t);
    const del = deleteOf(t, store);
    const main = entries(1, 'main');
    await store.append(KEY, main);
    await del({ ...KEY, sessionId: 'never-written' });
    await del({ ...KEY, subpath: 'subagents/never' });
    expect(await store.load(KEY)).toEqual(main);
  });

  // What ChannelCoder adds.

  it(`mtime moves on main-transcript appends only (to ${MTIME_RESOLUTION_MS} ms)`, async (t) => {
    const { store } = await open(t);
    const mtime = async () => (await store.listSessions(KEY.projectKey))[0]?.mtime;
    await store.append(KEY, entries(1, 'main'));
    const first = await mtime();
    await pause(MTIME_RESOLUTION_MS + 20);
    await store.append({ ...KEY, subpath: SUB }, entries(2, 'sub'));
    expect(await mtime()).toBe(first);
    await pause(MTIME_RESOLUTION_MS + 20);
    await store.append(KEY, entries(1, 'main again'));
    expect(await mtime()).toBeGreaterThan(first ?? Number.POSITIVE_INFINITY);
  });

  it('a session with only subagent transcripts is not listed until its main transcript exists', async (t) => {
    const { store } = await open(t);
    await store.append({ ...KEY, subpath: SUB }, entries(2, 'sub'));
    expect(await store.listSessions(KEY.projectKey)).toEqual([]);
    expect(await store.listSubkeys(KEY)).toEqual([SUB]);
    await store.append(KEY, entries(1, 'main'));
    expect((await store.listSessions(KEY.projectKey)).map((s) => s.sessionId)).toEqual([KEY.sessionId]);
  });

  it('de-duplicates by uuid: a retried batch, a second import and repeats within a batch are stored once', async (t) => {
    const { storage, store } = await open(t);
    const batch = entries(4, 'batch');
    await store.append(KEY, batch);
    await store.append(KEY, batch); // the SDK retries a batch whose first attempt may have landed
    const more = entries(2, 'more');
    await store.append(KEY, [batch[3]!, ...more, more[0]!]);
    // Importing the whole transcript again, through another bridge (as importSessionToStore would).
    await toAgentSessionStore(storage).append(KEY, [...batch, ...more]);
    expect(await store.load(KEY)).toEqual([...batch, ...more]);
  });

  it('appends entries that carry no uuid every time (only the uuid identifies an entry)', async (t) => {
    const { store } = await open(t);
    const plain = { type: 'summary', summary: 'no uuid here' };
    await store.append(KEY, [plain]);
    await store.append(KEY, [plain]);
    expect(await store.load(KEY)).toEqual([plain, plain]);
  });

  it('takes subpaths of any characters and length (1,000 bytes), each kept apart', async (t) => {
    const { store } = await open(t);
    const long = `subagents/${'ä'.repeat(495)}`;
    const odd = 'subagents/a b?c#d/../e';
    const [a, b, c] = [entries(1, 'long'), entries(1, 'long2'), entries(1, 'odd')];
    await store.append({ ...KEY, subpath: long }, a);
    await store.append({ ...KEY, subpath: `${long}-2` }, b);
    await store.append({ ...KEY, subpath: odd }, c);
    expect(await store.load({ ...KEY, subpath: long })).toEqual(a);
    expect(await store.load({ ...KEY, subpath: `${long}-2` })).toEqual(b);
    expect(await store.load({ ...KEY, subpath: odd })).toEqual(c);
    expect([...(await store.listSubkeys(KEY))].sort()).toEqual([long, `${long}-2`, odd].sort());
  });

  // Readable names: an operator finds an SDK session by its projectKey and sessionId.

  it('stores a session under <prefix><projectKey>.<sessionId>, found by load() and list()', async (t) => {
    const { storage, store } = await open(t);
    const main = entries(2, 'main');
    await store.append(KEY, main);
    await store.append({ ...KEY, subpath: SUB }, entries(1, 'sub'));
    const name = `sdk-${KEY.projectKey}.${KEY.sessionId}`;
    expect(agentSessionName(KEY)).toBe(name);
    const state = await storage.load(name);
    expect(state.currentSessionId).toBe(KEY.sessionId);
    expect((await storage.list()).map((info) => info.name)).toEqual([name]);
    expect(await storage.loadTranscript?.(name, 'main')).toEqual(main);
  });

  it('keys outside [A-Za-z0-9-] or long get a readable slug and a hash: distinct keys never share a session', async (t) => {
    const { storage, store } = await open(t);
    // Keys whose slugs coincide, one that is verbatim, and ones longer than a name allows.
    const projects = [
      '/srv/app',
      '-srv-app',
      '_srv_app',
      '.srv.app',
      `-${'deep-'.repeat(60)}`,
      `-${'deep-'.repeat(60)}x`,
    ];
    const sessions = ['s/1', 's-1', 's_1', 'ß 1', `s-${'1'.repeat(300)}`];
    const written = new Map<string, AgentSessionEntry[]>();
    for (const projectKey of projects) {
      for (const sessionId of sessions) {
        const batch = entries(1, `${projectKey} ${sessionId}`);
        await store.append({ projectKey, sessionId }, batch);
        written.set(agentSessionName({ projectKey, sessionId }), batch);
      }
    }
    expect(written.size).toBe(projects.length * sessions.length);
    for (const projectKey of projects) {
      for (const sessionId of sessions) {
        const name = agentSessionName({ projectKey, sessionId });
        expect(name.length).toBeLessThanOrEqual(128);
        expect(await store.load({ projectKey, sessionId })).toEqual(written.get(name));
        expect((await storage.load(name)).currentSessionId).toBe(sessionId);
      }
      const listed = (await store.listSessions(projectKey)).map((s) => s.sessionId).sort();
      expect(listed).toEqual([...sessions].sort());
    }
    // A readable slug of each key stays in the name.
    expect(agentSessionName({ projectKey: '/srv/app', sessionId: 's/1' })).toMatch(
      /^sdk--srv-app_[0-9a-f]{32}\.s-1_[0-9a-f]{32}$/,
    );
  });

  it('still finds sessions stored under the earlier opaque names (sdk-<sha256 20>-<sha256 20>)', async (t) => {
    const { storage } = await open(t);
    const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 20);
    const legacy = `sdk-${digest(KEY.projectKey)}-${digest(KEY.sessionId)}`;
    // What an earlier bridge stored: the head (main transcript listed, currentSessionId set), then the lines.
    const state = makeState({ messages: 0 });
    state.metadata.name = legacy;
    state.sessionChain = ['main'];
    state.currentSessionId = KEY.sessionId;
    await storage.save(state, legacy);
    const old = entries(2, 'old');
    await storage.appendTranscript!(legacy, 'main', old, 0);

    const store = toAgentSessionStore(storage);
    expect(await store.load(KEY)).toEqual(old);
    expect((await store.listSessions(KEY.projectKey)).map((s) => s.sessionId)).toEqual([KEY.sessionId]);
    const more = entries(1, 'new');
    await store.append(KEY, more);
    expect(await toAgentSessionStore(storage).load(KEY)).toEqual([...old, ...more]);
    // Appends went on under the old name: no second session appeared for the same key.
    expect((await storage.list()).map((info) => info.name)).toEqual([legacy]);
  });

  const writers = ctx.options.agentWriters ?? 4;
  const perWriter = ctx.options.agentEntriesPerWriter ?? 60;
  // Racing writers retry against each other: slow backends need more than the usual per-test time.
  const raceTimeout = Math.max(ctx.options.timeoutMs ?? 60_000, 300_000);
  it(
    `loses nothing to concurrent writers: ${writers} bridges on separate storage objects × ${perWriter} entries each`,
    async (t) => {
      if (ctx.options.skipAgentConcurrency !== undefined) t.skip(ctx.options.skipAgentConcurrency);
      const { storage } = await open(t);
      const storages: SessionStorage[] = [storage];
      for (let w = 1; w < writers; w++) storages.push((await ctx.options.sibling?.(storage)) ?? storage);
      const batches = storages.map((s, w) => ({
        store: toAgentSessionStore(s),
        entries: entries(perWriter, `writer ${w}`),
      }));
      await Promise.all(
        batches.map(async ({ store, entries: mine }) => {
          for (const e of mine) await store.append(KEY, [e]);
        }),
      );
      const stored = (await batches[0]!.store.load(KEY)) ?? [];
      const uuids = stored.map((e) => e.uuid as string);
      expect(stored).toHaveLength(writers * perWriter);
      expect(new Set(uuids).size).toBe(writers * perWriter);
      for (const { entries: mine } of batches) {
        const positions = mine.map((e) => uuids.indexOf(e.uuid as string));
        expect(positions.every((p) => p >= 0)).toBe(true);
        expect([...positions].sort((x, y) => x - y)).toEqual(positions);
      }
    },
    { timeoutMs: raceTimeout },
  );
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
