import { describe, expect, it } from 'vitest';
import {
  CapabilityError,
  ChannelCoderError,
  clearSession,
  createSessionState,
  InvalidArgumentError,
  MemorySessionStorage,
  recordTurn,
  SessionConflictError,
  SessionNotFoundError,
  type SessionStorage,
  storageCapabilities,
} from '../src/index.js';
import {
  assertRevision,
  createTrashEntry,
  decodeListCursor,
  encodeListCursor,
  isTrashId,
  newTrashId,
  planMessageWrite,
  readTrashOptions,
  requireCapability,
  resolveSaveName,
  sessionInfoFromHead,
  trashEntryFromJSON,
  trashEntryToJSON,
} from '../src/storage-kit.js';

const twoTurns = () =>
  [1, 2].reduce(
    (s, i) => recordTurn(s, { prompt: `p${i}`, result: { sessionId: 'x', text: 't' } }),
    createSessionState({ name: 'n' }),
  );

describe('save planning', () => {
  it('resolves the save name and writes it back', () => {
    const s = createSessionState();
    const name = resolveSaveName(s);
    expect(s.metadata.name).toBe(name);
    expect(resolveSaveName(s)).toBe(name);
    expect(resolveSaveName(s, 'explicit.json')).toBe('explicit');
    expect(s.metadata.name).toBe('explicit');
  });

  it('allows a save only on the stored revision', () => {
    const s = createSessionState();
    expect(() => assertRevision('n', undefined, s)).not.toThrow();
    expect(() => assertRevision('n', 0, s)).not.toThrow();
    expect(() => assertRevision('n', 1, s)).toThrow(SessionConflictError);
    s.revision = 2;
    expect(() => assertRevision('n', undefined, s)).toThrow(/revision 0 is stored/);
    expect(() => assertRevision('n', 2, s)).not.toThrow();
  });

  it('appends after the stored tail and rewrites after clear()', () => {
    const s = twoTurns();
    const stored = { messageCount: 2, lastMessageId: s.messages[1]!.id };
    expect(planMessageWrite(undefined, s)).toEqual({ mode: 'append', from: 0 });
    expect(planMessageWrite(stored, s)).toEqual({ mode: 'append', from: 2 });
    expect(planMessageWrite({ messageCount: 4, lastMessageId: s.messages[3]!.id }, s)).toEqual({
      mode: 'append',
      from: 4,
    });
    const cleared = recordTurn(
      recordTurn(clearSession(s), { prompt: 'a', result: { sessionId: 'y', text: '' } }),
      {
        prompt: 'b',
        result: { sessionId: 'y', text: '' },
      },
    );
    expect(planMessageWrite({ messageCount: 4, lastMessageId: s.messages[3]!.id }, cleared)).toEqual({
      mode: 'rewrite',
    });
    expect(planMessageWrite({ messageCount: 4, lastMessageId: s.messages[3]!.id }, clearSession(s))).toEqual({
      mode: 'rewrite',
    });
  });
});

describe('list cursors', () => {
  it('round-trips and rejects foreign cursors with a typed error', () => {
    const c = encodeListCursor({ lastActive: 123, name: 'a.b' });
    expect(decodeListCursor(c)).toEqual({ lastActive: 123, name: 'a.b' });
    expect(() => decodeListCursor('garbage!')).toThrow(InvalidArgumentError);
  });
});

describe('capabilities and errors', () => {
  const minimal: SessionStorage = {
    save: async () => 'x',
    load: async () => createSessionState(),
    list: async () => [],
  };

  it('detects optional methods at run time', () => {
    expect(storageCapabilities(minimal)).toEqual({
      remove: false,
      exists: false,
      close: false,
      transcripts: false,
      lease: false,
      search: false,
      trash: false,
      readRevision: false,
      peekLease: false,
      deleteTranscript: false,
      listByProject: false,
    });
    expect(() => requireCapability(minimal, 'remove')).toThrow(CapabilityError);
    expect(() => requireCapability(minimal, 'remove')).toThrow(/does not implement "remove"/);
    expect(() => requireCapability(minimal, 'moveToTrash')).toThrow(/does not implement "moveToTrash"/);
    // The trash is all four methods or nothing.
    const memory = new MemorySessionStorage();
    expect(storageCapabilities(memory)).toMatchObject({
      trash: true,
      readRevision: true,
      peekLease: true,
      deleteTranscript: true,
      listByProject: true,
    });
    expect(
      storageCapabilities({ ...minimal, listFilters: ['other'] as unknown as ['projectKey'] }).listByProject,
    ).toBe(false);
    const partial = { ...minimal, moveToTrash: memory.moveToTrash.bind(memory) };
    expect(storageCapabilities(partial).trash).toBe(false);
  });

  it('tells a revision conflict from a taken name, each with its own advice', () => {
    const revision = new SessionConflictError('x', 1, 2);
    expect(revision.reason).toBe('revision');
    expect(revision.message).toMatch(/changed by another writer.*Load the session again/);
    const taken = new SessionConflictError('x', 0, 3, { reason: 'name-taken' });
    expect(taken.reason).toBe('name-taken');
    expect(taken.message).toMatch(
      /"x" is held by another session .*Use another name, or move the stored session to the trash/,
    );
    expect(new SessionConflictError('x', 0, 3, { reason: 'name-taken', hint: 'Do this.' }).message).toMatch(
      /\. Do this\.$/,
    );
  });

  it('makes trash ids, entries and their JSON; checks trash options', () => {
    const now = new Date('2026-12-02T16:05:00.123Z');
    const id = newTrashId(now);
    expect(id).toMatch(/^20261202T160500123Z-[0-9a-f]{12}$/);
    expect(isTrashId(id)).toBe(true);
    for (const bad of ['', '../x', 'a/b', '.hidden', 'a..b', 42]) expect(isTrashId(bad)).toBe(false);
    const state = createSessionState({ name: 'kept', now });
    const info = sessionInfoFromHead({ ...state, messageCount: 0 }, { name: 'kept', path: 'memory:kept' });
    const entry = createTrashEntry('kept', info, { reason: 'removed', retentionMs: 1000, now });
    expect(entry.expiresAt.getTime() - entry.trashedAt.getTime()).toBe(1000);
    expect(trashEntryFromJSON(JSON.parse(JSON.stringify(trashEntryToJSON(entry))))).toEqual(entry);
    expect(trashEntryFromJSON({ ...trashEntryToJSON(entry), id: '../x' })).toBeUndefined();
    expect(readTrashOptions()).toEqual({ reason: 'removed', retentionMs: 30 * 24 * 60 * 60 * 1000 });
    expect(() => readTrashOptions({ retentionMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => readTrashOptions({ reason: 'lost' as 'removed' })).toThrow(/reason must be/);
  });

  it('recognises errors by code across package copies', () => {
    const err = new SessionNotFoundError('gone');
    expect(err.code).toBe('SESSION_NOT_FOUND');
    expect(err.name).toBe('SessionNotFoundError');
    expect(SessionNotFoundError.is(err)).toBe(true);
    expect(SessionConflictError.is(err)).toBe(false);
    expect(ChannelCoderError.is(err)).toBe(true);
    // A structurally identical error made by another copy of the package carries the same global mark.
    const foreign = Object.assign(new Error('x'), {
      code: 'SESSION_NOT_FOUND',
      [Symbol.for('channelcoder.error')]: true,
    });
    expect(SessionNotFoundError.is(foreign)).toBe(true);
    expect(ChannelCoderError.is(new Error('plain'))).toBe(false);
  });
});

describe('MemorySessionStorage transcripts', () => {
  it('appends from a line offset, ignores a re-appended range and rejects gaps', async () => {
    const { MemorySessionStorage } = await import('../src/index.js');
    const storage = new MemorySessionStorage();
    await storage.save(createSessionState(), 't');
    expect(await storage.loadTranscript('t', 'c1')).toBeNull();
    await storage.appendTranscript('t', 'c1', [{ n: 0 }, { n: 1 }], 0);
    await storage.appendTranscript('t', 'c1', [{ n: 1, changed: true }, { n: 2 }], 1);
    expect(await storage.loadTranscript('t', 'c1')).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    await expect(storage.appendTranscript('t', 'c1', [{ n: 9 }], 5)).rejects.toThrow(InvalidArgumentError);
    expect(await storage.loadTranscript('t', 'c2')).toBeNull();
  });
});
