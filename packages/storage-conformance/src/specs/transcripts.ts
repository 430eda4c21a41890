import {
  ChannelCoderError,
  InvalidSessionNameError,
  SessionNotFoundError,
  type SessionStorage,
  storageCapabilities,
} from '@channelcoder/session-core';
import { makeState } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it, type TestContext } from '../spec-api.js';

type TranscriptStorage = SessionStorage &
  Required<Pick<SessionStorage, 'appendTranscript' | 'loadTranscript'>>;

/** Transcript lines shaped like the CLI's JSONL entries. */
function lines(from: number, count: number, claudeId = 'c1'): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    type: (from + i) % 2 === 0 ? 'user' : 'assistant',
    uuid: `${claudeId}-${from + i}`,
    sessionId: claudeId,
    message: {
      role: (from + i) % 2 === 0 ? 'user' : 'assistant',
      content: [{ type: 'text', text: `line ${from + i} ✓ 🎉 \u2028` }],
    },
    nested: { n: from + i, flag: (from + i) % 3 === 0, none: null, list: [1, 'two', { three: 3 }] },
  }));
}

export function transcriptsSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  async function withCapability(t: TestContext, name = 'conversation'): Promise<TranscriptStorage> {
    const storage = await ctx.fresh();
    if (!storageCapabilities(storage).transcripts) t.skip('the storage has no transcript capability');
    await storage.save(makeState({ messages: 2 }), name);
    return storage as unknown as TranscriptStorage;
  }

  it('loads null for a Claude id with nothing stored', async (t) => {
    const storage = await withCapability(t);
    expect(await storage.loadTranscript('conversation', 'unknown-id')).toBeNull();
  });

  it('returns exactly the appended lines, in order, across incremental appends', async (t) => {
    const storage = await withCapability(t);
    await storage.appendTranscript('conversation', 'c1', lines(0, 3), 0);
    await storage.appendTranscript('conversation', 'c1', lines(3, 2), 3);
    await storage.appendTranscript('conversation', 'c1', lines(5, 4), 5);
    expect(await storage.loadTranscript('conversation', 'c1')).toEqual(lines(0, 9));
  });

  it('treats a re-append of stored lines as a no-op for the overlap (idempotent retries)', async (t) => {
    const storage = await withCapability(t);
    await storage.appendTranscript('conversation', 'c1', lines(0, 4), 0);
    await storage.appendTranscript('conversation', 'c1', lines(0, 4), 0);
    await storage.appendTranscript('conversation', 'c1', lines(2, 4), 2);
    expect(await storage.loadTranscript('conversation', 'c1')).toEqual(lines(0, 6));
  });

  it('rejects an append that would leave a gap, with a typed error, and keeps what is stored', async (t) => {
    const storage = await withCapability(t);
    await storage.appendTranscript('conversation', 'c1', lines(0, 2), 0);
    const err = await storage.appendTranscript('conversation', 'c1', lines(5, 1), 5).catch((e: unknown) => e);
    expect(ChannelCoderError.is(err), String(err)).toBe(true);
    expect(await storage.loadTranscript('conversation', 'c1')).toEqual(lines(0, 2));
  });

  it('keeps the transcripts of two Claude ids of one session apart (a fork), and of two sessions', async (t) => {
    const storage = await withCapability(t);
    await storage.save(makeState(), 'other-session');
    await storage.appendTranscript('conversation', 'parent-id', lines(0, 3, 'parent-id'), 0);
    await storage.appendTranscript('conversation', 'fork-id', lines(0, 5, 'fork-id'), 0);
    await storage.appendTranscript('other-session', 'parent-id', lines(0, 1, 'other'), 0);
    expect(await storage.loadTranscript('conversation', 'parent-id')).toEqual(lines(0, 3, 'parent-id'));
    expect(await storage.loadTranscript('conversation', 'fork-id')).toEqual(lines(0, 5, 'fork-id'));
    expect(await storage.loadTranscript('other-session', 'parent-id')).toEqual(lines(0, 1, 'other'));
  });

  it('removes the transcripts with the session', async (t) => {
    const storage = await withCapability(t);
    if (!storage.remove) t.skip('the storage has no remove capability');
    await storage.appendTranscript('conversation', 'c1', lines(0, 3), 0);
    await storage.remove!('conversation');
    expect(await storage.loadTranscript('conversation', 'c1')).toBeNull();
    await storage.save(makeState(), 'conversation');
    expect(await storage.loadTranscript('conversation', 'c1')).toBeNull();
  });

  it('validates the session name and refuses transcripts for an absent session', async (t) => {
    const storage = await withCapability(t);
    const bad = await storage.appendTranscript('../escape', 'c1', lines(0, 1), 0).catch((e: unknown) => e);
    expect(InvalidSessionNameError.is(bad), String(bad)).toBe(true);
    const badLoad = await storage.loadTranscript('../escape', 'c1').catch((e: unknown) => e);
    expect(InvalidSessionNameError.is(badLoad), String(badLoad)).toBe(true);
    const absent = await storage
      .appendTranscript('never-saved', 'c1', lines(0, 1), 0)
      .catch((e: unknown) => e);
    expect(SessionNotFoundError.is(absent), String(absent)).toBe(true);
    expect(await storage.loadTranscript('never-saved', 'c1')).toBeNull();
  });

  it('keeps the transcript across saves of the session', async (t) => {
    const storage = await withCapability(t);
    await storage.appendTranscript('conversation', 'c1', lines(0, 2), 0);
    const state = await storage.load('conversation');
    state.messages.push(...makeState({ messages: 2 }).messages);
    await storage.save(state, 'conversation');
    expect(await storage.loadTranscript('conversation', 'c1')).toEqual(lines(0, 2));
  });

  it('round-trips awkward lines exactly as JSON (unicode, control characters, nesting, a ~200 KB entry)', async (t) => {
    const storage = await withCapability(t);
    const awkward: Record<string, unknown>[] = [
      {
        type: 'assistant',
        uuid: 'u-1',
        text: 'emoji 🎉👩‍👩‍👧 combining é, CJK 漢字, RTL שלום, \u2028\u2029, \t\r\n "quoted" \\ back',
      },
      // Every control character but NUL (which has a test of its own, below).
      {
        type: 'user',
        uuid: 'u-2',
        control: Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join(''),
      },
      {
        type: 'assistant',
        uuid: 'u-3',
        nested: {
          a: [{ b: [{ c: [{ d: { e: [1.5, -0, 1e21, 2 ** 53 - 1, true, false, null, '', {}] } }] }] }],
        },
      },
      { type: 'assistant', uuid: 'u-4', big: `${'ß∑'.repeat(10)}${'{"k":[1,"x"]},'.repeat(14_000)}` },
      { type: 'user', uuid: 'u-5', text: '' },
      { type: 'user', uuid: 'u-6', keys: { '': 1, ü: 2, __proto__x: 3, 'a.b': 4 } },
    ];
    expect(JSON.stringify(awkward[3]).length).toBeGreaterThan(190_000);
    await storage.appendTranscript('conversation', 'awkward', awkward.slice(0, 2), 0);
    await storage.appendTranscript('conversation', 'awkward', awkward.slice(2, 4), 2);
    await storage.appendTranscript('conversation', 'awkward', awkward.slice(4), 4);
    const loaded = await storage.loadTranscript('conversation', 'awkward');
    expect(loaded).toHaveLength(awkward.length);
    for (let i = 0; i < awkward.length; i++)
      expect(JSON.stringify(loaded![i])).toBe(JSON.stringify(awkward[i]));
  });

  it('round-trips NUL characters ("\\u0000") in a transcript line exactly', async (t) => {
    const storage = await withCapability(t);
    const lines: Record<string, unknown>[] = [
      { type: 'user', uuid: 'n-1', text: 'NUL \u0000 inside, \u0000\u0000 twice, and at the end \u0000' },
      { type: 'user', uuid: 'n-2', toolUseResult: { stdout: 'binary\u0000output\u0001\u0000', stderr: '' } },
    ];
    await storage.appendTranscript('conversation', 'nul', lines, 0);
    const loaded = await storage.loadTranscript('conversation', 'nul');
    expect(loaded).toHaveLength(lines.length);
    for (let i = 0; i < lines.length; i++) expect(JSON.stringify(loaded![i])).toBe(JSON.stringify(lines[i]));
  });

  const largeBytes = ctx.options.largeTranscriptBytes ?? 50 * 1024 * 1024;
  it(`stores a large transcript (${Math.round(largeBytes / 1024 / 1024)} MiB in 100 KiB lines, appended per turn)`, async (t) => {
    const storage = await withCapability(t);
    const lineBytes = 100 * 1024;
    const total = Math.ceil(largeBytes / lineBytes);
    const perTurn = 15;
    const big = (i: number) => ({
      type: 'assistant',
      uuid: `big-${i}`,
      text: `${i}:`.padEnd(lineBytes, 'x'),
    });
    for (let from = 0; from < total; from += perTurn) {
      const count = Math.min(perTurn, total - from);
      await storage.appendTranscript(
        'conversation',
        'big',
        Array.from({ length: count }, (_, i) => big(from + i)),
        from,
      );
    }
    const loaded = await storage.loadTranscript('conversation', 'big');
    expect(loaded).toHaveLength(total);
    for (const i of [0, 1, Math.floor(total / 2), total - 1]) expect(loaded?.[i]).toEqual(big(i));
  });
}
